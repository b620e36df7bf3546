"""Ingestion benchmark against a running stack (`make up`): GPS points/s, check-ins/s, sink rate.

    .venv/bin/python loadtests/bench_ingest.py            # or: make bench (about 3 minutes)
    .venv/bin/python loadtests/bench_ingest.py --quick    # 2-s runs, a smoke test
    .venv/bin/python loadtests/bench_ingest.py --half-rate --batches 1000

Figures (issue 3):
* POST /api/v1/tracks, JSON and (when protos define `TrackBatch`) protobuf, with 1, 4 and 16
  concurrent clients (closed loop: each sends its next batch when the previous is answered)
  and batches of 100 and 1000 points: points/s accepted, batch latency p50/p95/p99;
* POST /api/v1/checkins with 1, 4 and 16 clients: check-ins/s and p50/p95/p99;
* the sink rate: points/s counted as stored by the checkin worker's Prometheus counter;
* with --half-rate (or --rate), the p99 at a fixed offered rate (open loop, latency counted
  from the scheduled send time so that a stall is not hidden).

Each run is bounded by --seconds and by a pre-generated payload pool; payloads are built
before timing starts. Every batch goes out under one of the demo managers m001..m050 in
turn, and each (manager, batch) pair is sent once: the server drops points of the same
manager and timestamp as duplicates, so timestamps are unique per manager across runs and
invocations (a cursor in loadtests/reports/ remembers the last one used).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from common import (
    ADMIN,
    API,
    BASE_URL,
    JSON_HEADERS,
    MANAGERS,
    PROTOBUF_TYPE,
    TZ,
    auth_headers,
    checkin_body,
    error_code,
    location_of,
    login_body,
    make_track_points,
    workable,
)

REPORTS = Path(__file__).resolve().parent / "reports"
TS_CURSOR = REPORTS / ".bench_ts_cursor"
DEFAULT_SINK_URL = "http://127.0.0.1:9104/metrics"  # the checkin worker's ops port under `make up`
DEFAULT_SINK_METRIC = 'baifang_ingest_points_total{kind="track",result="stored"}'
TARGETS = {100: 20_000, 1000: 50_000}  # issue 3: points/s accepted durably per batch size
HALF_RATE_P99_MS = 100.0


# --- small helpers ----------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(math.ceil(q / 100.0 * len(sorted_values)), 1)
    return sorted_values[rank - 1]


def csv_ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


@dataclass
class RunResult:
    """One timed run: what was sent, what came back, how long each took (seconds)."""

    label: str
    batch: int = 1
    clients: int = 1
    requests: int = 0
    accepted: int = 0
    rejected: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    reject_reasons: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: float = 0.0
    exhausted: bool = False
    offered: float = 0.0  # points/s (open loop only)
    sink_rate: float | None = None
    drain_s: float | None = None
    extra: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.accepted / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        return percentile(sorted(self.latencies), q) * 1000.0

    def error_text(self) -> str:
        return ", ".join(f"{n}x {k}" for k, n in self.errors.most_common(3))


def record_error(result: RunResult, resp: Any, exc: BaseException | None = None) -> None:
    if exc is not None:
        result.errors[type(exc).__name__] += 1
    elif resp is not None:
        result.errors[f"{resp.status_code} {error_code(resp.content) or ''}".strip()] += 1


# --- sessions and demo data -------------------------------------------------------------------


async def login(client: httpx.AsyncClient, username: str) -> str:
    resp = await client.post(f"{API}/auth/login", content=login_body(username), headers=JSON_HEADERS)
    if resp.status_code != 200:
        raise SystemExit(f"bench: login as {username} answered {resp.status_code}: {resp.text[:200]}")
    return str(orjson.loads(resp.content)["access_token"])


async def gather_limited(coros: Sequence[Any], limit: int = 8) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


async def login_all(client: httpx.AsyncClient, usernames: Sequence[str]) -> dict[str, str]:
    tokens = await gather_limited([login(client, u) for u in usernames])
    return dict(zip(usernames, tokens, strict=True))


async def qr_codes_of(client: httpx.AsyncClient, customer_ids: set[str]) -> dict[str, str]:
    """The QR payload of each outlet, read once through the admin API."""
    admin = await login(client, ADMIN)
    codes: dict[str, str] = {}

    async def one(cid: str) -> None:
        resp = await client.get(f"{API}/admin/customers/{cid}/qr", headers=auth_headers(admin))
        if resp.status_code != 200:
            raise SystemExit(f"bench: GET /admin/customers/{cid}/qr answered {resp.status_code}")
        codes[cid] = orjson.loads(resp.content)["qr"]

    await gather_limited([one(c) for c in sorted(customer_ids)])
    return codes


# --- protobuf (only when protos define TrackBatch) --------------------------------------------

TS_NAMES = ("ts", "ts_ms", "ts_unix_ms", "fix_ts", "timestamp", "time")


class ProtobufEncoder:
    """Builds `baifang.checkin.v1.TrackBatch` bodies from point dicts, mapping fields by name."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.batch_cls = module.TrackBatch
        fields = self.batch_cls.DESCRIPTOR.fields
        repeated = [f for f in fields if f.message_type is not None and f.is_repeated]
        if not repeated:
            raise ValueError("TrackBatch has no repeated message field")
        self.points_field = repeated[0].name
        self.point_fields = repeated[0].message_type.fields_by_name
        self.ts_field = next((self.point_fields[n] for n in TS_NAMES if n in self.point_fields), None)
        if self.ts_field is None:
            raise ValueError(f"no timestamp field among {sorted(self.point_fields)}")
        self.answer_cls = next(
            (
                getattr(module, name)
                for name in sorted(module.DESCRIPTOR.message_types_by_name, key=lambda n: ("Track" not in n, n))
                if "accepted" in module.DESCRIPTOR.message_types_by_name[name].fields_by_name
            ),
            None,
        )

    def describe(self) -> str:
        ts = self.ts_field
        kind = ts.message_type.full_name if ts.message_type else ts.type
        return f"TrackBatch.{self.points_field}[], time in .{ts.name} ({kind})"

    def encode(self, points: Sequence[dict[str, Any]], moments: Sequence[datetime]) -> bytes:
        """A TrackBatch of `points` (positions) taken at `moments`."""
        batch = self.batch_cls()
        out = getattr(batch, self.points_field)
        ts = self.ts_field
        names = [n for n in ("lat", "lon", "accuracy_m", "speed_mps", "heading") if n in self.point_fields]
        for p, moment in zip(points, moments, strict=True):
            msg = out.add()
            for name in names:
                setattr(msg, name, p[name])
            if ts.message_type is not None:  # google.protobuf.Timestamp
                stamp = getattr(msg, ts.name)
                stamp.seconds, micros = divmod(int(moment.timestamp() * 1000 + 0.5) * 1000, 1_000_000)
                stamp.nanos = micros * 1000
            elif ts.type == ts.TYPE_STRING:
                setattr(msg, ts.name, moment.isoformat(timespec="milliseconds"))
            elif ts.type == ts.TYPE_DOUBLE:
                setattr(msg, ts.name, moment.timestamp())
            else:  # integer: milliseconds since the epoch
                setattr(msg, ts.name, int(moment.timestamp() * 1000 + 0.5))
        return batch.SerializeToString()

    def decode_answer(self, content: bytes) -> tuple[int, list[Any]] | None:
        if self.answer_cls is None:
            return None
        answer = self.answer_cls.FromString(content)
        rejected = list(getattr(answer, "rejected", []))
        return int(answer.accepted), [getattr(r, "reason", "") for r in rejected]


