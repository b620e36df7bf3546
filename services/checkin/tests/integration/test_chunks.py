"""Tracks and scans are insert-only chunks: redelivery, resends and overlapping batches store each
point once as readers see it, and compaction of a closed hour changes nothing they read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from baifang_common.batching import BatchConsumer
from baifang_common.events import TrackBatchAccepted
from baifang_common.testing.plugin import consume_until
from checkin import bootstrap
from checkin.adapters.bucket_store import BucketStore
from checkin.adapters.ingest_queues import TRACK_EVENT, ingest_queues
from checkin.bootstrap import WorkerDeps
from checkin.domain.ingest import bucket_id, hour_of, ms_of_iso
from checkin.settings import CheckinSettings
from checkin.usecases.bucketing import store_track_batches

from .ingest_support import accept, recent, track

pytestmark = pytest.mark.integration

HOUR_START = (datetime.now(UTC) - timedelta(days=1)).replace(hour=3, minute=0, second=0, microsecond=0)


@pytest.fixture
def settings(settings_for: Callable[..., Any]) -> CheckinSettings:
    made: CheckinSettings = settings_for(CheckinSettings)
    return made


@pytest.fixture
def worker_deps(settings: CheckinSettings) -> WorkerDeps:
    return bootstrap.build_worker(settings)


class Killed(BaseException):
    """The worker process dies: nothing after this point runs (not even the ack)."""


def batch(batch_id: str, points: list[dict[str, Any]], event_id: str | None = None) -> TrackBatchAccepted:
    extra = {"event_id": event_id} if event_id else {}
    return TrackBatchAccepted(
        batch_id=batch_id,
        manager_id="m001",
        team_id="t01",
        points=points,
        accepted=len(points),
        rejected=0,
        received_at=datetime.now(UTC).isoformat(),
        **extra,
    )


def store(deps: WorkerDeps, *events: TrackBatchAccepted) -> None:
    store_track_batches(
        list(events),
        buckets=deps.track_buckets,
        gaps=deps.gaps,
        last_fixes=deps.last_fixes,
        gap_rule=deps.gap_rule,
        max_fix_accuracy_m=deps.thresholds.max_accuracy_m,
    )


def the_bucket() -> str:
    return bucket_id("m001", hour_of(int(HOUR_START.timestamp() * 1000)))


def chunk_ids(buckets: BucketStore) -> list[str]:
    return sorted(doc["_id"] for doc in buckets.collection.find({}, {"_id": 1}))


def test_a_redelivered_or_resent_batch_stores_each_point_once(worker_deps: WorkerDeps) -> None:
    points = track(HOUR_START, 20, step_s=30)
    first = batch("b-1", points)
    store(worker_deps, first)
    chunks = chunk_ids(worker_deps.track_buckets)

    store(worker_deps, first)  # redelivered: the same event
    resent = batch("b-1", points, event_id="resent")  # resent by the client: same batch id, another event
    store(worker_deps, resent, first)  # both in one consumed batch

    assert chunk_ids(worker_deps.track_buckets) == chunks and len(chunks) == 1
    rows = worker_deps.track_buckets.hour(the_bucket())
    assert [row[1] for row in rows] == [p["lat"] for p in points]


def test_two_batches_holding_the_same_timestamp_read_back_as_one_point(worker_deps: WorkerDeps) -> None:
    early = track(HOUR_START, 10, step_s=60)
    overlapping = track(HOUR_START + timedelta(minutes=5), 10, step_s=60, lat=30.0)  # minutes 5-9 again
    store(worker_deps, batch("b-early", early), batch("b-overlap", overlapping))

    rows = worker_deps.track_buckets.hour(the_bucket())

    assert len(chunk_ids(worker_deps.track_buckets)) == 2
    assert [row[0] for row in rows] == sorted({row[0] for row in rows}) and len(rows) == 15
    assert worker_deps.track_buckets.of_owner("m001") == rows


def test_compaction_merges_a_closed_hour_into_one_document_that_reads_the_same(worker_deps: WorkerDeps) -> None:
    buckets = worker_deps.track_buckets
    store(
        worker_deps,
        batch("c-1", track(HOUR_START, 10, step_s=60)),
        batch("c-2", track(HOUR_START + timedelta(minutes=5), 10, step_s=60, lat=30.0)),
        batch("c-3", track(HOUR_START + timedelta(minutes=30), 10, step_s=60)),
    )
    before = buckets.hour(the_bucket())

    assert buckets.buckets_to_compact(datetime.now(UTC) - timedelta(hours=1), limit=10) == [the_bucket()]
    assert buckets.compact(the_bucket()) == 3

    (merged,) = buckets.collection.find({})
    assert merged["merged"] is True and merged["manager_id"] == "m001" and merged["hour"] == HOUR_START
    assert buckets.hour(the_bucket()) == before
    assert buckets.compact(the_bucket()) == 0  # nothing left to merge
    assert buckets.buckets_to_compact(datetime.now(UTC), limit=10) == []


def test_compaction_stopped_between_its_insert_and_its_delete_converges(worker_deps: WorkerDeps) -> None:
    buckets = worker_deps.track_buckets
    store(
        worker_deps,
        batch("d-1", track(HOUR_START, 10, step_s=60)),
        batch("d-2", track(HOUR_START + timedelta(minutes=5), 10, step_s=60, lat=30.0)),
    )
    sources = list(buckets.collection.find({}))
    before = buckets.hour(the_bucket())
    buckets.compact(the_bucket())
    buckets.collection.insert_many(sources)  # as if it had stopped before deleting them

    assert buckets.hour(the_bucket()) == before  # the merged copy and its sources read as one
    assert buckets.compact(the_bucket()) == 3
    assert buckets.collection.count_documents({}) == 1
    assert buckets.hour(the_bucket()) == before

    store(worker_deps, batch("d-late", track(HOUR_START + timedelta(minutes=50), 3, step_s=60)))  # a late upload
    assert buckets.compact(the_bucket()) == 2
    assert len(buckets.hour(the_bucket())) == len(before) + 3


def test_the_track_sink_killed_between_its_write_and_its_ack_stores_every_point_once(
    settings: CheckinSettings, worker_deps: WorkerDeps
) -> None:
    grpc_deps = bootstrap.build_grpc(settings)  # declares the sink's queue, publishes accepted batches
    expected: dict[str, set[str]] = {}
    chunks: set[tuple[str, int]] = set()  # (batch, hour): one chunk each
    try:
        for n in range(12):
            manager = f"m00{n % 3 + 1}"
            points = track(recent(90 - n * 5), 30, step_s=20)  # a manager's batches overlap in time
            accept(grpc_deps, points, manager=manager, batch_id=f"k-{n}")
            expected.setdefault(manager, set()).update(p["ts"] for p in points)
            chunks.update((f"k-{n}", hour_of(ms_of_iso(p["ts"]) or 0)) for p in points)
    finally:
        grpc_deps.close()
    crashes = [True]

    def sink(bodies: list[dict[str, Any]]) -> None:
        store(worker_deps, *(TrackBatchAccepted.from_body(body) for body in bodies))
        if crashes:
            crashes.pop()
            raise Killed

    def sink_consumer() -> BatchConsumer:
        return BatchConsumer(settings.amqp_uri, ingest_queues()["track"], sink, event_types=[TRACK_EVENT], max_batch=5)

    with pytest.raises(Killed):
        consume_until(sink_consumer(), lambda: False)
    written = {d["_id"] for d in worker_deps.track_buckets.collection.find({}, {"_id": 1})}
    assert written  # the first batch was written, and not acknowledged

    def stored() -> dict[str, int]:
        return {m: len(worker_deps.track_buckets.of_owner(m)) for m in expected}

    consume_until(sink_consumer(), lambda: stored() == {m: len(times) for m, times in expected.items()})
    assert worker_deps.track_buckets.collection.count_documents({}) == len(chunks)  # none twice
