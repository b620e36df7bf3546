"""`python -m collection grpc|worker`: the worker patches eventlet before anything else is imported."""

import sys


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "worker":
        import eventlet

        eventlet.monkey_patch()
        from collection.worker import run

        run()
    elif command == "grpc":
        from collection.grpc_api import run as run_grpc

        run_grpc()
    else:
        sys.stderr.write("usage: python -m collection grpc|worker\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