def protobuf_encoder() -> tuple[ProtobufEncoder | None, str]:
    try:
        from baifang.checkin.v1 import checkin_pb2
    except ImportError as exc:
        return None, f"protobuf variant skipped: cannot import baifang.checkin.v1.checkin_pb2 ({exc})"
    if not hasattr(checkin_pb2, "TrackBatch"):
        return None, "protobuf variant skipped: baifang.checkin.v1.checkin_pb2 has no TrackBatch message yet"
    try:
        encoder = ProtobufEncoder(checkin_pb2)
    except ValueError as exc:
        return None, f"protobuf variant skipped: {exc}"
    return encoder, f"protobuf variant: {encoder.describe()}"


# --- timestamps: unique per manager, near now -------------------------------------------------


class TimestampCursor:
    """Hands out disjoint ranges of point timestamps (ms) near now, remembered across invocations."""

    WINDOW_BACK = timedelta(minutes=55)
    WINDOW_AHEAD = timedelta(minutes=4)  # the API refuses points more than 5 minutes ahead

    def __init__(self) -> None:
        now = datetime.now(TZ)
        self.next = now - self.WINDOW_BACK
        with contextlib.suppress(OSError, ValueError):
            saved = datetime.fromisoformat(TS_CURSOR.read_text().strip())
            self.next = max(self.next, saved)
        self.warned = False

    def take(self, span_ms: int) -> datetime:
        now = datetime.now(TZ)
        if self.next + timedelta(milliseconds=span_ms) > now + self.WINDOW_AHEAD:
            if not self.warned:
                print("  note: timestamps near now are used up by earlier runs; points may be dropped as duplicates")
                self.warned = True
            self.next = now - self.WINDOW_BACK
        start = self.next
        self.next = start + timedelta(milliseconds=span_ms + 1)
        return start

    def give_back(self, until: datetime) -> None:
        """The last range was used only up to `until`: the rest is free again."""
        self.next = min(self.next, until + timedelta(milliseconds=1))

    def save(self) -> None:
        REPORTS.mkdir(parents=True, exist_ok=True)
        TS_CURSOR.write_text(self.next.isoformat())


