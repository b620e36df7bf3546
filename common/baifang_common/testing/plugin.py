"""pytest plugin: real RabbitMQ, Redis and Mongo-compatible stores, isolated by unique names.

Each service's settings and processes get that service's own store (baifang_common.stores:
one NX-27017 process per service locally, or whatever `<SERVICE>_MONGO_URL` / `MONGO_URL` say).

Missing infrastructure fails the session with a message naming `make test` /
`scripts/infra.sh ensure`; nothing is skipped and nothing is faked.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from base64 import b64encode
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import grpc
import kombu
import pytest
import redis as redis_lib
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from baifang_common import stores
from baifang_common.grpc_server import RunningServer, Servicer, start
from baifang_common.settings import ServiceSettings
from baifang_common.testing.wait import wait_until

DEFAULTS = ServiceSettings()
_AMQP = urllib.parse.urlsplit(DEFAULTS.amqp_uri)
# The broker's management API, as the AMQP_URI user (an administrator on the local stack).
MANAGEMENT_URL = os.environ.get(
    "RABBITMQ_MANAGEMENT_URL",
    f"http://{_AMQP.username}:{_AMQP.password}@127.0.0.1:{os.environ.get('RABBITMQ_MGMT_PORT', '15672')}",
)
REPO_ROOT = Path(__file__).resolve().parents[3]


def unique(prefix: str = "t") -> str:
    """Unique ids for domain objects and resource names (cosmicpython's random_refs)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _management(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    parsed = urllib.parse.urlsplit(MANAGEMENT_URL)
    url = f"{parsed.scheme}://{parsed.hostname}:{parsed.port}/api/{path}"
    credentials = f"{urllib.parse.unquote(parsed.username or '')}:{urllib.parse.unquote(parsed.password or '')}"
    auth = b64encode(credentials.encode()).decode()
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def create_vhost(vhost: str) -> str:
    """A RabbitMQ vhost the AMQP_URI user may use; returns its AMQP URI."""
    quoted = urllib.parse.quote(vhost, safe="")
    user = urllib.parse.quote(urllib.parse.unquote(_AMQP.username or ""), safe="")
    _management("PUT", f"vhosts/{quoted}", {})
    _management("PUT", f"permissions/{quoted}/{user}", {"configure": ".*", "write": ".*", "read": ".*"})
    return _amqp_uri_with_vhost(vhost)


def _vhost_path(amqp_uri: str) -> str:
    """The vhost of `amqp_uri` as the management API's paths spell it."""
    vhost = urllib.parse.unquote(urllib.parse.urlsplit(amqp_uri).path.lstrip("/")) or "/"
    return urllib.parse.quote(vhost, safe="")


def declared_queues(amqp_uri: str) -> set[str]:
    """The names of the queues that exist in the vhost of `amqp_uri` (management API)."""
    queues = _management("GET", f"queues/{_vhost_path(amqp_uri)}?columns=name") or []
    return {queue["name"] for queue in queues}


def consumer_prefetch(amqp_uri: str) -> dict[str, int]:
    """Each queue's consumer prefetch in the vhost of `amqp_uri` (management API; the highest when
    a queue has several): a batched consumer asks for twice its largest batch."""
    out: dict[str, int] = {}
    for consumer in _management("GET", f"consumers/{_vhost_path(amqp_uri)}") or []:
        name = consumer["queue"]["name"]
        out[name] = max(out.get(name, 0), int(consumer.get("prefetch_count", 0)))
    return out


def queued_messages(vhost: str) -> int:
    """Messages waiting in the vhost's queues right now (ready or unacknowledged).

    Queue names come from the management API, counts from passive declares: the API's own
    counts are refreshed only every few seconds.
    """
    queues = _management("GET", f"queues/{urllib.parse.quote(vhost, safe='')}?columns=name,messages_unacknowledged")
    total = 0
    with kombu.Connection(_amqp_uri_with_vhost(vhost)) as conn:
        channel = conn.channel()
        for queue in queues or []:
            if queue["name"].endswith(".dlq"):
                continue
            declared = channel.queue_declare(queue=queue["name"], passive=True)
            total += declared.message_count
            with contextlib.suppress(Exception):
                total += int(queue.get("messages_unacknowledged") or 0)
    return total


def delete_vhost(vhost: str) -> None:
    with contextlib.suppress(urllib.error.URLError):
        _management("DELETE", f"vhosts/{urllib.parse.quote(vhost, safe='')}")


def store_urls(env: dict[str, str]) -> list[str]:
    """Every store an isolated run may have written to (the shared one and each service's)."""
    return list(dict.fromkeys(v for k, v in env.items() if k == "MONGO_URL" or k.endswith("_MONGO_URL")))


def drop_isolated(env: dict[str, str]) -> None:
    """Remove the databases and Redis keys of an isolated run."""
    for url in store_urls(env):
        mongo: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=3000)
        try:
            for name in mongo.list_database_names():
                if name.endswith(env["BAIFANG_DB_SUFFIX"]):
                    _drop_database(mongo, name)
        except PyMongoError as exc:  # a store a test stopped on purpose, or one already gone
            warnings.warn(f"could not clean up the store at {url}: {exc}", stacklevel=2)
        finally:
            mongo.close()
    r = redis_lib.Redis.from_url(env["REDIS_URL"])
    keys = list(r.scan_iter(match=env["BAIFANG_KEY_PREFIX"] + "*", count=1000))
    if keys:
        r.delete(*keys)


