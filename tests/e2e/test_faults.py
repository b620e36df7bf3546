"""Bounded faults under a running load: a crashed checkin gRPC server, a frozen Redis, a frozen store.

A device loop keeps posting GPS track batches and offline ops with their own ids through the gateway,
and retries whatever was not acknowledged with the same ids, as a tablet does; it also replays its
check-in, whose first answer comes back from checkin's store. While a dependency is down every answer
is a success or a clear 503 (JSON error format, Retry-After), never a 500 nor a stall: some clear 503s
must be seen while the fault lasts. Once it is back requests succeed again without restarting
anything else. At the end the store holds exactly what the
clients were told was accepted: no acknowledged point or op lost, none applied twice.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from pymongo import MongoClient

from baifang_common import stores
from baifang_common.testing.plugin import queued_messages
from baifang_common.testing.wait import wait_until
from checkin.adapters.bucket_store import BucketStore

# When this module runs first it pays for starting and seeding the stack (setup counts against its timeout).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]

ROOT = Path(__file__).resolve().parents[2]
StackRun = Any  # tests/e2e/conftest.py's StackRun (conftest modules are not importable here)

TZ = ZoneInfo("Asia/Shanghai")
FAULT_SECONDS = 10.0  # how long each dependency stays down
POINTS_PER_BATCH = 5
MAX_PENDING = 4  # unacknowledged writes a device keeps before it stops producing new ones
RETRY_PAUSE_S = 0.2
MARK_MS = 137  # the loop's points carry this millisecond, so they are told apart from the demo data's


class DeviceLoop:
    """A manager's device: new track batches and unplanned-task ops, each retried with its id until acknowledged."""

    def __init__(self, client: httpx.Client, visit_id: str, checkin: dict[str, Any], checkin_id: str) -> None:
        self.client = client
        self.visit_id = visit_id
        self.checkin = checkin  # replayed every step: the first answer again, read from checkin's store
        self.checkin_id = checkin_id
        start = datetime.now(UTC).replace(microsecond=MARK_MS * 1000) - timedelta(minutes=30)
        self.first_ms = round(start.timestamp() * 1000)
        self.next_point = 0
        self.pending_batches: dict[str, list[dict[str, Any]]] = {}
        self.pending_ops: dict[str, dict[str, Any]] = {}
        self.acked_points: list[int] = []
        self.acked_ops: dict[str, str] = {}  # op_id -> text
        self.statuses: Counter[int] = Counter()
        self.bad: list[str] = []  # answers that are neither a success nor a clear 503
        self.in_fault = False  # set by the test from the fault until requests succeed again
        self.refused_in_fault = 0  # clear 503s (JSON error, Retry-After) answered meanwhile
        self.successes = 0
        self.log: list[tuple[str, int, float, bool]] = []  # (path, status, seconds, in fault): a failure shows it
        self.producing = True
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _new_batch(self) -> None:
        points = []
        for _ in range(POINTS_PER_BATCH):
            ms = self.first_ms + 1000 * self.next_point
            at = datetime.fromtimestamp(ms / 1000, UTC)
            points.append(
                {"lat": 31.82, "lon": 117.22 + self.next_point * 1e-6, "accuracy_m": 8.0, "ts": at.isoformat()}
            )
            self.next_point += 1
        self.pending_batches[f"fault-{uuid.uuid4()}"] = points

    def _new_op(self) -> None:
        op_id = str(uuid.uuid4())
        payload = {"visit_id": self.visit_id, "text": f"故障演练 {op_id[:12]}"}
        ts = datetime.now(TZ).isoformat()
        self.pending_ops[op_id] = {"op_id": op_id, "type": "unplanned_task", "payload": payload, "client_ts": ts}

    def _refused(self, answer: httpx.Response) -> bool:
        """True for a clear 503 (JSON error, Retry-After); anything else that is not a 200 is recorded as bad."""
        self.statuses[answer.status_code] += 1
        if answer.status_code in (200, 201):
            self.successes += 1
            return False
        try:
            error = answer.json()["error"]
            clear = answer.status_code == 503 and isinstance(error["code"], str) and isinstance(error["message"], str)
            clear = clear and int(answer.headers["Retry-After"]) > 0
        except (ValueError, KeyError, TypeError):
            clear = False
        if clear and self.in_fault:
            self.refused_in_fault += 1
        if not clear:
            self.bad.append(
                f"{answer.request.method} {answer.request.url.path}: {answer.status_code} {answer.text[:300]}"
            )
        return True

    def _post(self, path: str, **kwargs: Any) -> httpx.Response | None:
        start = time.monotonic()
        try:
            answer = self.client.post(path, **kwargs)
        except httpx.HTTPError as exc:
            self.bad.append(f"POST {path}: {exc!r}")
            return None
        self.log.append((path, answer.status_code, round(time.monotonic() - start, 2), self.in_fault))
        return answer

    def probe(self, client: httpx.Client) -> None:
        """One replayed check-in from another client right after the fault began: the loop's own
        requests may all be batch syncs, which wait out a short fault within their longer deadline."""
        start = time.monotonic()
        answer = client.post("/checkins", json=self.checkin)
        self.log.append(("/checkins (probe)", answer.status_code, round(time.monotonic() - start, 2), self.in_fault))
        self._refused(answer)

    def step(self) -> None:
        """Send every pending write once (new ones first made while producing)."""
        if self.producing and len(self.pending_batches) < MAX_PENDING:
            self._new_batch()
        if self.producing and len(self.pending_ops) < MAX_PENDING:
            self._new_op()
        for batch_id, points in list(self.pending_batches.items()):
            answer = self._post("/tracks", json={"points": points}, headers={"X-Batch-Id": batch_id})
            if answer is None or self._refused(answer):
                continue
            assert answer.json() == {"accepted": len(points), "rejected": []}, answer.text
            self.acked_points.extend(round(datetime.fromisoformat(p["ts"]).timestamp() * 1000) for p in points)
            del self.pending_batches[batch_id]
        answer = self._post("/checkins", json=self.checkin)
        if answer is not None and not self._refused(answer):
            assert answer.json()["checkin_id"] == self.checkin_id, answer.text
        if self.pending_ops:
            answer = self._post("/sync", json={"ops": list(self.pending_ops.values())})
            if answer is not None and not self._refused(answer):
                for result in answer.json()["results"]:
                    op_id = result["op_id"]
                    if result["status"] in ("applied", "duplicate"):
                        self.acked_ops[op_id] = self.pending_ops.pop(op_id)["payload"]["text"]
                    elif result.get("error", {}).get("code") != "unavailable":
                        self.bad.append(f"sync op {op_id}: {result}")

    def _run(self) -> None:
        while not self.stopped.is_set():
            refused = self.statuses[503]
            try:
                self.step()
            except Exception as exc:  # surfaces in the test thread instead of dying silently
                self.bad.append(f"device loop: {exc!r}")
                return
            if self.statuses[503] > refused:
                self.stopped.wait(RETRY_PAUSE_S)  # a device backs off after "retry later"

    @property
    def pending(self) -> int:
        return len(self.pending_batches) + len(self.pending_ops)