# --- GPS tracks ---------------------------------------------------------------------------------


@dataclass
class TrackPool:
    """Pre-built bodies; request n goes out as body n // M under manager n % M (each pair once)."""

    bodies: list[bytes]
    headers: list[bytes]
    batch: int
    start: datetime
    step_ms: int
    n: int = 0

    def next(self) -> tuple[bytes, bytes] | None:
        n = self.n
        body_index, manager_index = divmod(n, len(self.headers))
        if body_index >= len(self.bodies):
            return None
        self.n = n + 1
        return self.bodies[body_index], self.headers[manager_index]

    def used_until(self) -> datetime:
        """The end of the timestamps that actually went out (the next run may start there)."""
        used = math.ceil(self.n / len(self.headers))
        return self.start + timedelta(milliseconds=used * self.batch * self.step_ms)


def build_track_pool(
    batch: int,
    requests: int,
    tokens: dict[str, str],
    cursor: TimestampCursor,
    encoder: ProtobufEncoder | None,
    step_ms: int,
    rng: random.Random,
) -> TrackPool:
    content_type = PROTOBUF_TYPE if encoder else "application/json"
    headers = [render_headers({**auth_headers(t), "Content-Type": content_type}) for t in tokens.values()]
    n_bodies = max(math.ceil(requests / len(headers)), 1)
    start = cursor.take(n_bodies * batch * step_ms)
    # One walk's positions serve every body (each body goes out under 50 different managers
    # anyway); only the timestamps differ from body to body.
    walk = make_track_points(batch, rng, start)
    bodies = []
    for b in range(n_bodies):
        first = start + timedelta(milliseconds=b * batch * step_ms)
        moments = [first + timedelta(milliseconds=i * step_ms) for i in range(batch)]
        if encoder:
            bodies.append(encoder.encode(walk, moments))
        else:
            points = [{**p, "ts": m.isoformat(timespec="milliseconds")} for p, m in zip(walk, moments, strict=True)]
            bodies.append(orjson.dumps({"points": points}))
    return TrackPool(bodies, headers, batch, start, step_ms)


def judge_track_answer(result: RunResult, resp: Any, batch: int, encoder: ProtobufEncoder | None) -> None:
    if not 200 <= resp.status_code < 300:
        record_error(result, resp)
        return
    try:
        if resp.headers.get("content-type", "").startswith(PROTOBUF_TYPE) and encoder is not None:
            decoded = encoder.decode_answer(resp.content)
            if decoded is None:
                raise ValueError("no protobuf answer message with `accepted`")
            accepted, reasons = decoded
        else:
            data = orjson.loads(resp.content)
            accepted = int(data["accepted"])
            reasons = [r.get("reason", "?") if isinstance(r, dict) else r for r in data.get("rejected") or []]
    except (ValueError, KeyError, TypeError) as exc:
        result.errors[f"bad answer: {exc}"[:60]] += 1
        return
    result.accepted += accepted
    result.rejected += len(reasons)
    result.reject_reasons.update(str(r) for r in reasons)
    if accepted + len(reasons) != batch:
        result.extra["accepted+rejected != sent"] += 1