def _drop_database(mongo: MongoClient[dict[str, Any]], name: str) -> None:
    """NX-27017 now and then answers a drop with "disk I/O error" under load: retry, then warn.

    A leftover uniquely named test database harms nobody; a cleanup error must not fail a test.
    """
    for attempt in range(5):
        try:
            mongo.drop_database(name)
            return
        except PyMongoError as exc:
            last = exc
            time.sleep(0.2 * (attempt + 1))
    warnings.warn(f"could not drop test database {name}: {last}", stacklevel=2)


def service_store_env() -> dict[str, str]:
    """`<SERVICE>_MONGO_URL` of every service placed on its own store (explicitly or locally)."""
    names = [stores.url_var(s) for s in stores.SERVICES]
    explicit = {name: os.environ[name] for name in names if os.environ.get(name)}
    return {**stores.service_urls(os.environ), **explicit}


def isolated_env(infra: ServiceSettings, amqp_uri: str) -> dict[str, str]:
    token = unique("")
    return {
        "AMQP_URI": amqp_uri,
        "REDIS_URL": infra.redis_url,
        "MONGO_URL": infra.mongo_url,
        **service_store_env(),
        "BAIFANG_DB_SUFFIX": f"_test_{token}",
        "BAIFANG_KEY_PREFIX": f"test{token}:",
    }


def store_url_for(cls: type[ServiceSettings], env: dict[str, str]) -> str:
    """The store a service of class `cls` uses in an isolated run (its own, else the shared one)."""
    return env.get(stores.url_var(cls.service)) or env["MONGO_URL"]


def _amqp_uri_with_vhost(vhost: str) -> str:
    base = DEFAULTS.amqp_uri.rstrip("/")
    scheme, rest = base.split("://", 1)
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{urllib.parse.quote(vhost, safe='')}"