@contextmanager
def running(loop: DeviceLoop) -> Iterator[DeviceLoop]:
    """Run the device loop in the background; stop it whatever happens."""
    loop.thread.start()
    try:
        yield loop
    finally:
        loop.stopped.set()
        loop.thread.join(timeout=60)


def _manager_on_visit(
    login: Callable[[str], httpx.Client], username: str
) -> tuple[httpx.Client, str, str, dict[str, Any], str]:
    """A manager checked in on one of today's on-site visits (unplanned tasks need the check-in);
    also the check-in's request and id, which the device loop replays."""
    manager, admin = login(username), login("admin")
    manager.timeout = httpx.Timeout(45)
    me = manager.get("/me").json()
    visits = manager.get("/visits").json()["items"]
    visit = next(v for v in visits if v["method"] == "on_site" and v["status"] == "planned")
    customer = visit["customer"]
    qr = admin.get(f"/admin/customers/{customer['id']}/qr").json()["qr"]
    checkin = {
        "op_id": str(uuid.uuid4()),
        "qr": qr,
        "lat": customer["location"]["lat"],
        "lon": customer["location"]["lon"],
        "accuracy_m": 10.0,
        "client_ts": datetime.now(TZ).isoformat(),
    }
    answer = manager.post("/checkins", json=checkin)
    assert answer.status_code == 201 and answer.json()["visit_id"] == visit["visit_id"], answer.text
    return manager, visit["visit_id"], me["id"], checkin, answer.json()["checkin_id"]


def _stored_points(run: StackRun, manager_id: str, loop: DeviceLoop) -> tuple[list[int], int]:
    """The loop's points as the checkin reader merges them, and how many rows the chunks hold in all."""
    url = run.env.get(stores.url_var("checkin")) or run.env["MONGO_URL"]
    client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        tracks = BucketStore.tracks(client[f"baifang_checkin{run.env['BAIFANG_DB_SUFFIX']}"]["track_buckets"])
        last_ms = loop.first_ms + 1000 * loop.next_point

        def ours(t: int) -> bool:
            return loop.first_ms <= t < last_ms and t % 1000 == MARK_MS

        merged = [row[0] for row in tracks.of_owner(manager_id) if ours(row[0])]
        raw = sum(
            1
            for doc in tracks.collection.find({"manager_id": manager_id})
            for t in tracks.columns[0].decode(doc.get("t"))
            if ours(t)
        )
        return merged, raw
    finally:
        client.close()