class RawResponse:
    """What the judges read of an answer: status, lower-case headers, body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client (Content-Length and chunked answers).

    httpx costs about 1 ms of client CPU per request here, on the same 2 cores as the
    system under test (measured on a 2-core machine, see loadtests/README.md); this loop costs a small fraction of that.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.host_line = f"Host: {host}:{port}\r\n".encode()

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes, headers: bytes) -> RawResponse:
        """`headers` is a pre-rendered block of `Name: value\\r\\n` lines."""
        if self.writer is None:
            await self.connect()
        assert self.reader is not None and self.writer is not None
        try:
            self.writer.write(
                b"".join(
                    (
                        f"{method} {path} HTTP/1.1\r\n".encode(),
                        self.host_line,
                        headers,
                        b"Content-Length: %d\r\n\r\n" % len(body),
                        body,
                    )
                )
            )
            head = await self.reader.readuntil(b"\r\n\r\n")
            status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
            status = int(status_line.split(" ", 2)[1])
            fields: dict[str, str] = {}
            for line in lines:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
            if "content-length" in fields:
                content = await self.reader.readexactly(int(fields["content-length"]))
            elif fields.get("transfer-encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int((await self.reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                    chunk = await self.reader.readexactly(size + 2)
                    if size == 0:
                        break
                    chunks.append(chunk[:-2])
                content = b"".join(chunks)
            else:
                content = b""
            if fields.get("connection", "").lower() == "close":
                await self.close()
            return RawResponse(status, fields, content)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            await self.close()
            raise

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class HttpxConnection:
    """The same interface over httpx.AsyncClient (one keep-alive connection); --client httpx."""

    def __init__(self, url: str) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.client = httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0)

    async def connect(self) -> None:
        await self.client.get("/readyz")

    async def request(self, method: str, path: str, body: bytes, headers: bytes) -> Any:
        return await self.client.request(method, path, content=body, headers=_header_dict(headers))

    async def close(self) -> None:
        await self.client.aclose()


def _header_dict(block: bytes) -> dict[str, str]:
    out = {}
    for line in block.decode("latin-1").split("\r\n"):
        if line:
            name, _, value = line.partition(":")
            out[name.strip()] = value.strip()
    return out


def render_headers(headers: dict[str, str]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("latin-1")


TRANSPORT_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, httpx.HTTPError)
Request = tuple[str, bytes, bytes]  # path, body, rendered headers


def open_connections(url: str, n: int, kind: str) -> list[Any]:
    if kind == "httpx":
        return [HttpxConnection(url) for _ in range(n)]
    parsed = httpx.URL(url)
    return [RawConnection(parsed.host, parsed.port or 80) for _ in range(n)]


async def closed_loop(
    conns: list[Any],
    seconds: float,
    next_request: Callable[[], Request | None],
    judge: Callable[[Any], None],
    result: RunResult,
) -> None:
    """One client per connection, each sending its next request when the previous is answered."""
    deadline = 0.0

    async def client_loop(conn: Any) -> None:
        while time.perf_counter() < deadline:
            req = next_request()
            if req is None:
                result.exhausted = True
                return
            path, body, headers = req
            t0 = time.perf_counter()
            result.requests += 1
            try:
                resp = await conn.request("POST", path, body, headers)
            except TRANSPORT_ERRORS as exc:
                record_error(result, None, exc)
                continue
            result.latencies.append(time.perf_counter() - t0)
            judge(resp)

    try:
        await asyncio.gather(*(c.connect() for c in conns))  # before the clock starts
        cpu0, t0 = time.process_time(), time.perf_counter()
        deadline = t0 + seconds
        await asyncio.gather(*(client_loop(c) for c in conns))
        result.elapsed = time.perf_counter() - t0
        result.cpu = (time.process_time() - cpu0) / result.elapsed if result.elapsed else 0.0
    finally:
        await asyncio.gather(*(c.close() for c in conns))


async def open_loop(
    conns: list[Any],
    seconds: float,
    interval: float,
    next_request: Callable[[], Request | None],
    judge: Callable[[Any], None],
    result: RunResult,
) -> None:
    """A request every `interval` seconds whatever the answers; latency counts from the scheduled time."""
    idle: asyncio.Queue[Any] = asyncio.Queue()
    pending: set[asyncio.Task[None]] = set()

    async def one(path: str, body: bytes, headers: bytes, scheduled: float) -> None:
        conn = await idle.get()  # waiting for a free connection is part of the latency
        try:
            resp = await conn.request("POST", path, body, headers)
        except TRANSPORT_ERRORS as exc:
            record_error(result, None, exc)
            return
        finally:
            idle.put_nowait(conn)
        result.latencies.append(time.perf_counter() - scheduled)
        judge(resp)

    try:
        await asyncio.gather(*(c.connect() for c in conns))
        for c in conns:
            idle.put_nowait(c)
        cpu0, t0 = time.process_time(), time.perf_counter()
        k = 0
        while (scheduled := t0 + k * interval) < t0 + seconds:
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            req = next_request()
            if req is None:
                result.exhausted = True
                break
            task = asyncio.create_task(one(*req, scheduled))
            pending.add(task)
            task.add_done_callback(pending.discard)
            result.requests += 1
            k += 1
        if pending:
            await asyncio.wait(pending, timeout=30.0)
        result.elapsed = time.perf_counter() - t0
        result.cpu = (time.process_time() - cpu0) / result.elapsed if result.elapsed else 0.0
    finally:
        await asyncio.gather(*(c.close() for c in conns))


# --- sink rate ------------------------------------------------------------------------------------

_SPEC = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')


class SinkCounter:
    """Sums the Prometheus samples matching `name{label="v",...}` (labels a subset) at one URL."""

    def __init__(self, url: str, spec: str) -> None:
        m = _SPEC.match(spec)
        if not m:
            raise SystemExit(f'bench: cannot parse metric {spec!r}; use name or name{{label="value"}}')
        self.url = url
        self.name = m.group(1)
        self.labels = dict(_LABEL.findall(m.group(2) or ""))
        self.client = httpx.AsyncClient(timeout=2.0)

    async def read(self) -> float | None:
        try:
            resp = await self.client.get(self.url)
        except httpx.HTTPError:
            return None
        if resp.status_code != 200:
            return None
        total, seen = 0.0, False
        for line in resp.text.splitlines():
            if not line.startswith(self.name):
                continue
            head, _, value = line.rpartition(" ")
            name, _, labels = head.partition("{")
            if name.strip() != self.name:
                continue
            found = dict(_LABEL.findall(labels))
            if all(found.get(k) == v for k, v in self.labels.items()):
                with contextlib.suppress(ValueError):
                    total += float(value)
                    seen = True
        return total if seen else None

    async def drain(self, start: float, target: float, limit_s: float) -> tuple[float | None, float | None]:
        """Poll until the counter reaches `target` or stops moving for 3 s; (seconds taken, last value)."""
        t0 = time.perf_counter()
        last, last_change = await self.read(), t0
        while last is not None and last < target and time.perf_counter() - t0 < limit_s:
            await asyncio.sleep(0.25)
            value = await self.read()
            if value is None:
                return None, last
            if value != last:
                last, last_change = value, time.perf_counter()
            elif time.perf_counter() - last_change > 3.0:
                return None, last
        if last is None:
            return None, None
        return (time.perf_counter() - t0 if last >= target else None), last

    async def close(self) -> None:
        await self.client.aclose()


# --- the benchmark ---------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.url = args.url
        self.rng = random.Random(args.seed)
        self.cursor = TimestampCursor()
        self.sink = SinkCounter(args.sink_url, args.sink_metric)
        self.tokens: dict[str, str] = {}
        self.track_results: list[tuple[str, RunResult]] = []
        self.checkin_results: list[RunResult] = []
        self.rate_results: list[tuple[str, RunResult]] = []
        self.notes: list[str] = []

    # tracks

    async def track_run(
        self, fmt: str, encoder: ProtobufEncoder | None, batch: int, clients: int, *, rate: float | None = None
    ) -> RunResult:
        args = self.args
        seconds = args.seconds
        expected_pts = (rate * 1.2 if rate else args.max_rate) * seconds
        pool = build_track_pool(
            batch,
            math.ceil(expected_pts / batch),
            self.tokens,
            self.cursor,
            encoder,
            args.ts_step_ms,
            self.rng,
        )
        result = RunResult(f"{fmt}", batch=batch, clients=clients)
        path = f"{API}/tracks"

        def next_request() -> Request | None:
            item = pool.next()
            return None if item is None else (path, item[0], item[1])

        def judge(resp: Any) -> None:
            judge_track_answer(result, resp, batch, encoder)

        before = await self.sink.read()
        t_before = time.perf_counter()
        conns = open_connections(self.url, clients, args.client)
        if rate:
            result.offered = rate
            await open_loop(conns, seconds, batch / rate, next_request, judge, result)
        else:
            await closed_loop(conns, seconds, next_request, judge, result)
        self.cursor.give_back(pool.used_until())
        after = await self.sink.read()
        if before is not None and after is not None:
            result.sink_rate = (after - before) / (time.perf_counter() - t_before)
            drained, _ = await self.sink.drain(before, before + result.accepted, args.drain_seconds)
            result.drain_s = drained
        return result

    async def tracks(self, formats: list[tuple[str, ProtobufEncoder | None]]) -> None:
        args = self.args
        print(f"\nGPS tracks: POST {API}/tracks, closed loop, {args.seconds:g} s per run")
        print(TRACK_HEAD)
        for fmt, encoder in formats:
            for batch in args.batches:
                for clients in args.clients:
                    result = await self.track_run(fmt, encoder, batch, clients)
                    self.track_results.append((fmt, result))
                    print(track_line(result))
        self.cursor.save()

    async def half_rate(self, formats: list[tuple[str, ProtobufEncoder | None]]) -> None:
        args = self.args
        print(
            f"\nFixed offered rate: POST {API}/tracks, open loop over {args.connections} connections, "
            f"{args.seconds:g} s per run"
        )
        print(RATE_HEAD)
        for fmt, encoder in formats:
            for batch in args.batches:
                if args.rate:
                    rate = float(args.rate)
                else:
                    best = max((r.rate for f, r in self.track_results if f == fmt and r.batch == batch), default=0.0)
                    if best <= 0:
                        print(f"  {fmt} batch {batch}: no maximum measured, skipped")
                        continue
                    rate = best / 2
                result = await self.track_run(fmt, encoder, batch, args.connections, rate=rate)
                self.rate_results.append((fmt, result))
                print(rate_line(result))
        self.cursor.save()

    # check-ins

    async def checkin_plan(
        self, client: httpx.AsyncClient, managers: Sequence[str]
    ) -> list[tuple[str, dict[str, Any]]]:
        """(manager, visit) pairs of today's plans that can take a check-in, in an interleaved order."""
        per_manager: dict[str, list[dict[str, Any]]] = {}

        async def visits(m: str) -> None:
            resp = await client.get(f"{API}/visits?limit=500", headers=auth_headers(self.tokens[m]))
            if resp.status_code != 200:
                raise SystemExit(f"bench: GET /visits as {m} answered {resp.status_code}: {resp.text[:200]}")
            per_manager[m] = [v for v in orjson.loads(resp.content)["items"] if workable(v)]

        await gather_limited([visits(m) for m in managers])
        pairs: list[tuple[str, dict[str, Any]]] = []
        depth = max((len(v) for v in per_manager.values()), default=0)
        for i in range(depth):
            pairs.extend((m, per_manager[m][i]) for m in managers if i < len(per_manager[m]))
        return pairs

    async def checkins(self) -> None:
        args = self.args
        print(f"\nCheck-ins: POST {API}/checkins, closed loop, {args.seconds:g} s per run")
        async with httpx.AsyncClient(base_url=self.url, timeout=30.0) as client:
            managers = list(self.tokens)[: args.checkin_managers]
            pairs = await self.checkin_plan(client, managers)
            if not pairs:
                print("  no visits on today's plans of the demo managers: is the demo data seeded? (make seed)")
                return
            codes = await qr_codes_of(client, {v["customer"]["id"] for _, v in pairs})
        first_pending = sum(1 for _, v in pairs if v.get("status") == "planned")
        print(
            f"  {len(pairs)} planned visits of {len(managers)} managers, {first_pending} not yet checked in; "
            "later check-ins carry fresh op_ids and are answered with the first check-in (a full round trip)"
        )
        print(CHECKIN_HEAD)
        headers = {m: render_headers(auth_headers(t)) for m, t in self.tokens.items()}
        for clients in args.clients:
            count = math.ceil(args.max_checkin_rate * args.seconds)
            bodies = []
            for i in range(count):
                m, visit = pairs[i % len(pairs)]
                lat, lon = location_of(visit["customer"])
                body = checkin_body(codes[visit["customer"]["id"]], lat, lon, self.rng)
                bodies.append((f"{API}/checkins", orjson.dumps(body), headers[m]))
            it = iter(bodies)
            result = RunResult("checkin", clients=clients)

            def judge(resp: Any, result: RunResult = result) -> None:
                if resp.status_code == 201:
                    result.accepted += 1
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        result.extra[f"verdict {orjson.loads(resp.content)['verdict']}"] += 1
                else:
                    record_error(result, resp)

            conns = open_connections(self.url, clients, args.client)
            await closed_loop(conns, args.seconds, lambda it=it: next(it, None), judge, result)
            self.checkin_results.append(result)
            print(checkin_line(result))
        verdicts = sum((r.extra for r in self.checkin_results), Counter())
        if verdicts:
            print("  verdicts: " + ", ".join(f"{k.removeprefix('verdict ')} {n}" for k, n in verdicts.most_common()))

    # all

    async def run(self) -> int:
        args = self.args
        async with httpx.AsyncClient(base_url=self.url, timeout=10.0) as client:
            try:
                ready = await client.get("/readyz")
            except httpx.HTTPError as exc:
                print(f"bench: {self.url} does not answer ({type(exc).__name__}); start the stack: make up")
                return 2
            if ready.status_code != 200:
                print(f"bench: {self.url}/readyz answered {ready.status_code}; results may be poor")
            self.tokens = await login_all(client, MANAGERS)
        sink_now = await self.sink.read()
        print(f"bench_ingest against {self.url}: {len(self.tokens)} manager sessions")
        print(
            f"  sink counter {self.args.sink_metric} at {self.sink.url}: "
            + ("n/a (not exposed)" if sink_now is None else f"{sink_now:,.0f}")
        )
        formats: list[tuple[str, ProtobufEncoder | None]] = []
        if "json" in args.formats:
            formats.append(("json", None))
        if "protobuf" in args.formats:
            encoder, note = protobuf_encoder()
            print(f"  {note}")
            if encoder is not None:
                formats.append(("protobuf", encoder))
        try:
            if not args.skip_tracks and formats:
                if args.rate:
                    await self.half_rate(formats)
                else:
                    await self.tracks(formats)
                    if args.half_rate:
                        await self.half_rate(formats)
            if not args.skip_checkins:
                await self.checkins()
        finally:
            self.cursor.save()
            await self.sink.close()
        return self.summary()

    def summary(self) -> int:
        lines: list[str] = []
        missed = False
        for fmt in dict.fromkeys(f for f, _ in self.track_results):
            for batch, target in TARGETS.items():
                runs = [r for f, r in self.track_results if f == fmt and r.batch == batch]
                if runs:
                    best = max(runs, key=lambda r: r.rate)
                    ok = best.rate >= target
                    missed |= not ok
                    lines.append(
                        f"  {'ok  ' if ok else 'MISS'} {fmt} batch {batch}: {best.rate:,.0f} points/s "
                        f"(best, {best.clients} clients) vs >= {target:,}"
                    )
        for fmt, r in self.rate_results:
            ok = r.pct(99) < HALF_RATE_P99_MS and not r.errors
            missed |= not ok
            lines.append(
                f"  {'ok  ' if ok else 'MISS'} {fmt} batch {r.batch} at {r.offered:,.0f} points/s offered: "
                f"p99 {r.pct(99):.1f} ms vs < {HALF_RATE_P99_MS:.0f} ms"
            )
        if lines:
            print("\nTargets of issue 3 (points/s accepted through the gateway; p99 at half the maximum rate):")
            print("\n".join(lines))
        errors = sum(
            sum(r.errors.values())
            for r in [*(r for _, r in self.track_results), *(r for _, r in self.rate_results), *self.checkin_results]
        )
        if errors:
            print(f"\nbench: {errors} requests failed (see the errors column)")
            return 1
        return 1 if (missed and self.args.strict) else 0


