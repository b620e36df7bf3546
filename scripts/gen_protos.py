"""The one command that generates the gRPC and message code from protos/ (never edited by hand).

Output goes to protos/gen/python (git-ignored) with typed stubs for mypy, so a fresh clone
gets the same code from the same pinned grpcio-tools.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
OUT = PROTO_ROOT / "gen" / "python"


def main() -> int:
    """Regenerate everything from scratch so a deleted proto leaves no stale module behind."""
    sources = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "baifang").rglob("*.proto"))
    if not sources:
        print("no .proto files under protos/baifang", file=sys.stderr)
        return 1
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    bindir = Path(sys.executable).parent
    well_known = Path(protoc.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={OUT}",
        f"--grpc_python_out={OUT}",
        f"--plugin=protoc-gen-mypy={bindir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bindir / 'protoc-gen-mypy_grpc'}",
        f"--mypy_out={OUT}",
        f"--mypy_grpc_out={OUT}",
        *sources,
    ]
    code = protoc.main(args)
    if code != 0:
        print(f"protoc failed with exit code {code}", file=sys.stderr)
        return code
    for folder in [OUT / "baifang", *(p for p in (OUT / "baifang").rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    (OUT / "baifang" / "py.typed").touch()
    print(f"generated {len(sources)} protos into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
