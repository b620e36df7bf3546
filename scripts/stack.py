"""Supervisor for Baifang's application processes on one machine (`make up` / e2e tests).

Starts every service process and the gateway with the venv's python, waits until each
answers `/readyz`, and stops exactly the processes it started. Stdlib only, so it runs
before anything else is importable.

    python scripts/stack.py up [--port-offset N] [--run-dir DIR] [--timeout S]
    python scripts/stack.py down [--run-dir DIR]
    python scripts/stack.py status [--port-offset N] [--run-dir DIR]

Logs go to `<run-dir>/log/<name>.log`, pids to `<run-dir>/run/<name>.pid`. A relative
run dir is taken from the repository root, so callers in any cwd agree on it.
`BAIFANG_STACK_TABLE=<file.json>` replaces the process table (for the supervisor's own
tests): a list of `{"name", "args", "ports": {ENV: base_port}, "ready": ENV}`.
"""

import argparse
import contextlib
import functools
import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
LOG_TAIL_LINES = 30
STOP_GRACE_S = 15.0
LOG_HEADER = "=== stack.py starts"

# Identity markers in each child's environment: a pid file is only trusted when the
# process it names carries them (guards against pid reuse and other tools' pid files).
MARK_NAME = "BAIFANG_STACK_PROC"
MARK_RUN_DIR = "BAIFANG_STACK_RUN_DIR"
# Port variables are set per process; inherited values would leak into the wrong one.
PORT_VARS = ("GATEWAY_PORT", "GRPC_PORT", "METRICS_PORT")

GRPC_PORTS = {"planning": 50051, "checkin": 50052, "collection": 50053, "analytics": 50054}
GATEWAY_PORT = 8080
METRICS_BASE = 9100


class Spec(NamedTuple):
    """One supervised process: argv after the interpreter, its ports, its readiness port."""

    name: str
    args: tuple[str, ...]
    ports: dict[str, int]  # env var -> base port (before the offset)
    ready: str  # which of `ports` serves GET /readyz


class StackError(RuntimeError):
    """`up` failed; everything it had started is already stopped again."""


def default_table() -> list[Spec]:
    """The real stack: a gRPC process and a nameko worker per service, then the gateway."""
    table: list[Spec] = []
    n = 0
    for service, grpc_port in GRPC_PORTS.items():
        n += 1
        table.append(
            Spec(
                f"{service}-grpc",
                ("-m", service, "grpc"),
                {"GRPC_PORT": grpc_port, "METRICS_PORT": METRICS_BASE + n},
                "METRICS_PORT",
            )
        )
        n += 1
        table.append(
            Spec(f"{service}-worker", ("-m", service, "worker"), {"METRICS_PORT": METRICS_BASE + n}, "METRICS_PORT")
        )
    table.append(Spec("gateway", ("-m", "gateway"), {"GATEWAY_PORT": GATEWAY_PORT}, "GATEWAY_PORT"))
    return table


def load_table() -> list[Spec]:
    """The process table, replaced by BAIFANG_STACK_TABLE's JSON file when set."""
    path = os.environ.get("BAIFANG_STACK_TABLE")
    if not path:
        return default_table()
    raw = json.loads(Path(path).read_text())
    return [Spec(e["name"], tuple(e["args"]), {k: int(v) for k, v in e["ports"].items()}, e["ready"]) for e in raw]


def resolve_run_dir(run_dir: str | os.PathLike[str]) -> Path:
    """Absolute run dir; relative ones are relative to the repository root."""
    path = Path(run_dir)
    return (path if path.is_absolute() else ROOT / path).resolve()


def peer_env(offset: int) -> dict[str, str]:
    """Every process can reach every service's gRPC port, whichever it talks to."""
    return {f"{svc.upper()}_ADDR": f"127.0.0.1:{port + offset}" for svc, port in GRPC_PORTS.items()}


