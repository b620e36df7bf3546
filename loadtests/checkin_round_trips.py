"""Round trips of one check-in, counted exactly: store commands, Redis calls, gRPC calls, event publishes.

    .venv/bin/python loadtests/checkin_round_trips.py            # needs RabbitMQ, Redis, stores (scripts/infra.sh)
    .venv/bin/python loadtests/checkin_round_trips.py --json

Latency on this stack is mostly round trips (a store command costs 2-3 ms on NX-27017), and a
count does not depend on what else the machine runs, unlike a timing. The gateway, the checkin
gRPC servicer and the planning gRPC servicer run in this one process, each with its own clients,
against the real infrastructure in a throw-away vhost, database suffix and key prefix (the test
isolation), over a small demo plan. Each command is put down to the process that sent it: the
gRPC servicer running on the calling thread, else the gateway.

Cases, each counted from the gateway's answer back to the next request:
* `first`: the first check-in of a planned visit (the hot path of the morning), scanned without
  choosing the visit first;
* `first-chosen`: the same with the visit chosen before the scan (`visit_id` in the request);
* `replay`: the same request again (same op_id), answered with the first answer;
* `second`: a new op_id at the same, now checked-in, visit, answered with its first check-in.

A warm-up check-in of another visit runs first, so connections exist and the gateway's cache of
accounts (ActiveUsers, one store read per account every 30 s) is warm: the figures are the steady
state. Workers are not started: what the `checkin.recorded` event costs its consumers is not counted.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from typing import Any

import orjson
import redis
import redis.asyncio
import redis.asyncio.client
import redis.client
from fastapi.testclient import TestClient
from pymongo import monitoring

from baifang_common.demo import demo_org
from baifang_common.grpc_server import Servicer, start
from baifang_common.publisher import EventPublisher
from baifang_common.settings import ServiceSettings
from baifang_common.testing.plugin import create_vhost, delete_vhost, drop_isolated, isolated_env, store_url_for, unique
from baifang_common.timeutil import today
from checkin import bootstrap as checkin_bootstrap
from checkin.grpc_api import servicer as checkin_servicer
from checkin.settings import CheckinSettings
from gateway.demo import load_demo
from gateway.main import create_app
from gateway.settings import GatewaySettings
from planning import demo as planning_demo
from planning.bootstrap import build_grpc
from planning.grpc_api import servicer as planning_servicer
from planning.settings import PlanningSettings

Tally = Counter[tuple[str, str, str]]  # (process, kind, name) → calls

GATEWAY = "gateway"
_local = threading.local()


def _process() -> str:
    """The process a call belongs to: the servicer running on this thread, else the gateway."""
    return getattr(_local, "process", GATEWAY)


class Counting(monitoring.CommandListener):
    """Every command any MongoClient of this process sends (registered before any client exists)."""

    def __init__(self) -> None:
        self.tally: Tally = Counter()
        self.on = False

    def add(self, kind: str, name: str) -> None:
        if self.on:
            self.tally[(_process(), kind, name)] += 1

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        what = f"{event.command_name} {collection}" if isinstance(collection, str) else event.command_name
        self.add("store", what)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COUNTER = Counting()
monitoring.register(COUNTER)


def _patch(cls: type, method: str, kind: str, name: Callable[..., str]) -> None:
    original = getattr(cls, method)
    if getattr(original, "_counted", False):
        return
    if inspect.iscoroutinefunction(original):

        @wraps(original)
        async def counted_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            COUNTER.add(kind, name(self, *args))
            return await original(self, *args, **kwargs)

        counted_async._counted = True  # type: ignore[attr-defined]
        setattr(cls, method, counted_async)
        return

    @wraps(original)
    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        COUNTER.add(kind, name(self, *args))
        return original(self, *args, **kwargs)

    counted._counted = True  # type: ignore[attr-defined]
    setattr(cls, method, counted)


def _pipeline_name(pipe: Any, *_: Any) -> str:
    return "pipeline(" + ",".join(str(c[0][0]) for c in pipe.command_stack) + ")"


def _event_names(events: Any) -> str:
    return ",".join(type(e).__name__ for e in events)


def instrument() -> None:
    """Count Redis round trips (a command, or a whole pipeline) and confirmed event publishes."""
    _patch(redis.client.Redis, "execute_command", "redis", lambda _self, *a: str(a[0]))
    _patch(redis.client.Pipeline, "execute", "redis", _pipeline_name)
    # A pipeline carrying a script first asks whether the script is loaded, in a round trip of its own.
    _patch(redis.client.Pipeline, "immediate_execute_command", "redis", lambda _self, *a: str(a[0]))
    _patch(redis.asyncio.client.Redis, "execute_command", "redis", lambda _self, *a: str(a[0]))
    _patch(redis.asyncio.client.Pipeline, "execute", "redis", _pipeline_name)
    _patch(EventPublisher, "publish_many", "publish", lambda _self, events: _event_names(events))


def tag_servicer(servicer: Any, process: str) -> None:
    """Every RPC method of the servicer counts as one gRPC call and puts what it sends down to `process`."""
    for name in dir(type(servicer)):
        if not name[:1].isupper():
            continue
        method = getattr(servicer, name)
        if not callable(method):
            continue

        def tagged(request: Any, context: Any, _method: Any = method, _name: str = name) -> Any:
            outer = getattr(_local, "process", None)
            _local.process = process
            COUNTER.add("grpc served", _name)
            try:
                return _method(request, context)
            finally:
                _local.process = outer if outer is not None else GATEWAY

        setattr(servicer, name, tagged)


@contextmanager
def counting() -> Iterator[Tally]:
    """The calls made inside the block."""
    COUNTER.tally = Counter()
    COUNTER.on = True
    try:
        yield COUNTER.tally
    finally:
        COUNTER.on = False


# --- the stack in one process ------------------------------------------------------------------


class Stack:
    """The gateway (TestClient), checkin and planning servicers on the real infrastructure, isolated."""

    def __init__(self, managers: int, customers: int) -> None:

        self.vhost = unique("rt-")
        self.env = isolated_env(ServiceSettings(), create_vhost(self.vhost))
        self.managers = managers
        self.customers = customers
        self._close: list[Callable[[], None]] = []

    def settings(self, cls: type, **overrides: Any) -> Any:

        values = {
            "amqp_uri": self.env["AMQP_URI"],
            "redis_url": self.env["REDIS_URL"],
            "mongo_url": store_url_for(cls, self.env),
            "db_suffix": self.env["BAIFANG_DB_SUFFIX"],
            "key_prefix": self.env["BAIFANG_KEY_PREFIX"],
        }
        return cls(**{**values, **overrides})

    def start(self) -> TestClient:
        """The gateway's TestClient, in front of the two servicers."""
        org = demo_org(managers=self.managers)
        planning_settings = self.settings(PlanningSettings)
        day = today(planning_settings.timezone)
        planning_demo.load_demo(planning_settings, org, today=day, reset=True, customers=self.customers, publish=False)
        planning_deps = build_grpc(planning_settings)
        self._close.append(planning_deps.close)
        planning_addr = self._serve(planning_servicer(planning_deps), "planning")
        checkin_deps = checkin_bootstrap.build_grpc(self.settings(CheckinSettings, planning_addr=planning_addr))
        self._close.append(checkin_deps.close)
        checkin_addr = self._serve(checkin_servicer(checkin_deps), "checkin")
        gateway_settings = self.settings(
            GatewaySettings,
            demo_password=PASSWORD,
            jwt_secret="round-trips-" + "x" * 40,
            planning_addr=planning_addr,
            checkin_addr=checkin_addr,
        )
        load_demo(gateway_settings, org, today=day, reset=True)
        client = TestClient(create_app(gateway_settings), raise_server_exceptions=True)
        client.__enter__()
        self._close.append(lambda: client.__exit__(None, None, None))
        return client

    def _serve(self, servicer: Servicer, process: str) -> str:
        """Serve one service's servicer, its calls put down to `process`; its address."""
        tag_servicer(servicer.servicer, process)
        server = start([servicer])
        server.set_serving(True)
        self._close.append(lambda: server.stop(grace=1.0))
        return f"127.0.0.1:{server.port}"

    def close(self) -> None:

        for close in reversed(self._close):
            close()
        drop_isolated(self.env)
        delete_vhost(self.vhost)


