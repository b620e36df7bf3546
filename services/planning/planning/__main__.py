"""`python -m planning grpc|worker`: the worker path patches eventlet before anything else."""

import sys


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "worker":
        import eventlet

        eventlet.monkey_patch()
        from planning.worker import run

        run()
    elif command == "grpc":
        from planning.grpc_api import run

        run()
    else:
        sys.stderr.write("usage: python -m planning grpc|worker\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
