"""Every service keeps one shape: the same modules in the same places, each process importing only its
own runtime, the caller required at the gRPC edge, generated code only at the edges, errors and
metrics where a reader looks for them, and short functions. Checked on the source (ast), so the
gRPC and eventlet sides never meet in this process."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("planning", "checkin", "collection", "analytics")
CASES = [(f"{s}.worker", ("grpc",)) for s in SERVICES] + [(f"{s}.grpc_api", ("eventlet", "nameko")) for s in SERVICES]
MODULES = (
    "__main__.py",
    "settings.py",
    "bootstrap.py",
    "grpc_api.py",
    "worker.py",
    "metrics.py",
    "demo.py",
    "domain/model.py",
    "domain/errors.py",
    "adapters/__init__.py",
    "usecases/__init__.py",
)
ERROR_BASES = {
    "DomainError",
    "InvalidArgument",
    "RuleViolation",
    "NotFound",
    "Conflict",
    "PermissionDenied",
    "Unauthenticated",
    "RateLimited",
    "Unavailable",
}
METRIC_CONSTRUCTORS = {"counter", "histogram", "gauge", "Counter", "Histogram", "Gauge"}
DRIVERS = ("grpc", "pymongo", "redis", "kombu", "google.protobuf")
MAX_FUNCTION_LINES = 50


def package(service: str) -> Path:
    return ROOT / "services" / service / service


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def sources(service: str, *parts: str) -> Iterator[Path]:
    base = package(service).joinpath(*parts)
    yield from sorted(base.rglob("*.py")) if base.is_dir() else [base]


def imported(module: ast.Module) -> Iterator[str]:
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def called(node: ast.AST) -> Iterator[str]:
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            yield func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def class_named(module: ast.Module, suffix: str) -> ast.ClassDef:
    (found,) = [n for n in module.body if isinstance(n, ast.ClassDef) and n.name.endswith(suffix)]
    return found


@pytest.mark.parametrize(("module", "forbidden"), CASES)
def test_process_modules_import_only_their_own_runtime(module: str, forbidden: tuple[str, ...]) -> None:
    code = f"import sys, {module}; print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_entry_point_module_imports_neither_runtime() -> None:
    code = "import sys, baifang_common.entrypoint; print([m for m in ('grpc', 'eventlet') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_modules(service: str) -> None:
    assert [m for m in MODULES if not (package(service) / m).is_file()] == []


@pytest.mark.parametrize("service", SERVICES)
def test_grpc_deps_close_is_a_method_and_use_cases_are_bound_in_bootstrap(service: str) -> None:
    module = tree(package(service) / "bootstrap.py")
    deps = class_named(module, "GrpcDeps")
    assert "close" in [n.name for n in deps.body if isinstance(n, ast.FunctionDef)]
    assert "close" not in [n.target.id for n in deps.body if isinstance(n, ast.AnnAssign)]  # type: ignore[union-attr]
    assert class_named(module, "UseCases")
    assert "use_cases" in [n.name for n in module.body if isinstance(n, ast.FunctionDef)]


@pytest.mark.parametrize("service", SERVICES)
def test_the_worker_has_deps_and_the_request_id(service: str) -> None:
    worker = class_named(tree(package(service) / "worker.py"), "Worker")
    providers = {
        n.targets[0].id: n.value.func.id  # type: ignore[attr-defined]
        for n in worker.body
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)
    }
    assert (providers.get("deps"), providers.get("request_id")) == ("Deps", "RequestId")


@pytest.mark.parametrize("service", SERVICES)
def test_the_grpc_edge_has_servicer_and_run_and_every_rpc_requires_its_caller(service: str) -> None:
    module = tree(package(service) / "grpc_api.py")
    functions = {n.name for n in module.body if isinstance(n, ast.FunctionDef)}
    assert {"servicer", "run"} <= functions
    rpcs = [n for n in class_named(module, "Servicer").body if isinstance(n, ast.FunctionDef) and n.name[0].isupper()]
    assert rpcs
    assert [rpc.name for rpc in rpcs if "require_caller" not in set(called(rpc))] == []


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_and_domain_get_plain_python_and_a_caller(service: str) -> None:
    for path in [*sources(service, "usecases"), *sources(service, "domain")]:
        module = tree(path)
        drivers = [name for name in imported(module) if name.startswith(DRIVERS) or name.endswith("_pb2")]
        assert drivers == [], path
        assert not {"HasField", "WhichOneof", "current_caller"} & set(called(module)), path
        assert "Caller | None" not in path.read_text(), path


@pytest.mark.parametrize("service", SERVICES)
def test_errors_live_in_domain_errors_and_metrics_in_metrics(service: str) -> None:
    for path in sources(service, "."):
        module = tree(path)
        relative = path.relative_to(package(service)).as_posix()
        if relative != "domain/errors.py":
            errors = [
                n.name
                for n in ast.walk(module)
                if isinstance(n, ast.ClassDef) and {getattr(b, "id", "") for b in n.bases} & ERROR_BASES
            ]
            assert errors == [], relative
        if relative != "metrics.py":
            assert not METRIC_CONSTRUCTORS & set(called(module)), relative


@pytest.mark.parametrize("service", SERVICES)
def test_no_function_is_longer_than_fifty_lines_but_the_demo_data(service: str) -> None:
    long = [
        f"{path.name}:{node.name}"
        for path in sources(service, ".")
        if path.name != "demo.py"
        for node in ast.walk(tree(path))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_test_modules_take_helpers_from_modules_not_from_a_conftest() -> None:
    tests = [p for p in ROOT.glob("**/tests/**/*.py") if ".venv" not in p.parts]
    assert tests
    assert [p for p in tests if any(name.endswith("conftest") for name in imported(tree(p)))] == []