PASSWORD = "round-trips"


def _checkin_body(qr: str, location: dict[str, float]) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "qr": qr,
        "lat": location["lat"],
        "lon": location["lon"],
        "accuracy_m": 10,
        "client_ts": datetime.now(UTC).isoformat(),
    }


def measure(client: Any) -> dict[str, Tally]:
    """The calls of each case (module docstring), after a warm-up check-in."""

    def headers(user: str) -> dict[str, str]:
        answer = client.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD})
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    manager, admin = headers("m001"), headers("admin")
    planned = [v for v in client.get("/api/v1/visits", headers=manager).json()["items"] if v["status"] == "planned"]
    if len(planned) < 3:
        raise SystemExit("round trips: the demo plan of m001 has fewer than three planned visits")

    def body_for(visit: dict[str, Any]) -> dict[str, Any]:
        customer = visit["customer"]
        qr = client.get(f"/api/v1/admin/customers/{customer['id']}/qr", headers=admin).json()["qr"]
        return _checkin_body(qr, customer["location"])

    warm, first = body_for(planned[0]), body_for(planned[1])
    chosen = {**body_for(planned[2]), "visit_id": planned[2]["visit_id"]}

    def post(body: dict[str, Any]) -> None:
        answer = client.post("/api/v1/checkins", json=body, headers=manager)
        if answer.status_code != 201:
            raise SystemExit(f"round trips: a check-in answered {answer.status_code}: {answer.text[:300]}")

    post(warm)
    cases: dict[str, Tally] = {}
    for case, body in (
        ("first", first),
        ("first-chosen", chosen),
        ("replay", first),
        ("second", {**first, "op_id": str(uuid.uuid4())}),
    ):
        with counting() as tally:
            post(body)
        cases[case] = Counter(tally)
    return cases


def report(cases: dict[str, Tally]) -> list[str]:
    """One block per case: totals per process and kind, then each call by name."""
    lines = []
    for case, tally in cases.items():
        totals: Counter[tuple[str, str]] = Counter()
        for (process, kind, _name), n in tally.items():
            totals[(process, kind)] += n
        summary = ", ".join(f"{p} {k} {n}" for (p, k), n in sorted(totals.items()))
        lines.append(f"{case}: {summary}")
        for (process, kind, name), n in sorted(tally.items()):
            lines.append(f"  {process:<9}{kind:<13}{n:>3}  {name}")
    return lines


def as_json(cases: dict[str, Tally]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for case, tally in cases.items():
        totals: Counter[str] = Counter()
        for (process, kind, _name), n in tally.items():
            totals[f"{process} {kind}"] += n
        out[case] = dict(sorted(totals.items()))
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--managers", type=int, default=4, help="demo managers (default 4)")
    p.add_argument("--customers", type=int, default=40, help="demo outlets (default 40)")
    p.add_argument("--json", action="store_true", help="also print one JSON line of the totals")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    instrument()
    stack = Stack(args.managers, args.customers)
    try:
        client = stack.start()
        cases = measure(client)
    finally:
        stack.close()
    print("\n".join(report(cases)))
    if args.json:
        print(orjson.dumps(as_json(cases)).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
