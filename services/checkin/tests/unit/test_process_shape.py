"""The worker never loads grpc and the gRPC process never loads eventlet or nameko."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [("checkin.worker", ("grpc",)), ("checkin.grpc_api", ("eventlet", "nameko"))],
)
def test_process_entrypoint_imports_only_its_own_runtime(module: str, forbidden: tuple[str, ...]) -> None:
    code = f"import sys, {module}; print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