TRACK_HEAD = (
    f"{'format':<9}{'batch':>6}{'clients':>8}{'points/s':>11}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
    f"{'p99 ms':>8}{'rejected':>9}{'errors':>7}{'sink/s':>11}{'drain s':>8}{'cpu':>6}"
)
RATE_HEAD = (
    f"{'format':<9}{'batch':>6}{'offered/s':>11}{'points/s':>11}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
    f"{'errors':>7}{'sink/s':>11}{'cpu':>6}"
)
CHECKIN_HEAD = f"{'clients':>8}{'checkins/s':>12}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>7}{'cpu':>6}"


def _sink(r: RunResult) -> str:
    return "n/a" if r.sink_rate is None else f"{r.sink_rate:,.0f}"


def _tail(r: RunResult) -> str:
    notes = []
    if r.exhausted:
        notes.append("payload pool used up early: raise --max-rate")
    if r.errors:
        notes.append(r.error_text())
    if r.reject_reasons:
        notes.append("rejected: " + ", ".join(f"{n}x {k}" for k, n in r.reject_reasons.most_common(3)))
    if r.extra:
        notes.extend(f"{n}x {k}" for k, n in r.extra.items() if not k.startswith("verdict"))
    return ("  " + "; ".join(notes)) if notes else ""


def track_line(r: RunResult) -> str:
    drain = "n/a" if r.sink_rate is None else ("-" if r.drain_s is None else f"{r.drain_s:.1f}")
    return (
        f"{r.label:<9}{r.batch:>6}{r.clients:>8}{r.rate:>11,.0f}{r.requests / max(r.elapsed, 1e-9):>8,.0f}"
        f"{r.pct(50):>8.1f}{r.pct(95):>8.1f}{r.pct(99):>8.1f}{r.rejected:>9,}{sum(r.errors.values()):>7}"
        f"{_sink(r):>11}{drain:>8}{r.cpu:>6.0%}{_tail(r)}"
    )