@functools.cache
def _stores() -> Any:
    """baifang_common/stores.py, loaded by path: it is stdlib only, like this script."""
    spec = importlib.util.spec_from_file_location("_baifang_stores", ROOT / "common" / "baifang_common" / "stores.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def store_env() -> dict[str, str]:
    """`<SERVICE>_MONGO_URL` of each service: its own local store unless the caller placed it."""
    return dict(_stores().service_urls(os.environ))


def child_env(spec: Spec, offset: int, run_dir: Path) -> dict[str, str]:
    """The caller's environment (AMQP_URI, MONGO_URL, ... pass through) plus ports, peers and stores."""
    env = {k: v for k, v in os.environ.items() if k not in PORT_VARS}
    env.update(store_env())
    env.update(peer_env(offset))
    env.update({var: str(port + offset) for var, port in spec.ports.items()})
    env["PYTHONUNBUFFERED"] = "1"
    env[MARK_NAME] = spec.name
    env[MARK_RUN_DIR] = str(run_dir)
    return env


def ready_url(spec: Spec, offset: int) -> str:
    """Where the process reports readiness."""
    return f"http://127.0.0.1:{spec.ports[spec.ready] + offset}/readyz"


def pid_path(run_dir: Path, name: str) -> Path:
    """`<run-dir>/run/<name>.pid`."""
    return run_dir / "run" / f"{name}.pid"


def log_path(run_dir: Path, name: str) -> Path:
    """`<run-dir>/log/<name>.log`."""
    return run_dir / "log" / f"{name}.log"


def _alive(pid: int) -> bool:
    """True for a running process; a zombie (exited, not yet reaped) counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _is_ours(pid: int, run_dir: Path, name: str | None = None) -> bool:
    """The process carries our markers for this run dir (and name, when given)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    if f"{MARK_RUN_DIR}={run_dir}".encode() not in environ:
        return False
    return name is None or f"{MARK_NAME}={name}".encode() in environ


def _read_pid(path: Path) -> int | None:
    """The pid in a pid file, or None when missing or garbled."""
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def running_pid(run_dir: Path, name: str) -> int | None:
    """Pid of our live process `name`, or None (stale pid files are not trusted)."""
    pid = _read_pid(pid_path(run_dir, name))
    if pid is None or not _alive(pid) or not _is_ours(pid, run_dir, name):
        return None
    return pid


def is_ready(url: str) -> bool:
    """GET url answers 200 within a second."""
    try:
        with urllib.request.urlopen(url, timeout=1.0) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """Last lines of a log, for failure reports."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    all_lines = text.splitlines()
    # Only this run's part: the log is appended to across runs.
    starts = [i for i, line in enumerate(all_lines) if line.startswith(LOG_HEADER)]
    current = all_lines[starts[-1] :] if starts else all_lines
    return "\n".join(current[-lines:])


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group the child leads (start_new_session made pgid == pid)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _group_alive(pgid: int) -> bool:
    """Some member of the group still runs (killpg also sees zombies, so look closer)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if os.getpgid(pid) == pgid and _alive(pid):
                return True
        except ProcessLookupError:
            continue
    return False


def terminate(pids: dict[str, int], grace: float = STOP_GRACE_S) -> None:
    """SIGTERM each process group, wait up to `grace` seconds, SIGKILL what is left."""
    for pid in pids.values():
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    left = dict(pids)
    while left and time.monotonic() < deadline:
        left = {n: p for n, p in left.items() if _group_alive(p)}
        if left:
            time.sleep(0.1)
    for name, pid in left.items():
        print(f"[stack] {name} (pid {pid}) ignored SIGTERM for {grace:.0f}s: SIGKILL", file=sys.stderr)
        _signal_group(pid, signal.SIGKILL)


def _start(spec: Spec, offset: int, run_dir: Path, python: Path) -> subprocess.Popen[bytes]:
    """Launch one process in its own session, output appended to its log."""
    log = log_path(run_dir, spec.name)
    argv = [str(python), *spec.args]
    with log.open("ab") as fh:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        fh.write(f"{LOG_HEADER} {stamp}: {' '.join(argv)}\n".encode())
        fh.flush()
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=child_env(spec, offset, run_dir),
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_path(run_dir, spec.name).write_text(f"{proc.pid}\n")
    return proc


class _Interrupted(Exception):
    """SIGTERM/SIGINT while `up` waits: clean up like a failure."""


def _raise_interrupted(signum: int, frame: object) -> None:
    raise _Interrupted(signal.Signals(signum).name)


def up(
    run_dir: str | os.PathLike[str] = "var",
    port_offset: int = 0,
    timeout: float = 90.0,
    python: str | os.PathLike[str] | None = None,
) -> dict[str, int]:
    """Start the stack and wait until all of it is ready; returns name -> pid.

    Processes already running from this run dir are left alone (and waited for).
    On failure everything this call started is stopped and StackError is raised.
    """
    rdir = resolve_run_dir(run_dir)
    interpreter = Path(python) if python else VENV_PYTHON
    if not interpreter.exists():
        raise StackError(f"{interpreter} missing: run `make setup` first")
    (rdir / "run").mkdir(parents=True, exist_ok=True)
    (rdir / "log").mkdir(parents=True, exist_ok=True)
    table = load_table()

    started: dict[str, subprocess.Popen[bytes]] = {}
    pids: dict[str, int] = {}
    previous = {}
    if threading.current_thread() is threading.main_thread():  # signal() only works there
        previous = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for spec in table:
            pid = running_pid(rdir, spec.name)
            if pid is not None:
                print(f"[stack] {spec.name} is already running (pid {pid})")
                pids[spec.name] = pid
                continue
            started[spec.name] = _start(spec, port_offset, rdir, interpreter)
            pids[spec.name] = started[spec.name].pid
        print(f"[stack] started {len(started)} process(es), waiting for /readyz (timeout {timeout:.0f}s)")
        _wait_ready(table, port_offset, rdir, started, pids, timeout)
    except BaseException as exc:
        # Whatever went wrong, nothing this call started may outlive it.
        error = StackError(f"[stack] interrupted by {exc}") if isinstance(exc, _Interrupted) else exc
        print(error, file=sys.stderr, flush=True)  # before the stop, so the log reads in order
        _stop_started(rdir, started)
        if error is exc:
            raise
        raise error from None
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return pids


def _wait_ready(
    table: list[Spec],
    offset: int,
    rdir: Path,
    started: dict[str, subprocess.Popen[bytes]],
    pids: dict[str, int],
    timeout: float,
) -> None:
    """Poll every /readyz until all answer 200; StackError on a death or the deadline."""
    deadline = time.monotonic() + timeout
    pending = {spec.name: spec for spec in table}
    t0 = time.monotonic()
    while pending:
        for name, spec in list(pending.items()):
            proc = started.get(name)
            died = proc.poll() is not None if proc else not _alive(pids[name])
            if died:
                code = f" with code {proc.returncode}" if proc else ""
                raise StackError(_failure(rdir, name, f"exited{code} before it was ready"))
            if is_ready(ready_url(spec, offset)):
                print(f"[stack] {name} ready ({time.monotonic() - t0:.1f}s)")
                del pending[name]
        if not pending:
            break
        if time.monotonic() > deadline:
            names = ", ".join(sorted(pending))
            tails = "\n".join(_failure(rdir, n, "") for n in sorted(pending))
            raise StackError(f"[stack] not ready after {timeout:.0f}s: {names}\n{tails}")
        time.sleep(0.25)


def _failure(rdir: Path, name: str, what: str) -> str:
    """A failure message with the tail of the process's log."""
    log = log_path(rdir, name)
    head = f"{name} {what}".rstrip()
    return f"[stack] {head}; last {LOG_TAIL_LINES} lines of {log}:\n{log_tail(log)}"


def _stop_started(rdir: Path, started: dict[str, subprocess.Popen[bytes]]) -> None:
    """Stop what this `up` call started (not processes that were already running)."""
    if not started:
        return
    print(f"[stack] stopping the {len(started)} process(es) this run started", file=sys.stderr)
    terminate({n: p.pid for n, p in started.items()})
    for name, proc in started.items():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        pid_path(rdir, name).unlink(missing_ok=True)


def our_pid_files(rdir: Path) -> dict[str, int]:
    """name -> pid of every live process started from this run dir (pid files in run/)."""
    found: dict[str, int] = {}
    run = rdir / "run"
    if not run.is_dir():
        return found
    for path in sorted(run.glob("*.pid")):
        pid = _read_pid(path)
        if pid is not None and _alive(pid) and _is_ours(pid, rdir, path.stem):
            found[path.stem] = pid
    return found


def down(run_dir: str | os.PathLike[str] = "var") -> list[str]:
    """Stop every process this run dir's `up` started; returns their names.

    Pid files of other tools (var/run/redis.pid from infra.sh) are never touched.
    """
    rdir = resolve_run_dir(run_dir)
    live = our_pid_files(rdir)
    if live:
        print(f"[stack] stopping {', '.join(live)}")
        terminate(live)
    names = {spec.name for spec in load_table()} | set(live)
    for name in names:
        path = pid_path(rdir, name)
        pid = _read_pid(path)
        # Remove ours and stale ones; a live pid file that is not ours stays.
        if path.exists() and (name in live or pid is None or not _alive(pid)):
            path.unlink(missing_ok=True)
    return sorted(live)


class Status(NamedTuple):
    """One line of `status`."""

    name: str
    pid: int | None
    ready: bool
    url: str


def status(run_dir: str | os.PathLike[str] = "var", port_offset: int = 0) -> list[Status]:
    """Running/stopped and readiness of every process in the table."""
    rdir = resolve_run_dir(run_dir)
    rows = []
    for spec in load_table():
        pid = running_pid(rdir, spec.name)
        url = ready_url(spec, port_offset)
        rows.append(Status(spec.name, pid, pid is not None and is_ready(url), url))
    return rows


def print_summary(pids: dict[str, int], port_offset: int) -> None:
    """URLs, ports and pids after a successful `up`."""
    table = load_table()
    print("\nBaifang stack is up")
    for spec in table:
        if spec.name == "gateway":
            base = f"http://127.0.0.1:{spec.ports['GATEWAY_PORT'] + port_offset}"
            print(f"  gateway API    {base}/api/v1")
            print(f"  API docs       {base}/docs")
            print(f"  gateway ops    {base}/metrics  {base}/readyz")
    print(f"  {'process':<20} {'pid':>7}  ports")
    for spec in table:
        ports = "  ".join(f"{var.removesuffix('_PORT').lower()}={p + port_offset}" for var, p in spec.ports.items())
        print(f"  {spec.name:<20} {pids.get(spec.name, 0):>7}  {ports}")
    metrics = [s for s in table if "METRICS_PORT" in s.ports]
    if metrics:
        print("  metrics        http://127.0.0.1:<metrics port>/metrics")
    placed = {**store_env(), **{k: v for k, v in os.environ.items() if k.endswith("_MONGO_URL")}}
    shared = os.environ.get("MONGO_URL", "(default)")
    for service in _stores().SERVICES:
        print(f"  store {service:<12} {placed.get(_stores().url_var(service), shared)}")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; exit status 1 when `up` fails or `status` finds something down."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument("--run-dir", default="var", help="logs in <dir>/log, pids in <dir>/run (default: var)")
    parser.add_argument("--port-offset", type=int, default=0, help="added to every port (default: 0)")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for /readyz (default: 90)")
    args = parser.parse_args(argv)
    # Progress lines must interleave correctly with stderr when piped (CI, test fixtures).
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)

    if args.command == "up":
        try:
            pids = up(args.run_dir, args.port_offset, args.timeout)
        except StackError:
            print("[stack] up failed", file=sys.stderr)
            return 1
        print_summary(pids, args.port_offset)
        return 0
    if args.command == "down":
        stopped = down(args.run_dir)
        print(f"[stack] stopped {len(stopped)} process(es)")
        return 0
    rows = status(args.run_dir, args.port_offset)
    for row in rows:
        state = f"running pid {row.pid}" if row.pid else "stopped"
        ready = "ready" if row.ready else "not ready"
        print(f"{row.name:<20} {state:<20} {ready:<10} {row.url}")
    return 0 if all(r.ready for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
