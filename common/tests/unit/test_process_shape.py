"""Every service's worker never loads grpc and its gRPC process never loads eventlet or nameko."""

from __future__ import annotations

import subprocess
import sys

import pytest

SERVICES = ("planning", "checkin", "collection", "analytics")
CASES = [(f"{s}.worker", ("grpc",)) for s in SERVICES] + [(f"{s}.grpc_api", ("eventlet", "nameko")) for s in SERVICES]


@pytest.mark.parametrize(("module", "forbidden"), CASES)
def test_process_modules_import_only_their_own_runtime(module: str, forbidden: tuple[str, ...]) -> None:
    code = f"import sys, {module}; print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_entry_point_module_imports_neither_runtime() -> None:
    code = "import sys, baifang_common.entrypoint; print([m for m in ('grpc', 'eventlet') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