def rate_line(r: RunResult) -> str:
    return (
        f"{r.label:<9}{r.batch:>6}{r.offered:>11,.0f}{r.rate:>11,.0f}{r.pct(50):>8.1f}{r.pct(95):>8.1f}"
        f"{r.pct(99):>8.1f}{sum(r.errors.values()):>7}{_sink(r):>11}{r.cpu:>6.0%}{_tail(r)}"
    )


def checkin_line(r: RunResult) -> str:
    return (
        f"{r.clients:>8}{r.rate:>12,.0f}{r.pct(50):>8.1f}{r.pct(95):>8.1f}{r.pct(99):>8.1f}"
        f"{sum(r.errors.values()):>7}{r.cpu:>6.0%}{_tail(r)}"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--url", default=BASE_URL, help="the gateway (loopback only; env BAIFANG_URL)")
    p.add_argument("--seconds", type=float, default=8.0, help="length of each run (default 8)")
    p.add_argument("--quick", action="store_true", help="2-s runs, 10 managers for check-ins: a smoke run")
    p.add_argument("--clients", type=csv_ints, default=[1, 4, 16], help="concurrent clients (default 1,4,16)")
    p.add_argument("--batches", type=csv_ints, default=[100, 1000], help="points per batch (default 100,1000)")
    p.add_argument("--formats", default="json,protobuf", help="json,protobuf (protobuf only if TrackBatch exists)")
    p.add_argument("--half-rate", action="store_true", help="then measure p99 at half the best rate per batch size")
    p.add_argument("--rate", type=float, help="only the fixed-rate runs, at this many points/s")
    p.add_argument("--connections", type=int, default=32, help="connections of the fixed-rate runs (default 32)")
    p.add_argument(
        "--client", choices=("raw", "httpx"), default="raw", help="load client (default raw; see RawConnection)"
    )
    p.add_argument("--skip-tracks", action="store_true")
    p.add_argument("--skip-checkins", action="store_true")
    p.add_argument("--checkin-managers", type=int, default=len(MANAGERS), help="managers whose plans are used")
    p.add_argument("--sink-url", default=DEFAULT_SINK_URL, help=f"Prometheus endpoint (default {DEFAULT_SINK_URL})")
    p.add_argument("--sink-metric", default=DEFAULT_SINK_METRIC, help=f"stored points counter ({DEFAULT_SINK_METRIC})")
    p.add_argument("--drain-seconds", type=float, default=30.0, help="wait at most this long for the sink to catch up")
    p.add_argument("--max-rate", type=float, default=500_000, help="points/s the payload pool is sized for")
    p.add_argument("--max-checkin-rate", type=float, default=3_000, help="check-ins/s the payload pool is sized for")
    p.add_argument("--ts-step-ms", type=int, default=1, help="time between consecutive points of a batch (ms)")
    p.add_argument("--seed", type=int, default=None, help="random seed of the generated points")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target of issue 3 is missed")
    args = p.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 2.0)
        args.drain_seconds = min(args.drain_seconds, 5.0)
        args.checkin_managers = min(args.checkin_managers, 10)
    host = httpx.URL(args.url).host
    if host not in ("127.0.0.1", "localhost", "::1"):
        p.error(f"--url must be a loopback address, got {args.url}")
    args.url = args.url.rstrip("/")
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return asyncio.run(Bench(args).run())
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