def _under_load(
    run: StackRun,
    login: Callable[[str], httpx.Client],
    username: str,
    fault: Callable[[], None],
    heal: Callable[[], None],
) -> DeviceLoop:
    """Run the device loop through fault, FAULT_SECONDS, heal; then check what was told against what is stored."""
    manager, visit_id, manager_id, checkin, checkin_id = _manager_on_visit(login, username)
    loop = DeviceLoop(manager, visit_id, checkin, checkin_id)
    prober = login(username)
    with running(loop):
        wait_until(lambda: loop.successes >= 4 or bool(loop.bad), timeout=60, what="the load runs")
        fault()
        loop.in_fault = True
        began = time.monotonic()
        try:
            loop.probe(prober)
            time.sleep(max(0.0, FAULT_SECONDS - (time.monotonic() - began)))  # the deliberate fault duration
        finally:
            heal()
        before = loop.successes
        wait_until(lambda: loop.successes >= before + 4 or bool(loop.bad), timeout=90, what="requests succeed again")
        loop.in_fault = False
        loop.producing = False
        wait_until(lambda: loop.pending == 0 or bool(loop.bad), timeout=90, what="every write acknowledged")
    assert not loop.bad, loop.bad
    assert loop.pending == 0
    # Clear refusals from the fault on (until requests succeed again), not a stall until it came back.
    assert loop.refused_in_fault > 0, f"no 503 with Retry-After during the fault: {dict(loop.statuses)}, {loop.log}"

    wait_until(lambda: queued_messages(run.vhost) == 0, timeout=120, interval=0.5, what="queues drained")
    acked = sorted(loop.acked_points)
    assert len(acked) == len(set(acked))
    wait_until(
        lambda: len(_stored_points(run, manager_id, loop)[0]) >= len(acked),
        timeout=60,
        interval=0.5,
        what="acknowledged points stored",
    )
    merged, raw = _stored_points(run, manager_id, loop)
    assert merged == acked
    assert raw == len(acked), "a point was stored twice"

    texts = [u["text"] for u in manager.get(f"/visits/{visit_id}").json()["unplanned_tasks"]]
    ours = Counter(t for t in texts if t.startswith("故障演练 "))
    assert ours == Counter(loop.acked_ops.values()), "an acknowledged op lost or applied twice"
    print(
        f"{username}: answers {dict(loop.statuses)}, {loop.refused_in_fault} clear 503s during the fault,"
        f" {len(acked)} points, {len(loop.acked_ops)} ops"
    )
    return loop


def _infra_pid(pid_file: str, program: str, port: int) -> int:
    """The pid of an infra.sh process serving `port`, or skip when this run's infrastructure is not ours."""
    path = ROOT / "var" / "run" / pid_file
    try:
        pid = int(path.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError, IndexError):
        pytest.skip(f"no {program} started by scripts/infra.sh from this checkout ({path})")
    if program not in cmdline or str(port) not in cmdline:
        pytest.skip(f"{path} names pid {pid}, not the {program} on port {port} this run uses")
    return pid


def _freeze(pid: int) -> tuple[Callable[[], None], Callable[[], None]]:
    return (lambda: os.kill(pid, signal.SIGSTOP)), (lambda: os.kill(pid, signal.SIGCONT))


def test_the_checkin_grpc_server_crashes_and_restarts_under_load(stack_run: StackRun, login) -> None:
    loop = _under_load(
        stack_run, login, "m011", lambda: stack_run.kill("checkin-grpc"), lambda: stack_run.restart("checkin-grpc")
    )
    assert loop.statuses[503] > 0, "the crash was never noticed"


def test_redis_freezes_for_a_while_under_load(stack_run: StackRun, login) -> None:
    port = urlsplit(stack_run.env["REDIS_URL"]).port or 6379
    fault, heal = _freeze(_infra_pid("redis.pid", "redis-server", port))
    _under_load(stack_run, login, "m012", fault, heal)


def test_the_checkin_store_freezes_for_a_while_under_load(stack_run: StackRun, login) -> None:
    url = stack_run.env.get(stores.url_var("checkin")) or stack_run.env["MONGO_URL"]
    port = urlsplit(url).port or 27017
    fault, heal = _freeze(_infra_pid("mongo-checkin.pid", "nx-27017", port))
    _under_load(stack_run, login, "m013", fault, heal)
