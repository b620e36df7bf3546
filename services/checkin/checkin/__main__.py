"""`python -m checkin grpc|worker`: the worker patches eventlet before importing anything else."""

from __future__ import annotations

import sys


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "worker":
        import eventlet

        eventlet.monkey_patch()
        from checkin.worker import run

        run()
    elif command == "grpc":
        from checkin.grpc_api import run

        run()
    else:
        print("usage: python -m checkin grpc|worker", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
