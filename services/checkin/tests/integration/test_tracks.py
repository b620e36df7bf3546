"""Track and scan batches: the gRPC contract, durability before the answer, idempotent storage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import orjson
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from baifang.checkin.v1 import checkin_pb2, checkin_pb2_grpc
from baifang_common.events import ScanBatchAccepted
from baifang_common.testing.calls import caller_md, rpc_error
from checkin import bootstrap
from checkin.bootstrap import GrpcDeps, WorkerDeps
from checkin.domain.ingest import bucket_id, hour_of, ms_of_iso
from checkin.domain.model import BatchBody, BodyFormat, ScanBatchCommand
from checkin.grpc_api import servicer
from checkin.settings import CheckinSettings
from checkin.usecases.bucketing import store_scan_batches
from checkin.usecases.scans import accept_scan_batch

from .checkin_support import HERE, World, checkin_request, north
from .ingest_support import accept, live_position, recent, snapshot, store, track

pytestmark = pytest.mark.integration

Stub = checkin_pb2_grpc.CheckinServiceStub
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def settings(settings_for: Callable[..., Any]) -> CheckinSettings:
    made: CheckinSettings = settings_for(CheckinSettings, queue_depth_cache_s=0.0)
    return made


@pytest.fixture
def grpc_deps(settings: CheckinSettings) -> Iterator[GrpcDeps]:
    deps = bootstrap.build_grpc(settings)
    yield deps
    deps.close()


@pytest.fixture
def worker_deps(settings: CheckinSettings) -> WorkerDeps:
    return bootstrap.build_worker(settings)


@pytest.fixture
def stub(grpc_deps: GrpcDeps, grpc_server: Callable[..., Any]) -> Stub:
    _, channel = grpc_server([servicer(grpc_deps)])
    return Stub(channel)


def json_request(points: list[Any], batch_id: str = "") -> checkin_pb2.AcceptTrackBatchRequest:
    return checkin_pb2.AcceptTrackBatchRequest(json=orjson.dumps({"points": points}), batch_id=batch_id)


def test_json_batch_answers_accepted_and_rejections_by_index_after_one_event(
    stub: Stub, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "track.batch_accepted")
    points = track(recent(), 5)
    points[1]["lat"] = 91.0
    points[3]["ts"] = points[2]["ts"]

    answer = stub.AcceptTrackBatch(json_request(points, "b-1"), metadata=caller_md())

    assert answer.accepted == 3
    assert [(r.index, r.reason) for r in answer.rejected] == [(1, "invalid_coordinates"), (3, "duplicate")]
    (event,) = probe.wait(1)
    assert (event["batch_id"], event["manager_id"], event["team_id"]) == ("b-1", "m001", "t01")
    assert (event["accepted"], event["rejected"]) == (3, 2)
    assert [p["ts"] for p in event["points"]] == [points[0]["ts"], points[2]["ts"], points[4]["ts"]]


def test_protobuf_batch_is_accepted_alike(stub: Stub, event_probe: Callable[..., Any]) -> None:
    probe = event_probe("checkin", "track.batch_accepted")
    stamp = Timestamp()
    stamp.FromDatetime(recent())
    batch = checkin_pb2.TrackBatch(
        points=[checkin_pb2.TrackPoint(lat=31.2, lon=121.4, accuracy_m=5.0, speed_mps=1.5, ts=stamp)]
    )

    answer = stub.AcceptTrackBatch(
        checkin_pb2.AcceptTrackBatchRequest(protobuf=batch.SerializeToString()), metadata=caller_md()
    )

    assert (answer.accepted, list(answer.rejected)) == (1, [])
    (event,) = probe.wait(1)
    assert event["points"][0]["speed_mps"] == 1.5 and "heading" not in event["points"][0]
    assert len(event["batch_id"]) == 32  # generated


@pytest.mark.parametrize(
    "request_",
    [
        checkin_pb2.AcceptTrackBatchRequest(json=b"{not json"),
        checkin_pb2.AcceptTrackBatchRequest(json=b'{"points": {"lat": 1}}'),
        checkin_pb2.AcceptTrackBatchRequest(json=b"[1, 2]"),
        checkin_pb2.AcceptTrackBatchRequest(protobuf=b"\xff\xff\xff"),
        checkin_pb2.AcceptTrackBatchRequest(),
    ],
)
def test_malformed_body_is_invalid_body(stub: Stub, request_: checkin_pb2.AcceptTrackBatchRequest) -> None:
    status, code, _ = rpc_error(lambda: stub.AcceptTrackBatch(request_, metadata=caller_md()))
    assert (status, code) == (grpc.StatusCode.INVALID_ARGUMENT, "invalid_body")


def test_more_than_the_batch_limit_is_too_many_points(stub: Stub) -> None:
    status, code, details = rpc_error(
        lambda: stub.AcceptTrackBatch(json_request(track(recent(), 1001, step_s=1)), metadata=caller_md())
    )
    assert (status, code, details["max"], details["count"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "too_many_points",
        1000,
        1001,
    )


def test_empty_batch_is_accepted_with_nothing(stub: Stub) -> None:
    answer = stub.AcceptTrackBatch(json_request([]), metadata=caller_md())
    assert (answer.accepted, list(answer.rejected)) == (0, [])


def test_only_managers_send_tracks(stub: Stub) -> None:
    status, code, _ = rpc_error(
        lambda: stub.AcceptTrackBatch(json_request(track(recent(), 1)), metadata=caller_md("s01", "supervisor"))
    )
    assert (status, code) == (grpc.StatusCode.PERMISSION_DENIED, "forbidden")


def test_queue_deeper_than_the_limit_is_unavailable_with_retry_after(
    settings_for: Callable[..., Any], grpc_server: Callable[..., Any]
) -> None:
    deps = bootstrap.build_grpc(settings_for(CheckinSettings, max_queue_depth=2, queue_depth_cache_s=0.0))
    try:
        stub = Stub(grpc_server([servicer(deps)])[1])
        for n in range(3):  # no worker: the batches wait in the declared queue
            stub.AcceptTrackBatch(json_request(track(recent(40 - n), 2)), metadata=caller_md())

        status, code, details = rpc_error(
            lambda: stub.AcceptTrackBatch(json_request(track(recent(), 2)), metadata=caller_md())
        )

        assert (status, code) == (grpc.StatusCode.UNAVAILABLE, "unavailable")
        assert (details["retry_after"], details["reason"]) == (2, "queue_full")
        assert deps.queues.depth("track") == 3
    finally:
        deps.close()


def test_replayed_batch_changes_nothing(
    grpc_deps: GrpcDeps, worker_deps: WorkerDeps, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "track.batch_accepted")
    # Yesterday 09:40-10:09 Shanghai (crosses an hour), then 10:30-10:34 after a 21-minute hole.
    start = (datetime.now(SHANGHAI) - timedelta(days=1)).replace(hour=9, minute=40, second=0, microsecond=0)
    points = track(start, 30, step_s=60)
    points += track(start + timedelta(minutes=50), 5, step_s=60, lat=31.3)
    accept(grpc_deps, points, batch_id="replayed")
    (body,) = probe.wait(1)

    store(worker_deps, body)
    first = snapshot(worker_deps)
    store(worker_deps, body)
    store(worker_deps, {**body, "event_id": "another-delivery"})

    assert snapshot(worker_deps) == first
    assert len(first["chunks"]) == 2  # one per hour the batch touches
    assert [row[0] for row in first["points"]] == sorted(ms_of_iso(p["ts"]) for p in points)  # type: ignore[type-var]
    assert first["last_fix"]["ts"] == repr(ms_of_iso(points[-1]["ts"]) / 1000)  # type: ignore[operator]
    (gap,) = first["gaps"]
    assert (gap["manager_id"], gap["team_id"], gap["minutes"]) == ("m001", "t01", 21.0)
    assert gap["date"] == start.date().isoformat()


def test_out_of_order_batches_land_in_their_buckets_and_keep_the_newest_position(
    grpc_deps: GrpcDeps, worker_deps: WorkerDeps, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "track.batch_accepted")
    today = track(recent(20), 3, lat=31.20)
    yesterday = track(recent(20) - timedelta(days=1), 3, lat=30.50)  # an offline upload arriving late
    accept(grpc_deps, today)
    accept(grpc_deps, yesterday)
    today_body, yesterday_body = probe.wait(2)

    store(worker_deps, today_body)
    store(worker_deps, yesterday_body)

    for points in (today, yesterday):
        ms = ms_of_iso(points[0]["ts"])
        assert ms is not None
        rows = worker_deps.track_buckets.hour(bucket_id("m001", hour_of(ms)))
        assert rows[0][:3] == (ms, points[0]["lat"], points[0]["lon"])
        chunk = worker_deps.track_buckets.collection.find_one({"bucket": bucket_id("m001", hour_of(ms))})
        assert chunk is not None and chunk["hour"].tzinfo is not None and chunk["manager_id"] == "m001"
    last = worker_deps.last_fixes.get("m001")
    newest_ms = ms_of_iso(today[-1]["ts"])
    assert last is not None and newest_ms is not None
    assert (last.point.lat, last.taken_at.timestamp()) == (today[-1]["lat"], newest_ms / 1000)
    position = live_position(worker_deps, "t01", "m001")
    assert position is not None
    assert position[0] == pytest.approx(today[-1]["lat"], abs=1e-5)
    assert position[2] == newest_ms / 1000
    rows = worker_deps.track_buckets.of_owner("m001")
    assert [row[0] for row in rows] == sorted(row[0] for row in rows) and len(rows) == 6


def test_scan_batch_is_published_and_bucketed_per_outlet_idempotently(
    grpc_deps: GrpcDeps, worker_deps: WorkerDeps, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "scan.batch_accepted")
    at = recent(10).isoformat()
    scans = [
        {"code": "QR.1", "sku": "6901028075831", "qty": 2, "unit_price": 22.5, "kind": "sale", "ts": at},
        {"code": "QR.2", "sku": "6901028075831", "qty": 10, "unit_price": 20.0, "kind": "purchase", "ts": at},
        {"code": "QR.1", "sku": "6901028075831", "qty": 1, "unit_price": 22.5, "kind": "sale", "ts": at},
        {"code": "QR.3", "sku": "6901028075831", "qty": 1, "unit_price": 22.5, "kind": "gift", "ts": at},
    ]
    cmd = ScanBatchCommand("dev-1", "c-1", BatchBody(BodyFormat.JSON, scans), "s-1")

    result = accept_scan_batch(cmd, publisher=grpc_deps.publisher, queues=grpc_deps.queues, limits=grpc_deps.limits)

    assert (result.accepted, result.rejected) == (2, [(2, "duplicate"), (3, "invalid_kind")])
    (body,) = probe.wait(1)
    assert (body["device_id"], body["customer_id"], len(body["scans"])) == ("dev-1", "c-1", 2)
    event = ScanBatchAccepted.from_body(body)
    store_scan_batches([event], buckets=worker_deps.scan_buckets, timezone="Asia/Shanghai")
    store_scan_batches([event, event], buckets=worker_deps.scan_buckets, timezone="Asia/Shanghai")
    (chunk,) = worker_deps.scan_buckets.collection.find({})
    assert chunk["customer_id"] == "c-1"
    rows = worker_deps.scan_buckets.of_owner("c-1")
    assert sorted(row[1:] for row in rows) == [
        ("QR.1", "6901028075831", 2, 22.5, "sale", "dev-1"),
        ("QR.2", "6901028075831", 10, 20.0, "purchase", "dev-1"),
    ]


def test_scan_batch_needs_the_device_and_its_outlet(grpc_deps: GrpcDeps) -> None:
    cmd = ScanBatchCommand("", "c-1", BatchBody(BodyFormat.JSON, []))
    with pytest.raises(Exception) as info:
        accept_scan_batch(cmd, publisher=grpc_deps.publisher, queues=grpc_deps.queues, limits=grpc_deps.limits)
    assert getattr(info.value, "code", "") == "invalid_argument"


def test_track_fixes_are_the_previous_fix_of_checkins_and_never_move_it_backwards(
    world: World, checkin_stub: Stub, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "track.batch_accepted")
    worker_deps = bootstrap.build_worker(world.settings)
    far = north(30_000)
    accept(world.checkin, [{"lat": far[0], "lon": far[1], "accuracy_m": 10.0, "ts": recent(5).isoformat()}])
    store(worker_deps, probe.wait(1)[0])

    answer = checkin_stub.RecordCheckin(checkin_request(world.outlet()), metadata=caller_md())

    assert (answer.verdict, answer.verdict_reason) == ("suspect", "impossible_travel")  # 30 km in 5 min
    after_checkin = world.checkin.last_fixes.get("m001")
    assert after_checkin is not None and after_checkin.point.lat == pytest.approx(HERE[0])
    late_upload = track(recent(3), 1, lat=far[0])  # older than the check-in's fix
    accept(world.checkin, late_upload)
    store(worker_deps, probe.wait(2)[1])
    assert world.checkin.last_fixes.get("m001") == after_checkin
