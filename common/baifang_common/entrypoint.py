"""`python -m <service> grpc|worker`: one entry point for the four services.

The worker path monkey-patches eventlet before its modules are imported; the gRPC path never
imports eventlet (docs/architecture.md: grpcio and eventlet must not share a process). This module
imports neither at load time.
"""

from __future__ import annotations

import importlib
import sys


def main(service: str, argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else ""
    if command == "worker":
        import eventlet

        eventlet.monkey_patch()
        importlib.import_module(f"{service}.worker").run()
    elif command == "grpc":
        importlib.import_module(f"{service}.grpc_api").run()
    else:
        sys.stderr.write(f"usage: python -m {service} grpc|worker\n")
        sys.exit(2)