@pytest.fixture(scope="session")
def infra() -> ServiceSettings:
    """Fail loudly, once, when RabbitMQ, Redis or the store is not there."""
    problems = []
    try:
        with kombu.Connection(DEFAULTS.amqp_uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        problems.append(f"RabbitMQ at {DEFAULTS.amqp_uri}: {exc}")
    try:
        _management("GET", "overview")
    except Exception as exc:
        problems.append(f"RabbitMQ management API at {MANAGEMENT_URL}: {exc}")
    try:
        redis_lib.Redis.from_url(DEFAULTS.redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:
        problems.append(f"Redis at {DEFAULTS.redis_url}: {exc}")
    for url in store_urls({"MONGO_URL": DEFAULTS.mongo_url, **service_store_env()}):
        try:
            MongoClient(url, serverSelectionTimeoutMS=3000).admin.command("ping")
        except Exception as exc:
            problems.append(f"MongoDB-compatible store at {url}: {exc}")
    if problems:
        pytest.fail(
            "test infrastructure is not running; run the tests with `make test` "
            "(or start it with `scripts/infra.sh ensure`):\n  " + "\n  ".join(problems),
            pytrace=False,
        )
    return DEFAULTS


@pytest.fixture
def amqp_uri(infra: ServiceSettings) -> Iterator[str]:
    """A fresh RabbitMQ vhost per test (nameko's rabbit_config idea), deleted afterwards."""
    vhost = unique("test-")
    yield create_vhost(vhost)
    delete_vhost(vhost)


@pytest.fixture
def isolation(infra: ServiceSettings, amqp_uri: str) -> Iterator[dict[str, str]]:
    """Environment of an isolated run: own vhost, database suffix and Redis key prefix."""
    env = isolated_env(infra, amqp_uri)
    yield env
    drop_isolated(env)


@pytest.fixture
def settings_for(isolation: dict[str, str]) -> Callable[..., Any]:
    """Build a service's settings bound to this test's isolated names."""

    def make(cls: type[ServiceSettings], **overrides: Any) -> Any:
        values: dict[str, Any] = {
            "amqp_uri": isolation["AMQP_URI"],
            "redis_url": isolation["REDIS_URL"],
            "mongo_url": store_url_for(cls, isolation),
            "db_suffix": isolation["BAIFANG_DB_SUFFIX"],
            "key_prefix": isolation["BAIFANG_KEY_PREFIX"],
        }
        return cls(**{**values, **overrides})

    return make


class EventProbe:
    """A temporary queue bound to an exchange; collects the bodies published to it."""

    def __init__(self, amqp_uri: str, producer: str, routing_key: str) -> None:
        self.conn = kombu.Connection(amqp_uri)
        exchange = kombu.Exchange(f"{producer}.events", type="topic", durable=True)
        self.queue = kombu.Queue(unique("probe-"), exchange=exchange, routing_key=routing_key, exclusive=True)
        self.bodies: list[dict[str, Any]] = []
        self.consumer = kombu.Consumer(self.conn.channel(), queues=[self.queue], callbacks=[self._on], accept=["json"])
        self.consumer.consume()

    def _on(self, body: dict[str, Any], message: Any) -> None:
        self.bodies.append(body)
        message.ack()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        def enough() -> bool:
            with contextlib.suppress(TimeoutError):
                self.conn.drain_events(timeout=0.1)
            return len(self.bodies) >= count

        wait_until(enough, timeout=timeout, interval=0, what=f"{count} event(s) on {self.queue.routing_key}")
        return list(self.bodies)

    def settle(self, count: int) -> list[dict[str, Any]]:
        """The events seen once `count` arrived, plus any stragglers published right behind them."""
        self.wait(count)
        for _ in range(5):
            with contextlib.suppress(TimeoutError):
                self.conn.drain_events(timeout=0.1)
        return list(self.bodies)

    def close(self) -> None:
        self.conn.release()


@pytest.fixture
def event_probe(amqp_uri: str) -> Iterator[Callable[[str, str], EventProbe]]:
    probes: list[EventProbe] = []

    def make(producer: str, routing_key: str = "#") -> EventProbe:
        probe = EventProbe(amqp_uri, producer, routing_key)
        probes.append(probe)
        return probe

    yield make
    for probe in probes:
        probe.close()


@pytest.fixture
def grpc_server() -> Iterator[Callable[[Sequence[Servicer]], tuple[RunningServer, grpc.Channel]]]:
    """Start the real server with the house interceptors on a free port; yields a channel."""
    started: list[tuple[RunningServer, grpc.Channel]] = []

    def make(servicers: Sequence[Servicer]) -> tuple[RunningServer, grpc.Channel]:
        server = start(servicers, port=0, host="127.0.0.1")
        server.set_serving(True)
        chan = grpc.insecure_channel(f"127.0.0.1:{server.port}")
        started.append((server, chan))
        return server, chan

    yield make
    for server, chan in started:
        chan.close()
        server.stop(grace=1.0)


def consume_until(consumer: Any, done: Callable[[], bool], timeout: float = 30.0) -> None:
    """Run a baifang_common.batching.BatchConsumer in a thread until `done()`, then stop it.

    Whatever the consumer raised (a test's simulated crash included) is raised here.
    """
    stop = threading.Event()
    raised: list[BaseException] = []

    def run() -> None:
        try:
            consumer.run(stop.is_set)
        except BaseException as exc:  # handed to the test thread
            raised.append(exc)

    thread = threading.Thread(target=run, name="batch-consumer", daemon=True)
    thread.start()
    try:
        wait_until(lambda: bool(raised) or done(), timeout=timeout, interval=0.05, what="the consumer's work")
    finally:
        stop.set()
        thread.join(timeout=15)
    if raised:
        raise raised[0]


class StoreProcess:
    """An NX-27017 store of a test's own, on a free port, that the test may stop and start again."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = stores.local_url(self.port)
        self.proc: subprocess.Popen[bytes] | None = None

    def answers(self) -> bool:
        client: MongoClient[dict[str, Any]] = MongoClient(self.url, serverSelectionTimeoutMS=300)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def start(self) -> StoreProcess:
        binary = Path(sys.executable).with_name("nx-27017")
        log = open(self.data_dir / "store.log", "ab")  # noqa: SIM115 - the child keeps it open
        self.proc = subprocess.Popen(
            [str(binary), "--host", "127.0.0.1", "-p", str(self.port), "--data-dir", str(self.data_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(self.answers, timeout=30, interval=0.1, what=f"the test store on port {self.port}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None


@pytest.fixture
def store_process(tmp_path: Path) -> Iterator[StoreProcess]:
    """A running store process of the test's own (`.stop()` / `.start()` to cut and restore it)."""
    store = StoreProcess(tmp_path).start()
    yield store
    store.stop()


@pytest.fixture
def spawn_process(isolation: dict[str, str]) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Run `python -m <module> <command>` as a real process and wait for its /readyz.

    Depends on `isolation` so the processes stop before their vhost and databases go.
    """
    procs: list[subprocess.Popen[bytes]] = []

    def make(module: str, command: str, env: dict[str, str], timeout: float = 40.0) -> subprocess.Popen[bytes]:
        metrics_port = free_port()
        full_env = {**os.environ, **env, "METRICS_PORT": str(metrics_port)}
        if command == "grpc":
            full_env.setdefault("GRPC_PORT", str(free_port()))
        log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"{module}-{command}-{metrics_port}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", module, command], env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT
        )
        procs.append(proc)
        proc.metrics_port = metrics_port  # type: ignore[attr-defined]
        proc.log_path = log.name  # type: ignore[attr-defined]

        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"{module} {command} exited: {Path(log.name).read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/readyz", timeout=1) as resp:
                    return bool(resp.status == 200)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        wait_until(ready, timeout=timeout, interval=0.2, what=f"{module} {command} ready")
        return proc

    yield make
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
