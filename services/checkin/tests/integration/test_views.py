"""Supervisor views over the real stores: the worker's sink writes a day with a hole, a late upload
fills it (the gap is retracted, what remains of it is kept), and the views read it back; the team's
live positions carry accuracy, speed and the current visit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument, PermissionDenied
from baifang_common.events import CheckinRecorded, TrackBatchAccepted
from checkin import bootstrap
from checkin.bootstrap import GrpcDeps, WorkerDeps
from checkin.settings import CheckinSettings
from checkin.usecases.bucketing import store_track_batches
from checkin.usecases.views import TrackQuery, remember_current_visit

pytestmark = pytest.mark.integration

TZ = ZoneInfo("Asia/Shanghai")
DAY = (datetime.now(TZ).date() - timedelta(days=2)).isoformat()
LEAD = Caller("s01", "supervisor", "t01")


@pytest.fixture
def settings(settings_for: Callable[..., Any]) -> CheckinSettings:
    made: CheckinSettings = settings_for(CheckinSettings)
    return made


@pytest.fixture
def worker_deps(settings: CheckinSettings) -> WorkerDeps:
    return bootstrap.build_worker(settings)


@pytest.fixture
def grpc_deps(settings: CheckinSettings) -> Iterator[GrpcDeps]:
    deps = bootstrap.build_grpc(settings)
    yield deps
    deps.close()


def at(clock: str, lat: float = 31.8, lon: float = 117.2) -> dict[str, Any]:
    ts = datetime.fromisoformat(f"{DAY}T{clock}").replace(tzinfo=TZ)
    return {"lat": lat, "lon": lon, "accuracy_m": 7.0, "speed_mps": 1.5, "ts": ts.isoformat()}


def every_minute(start: str, minutes: int) -> list[dict[str, Any]]:
    first = datetime.fromisoformat(f"{DAY}T{start}")
    return [at((first + timedelta(minutes=i)).strftime("%H:%M:%S")) for i in range(minutes)]


def batch(batch_id: str, points: list[dict[str, Any]], manager: str = "m001") -> TrackBatchAccepted:
    return TrackBatchAccepted(
        batch_id=batch_id,
        manager_id=manager,
        team_id="t01",
        points=points,
        accepted=len(points),
        rejected=0,
        received_at=datetime.now(UTC).isoformat(),
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


def gaps(grpc_deps: GrpcDeps) -> list[tuple[str, str, float]]:
    day = bootstrap.use_cases(grpc_deps).get_track_day(TrackQuery(LEAD, "m001", DAY))
    local = [
        (datetime.fromtimestamp(g["start_ms"] / 1000, TZ), datetime.fromtimestamp(g["end_ms"] / 1000, TZ))
        for g in day.gaps
    ]
    return [(s.strftime("%H:%M"), e.strftime("%H:%M"), g["minutes"]) for (s, e), g in zip(local, day.gaps, strict=True)]


def test_a_late_upload_retracts_the_gap_it_fills_and_keeps_what_remains_of_it(
    worker_deps: WorkerDeps, grpc_deps: GrpcDeps
) -> None:
    store(worker_deps, batch("morning", every_minute("09:00:00", 31)))  # 09:00-09:30
    store(worker_deps, batch("noon", every_minute("11:00:00", 11)))  # 11:00-11:10: a 90-minute hole
    assert gaps(grpc_deps) == [("09:30", "11:00", 90.0)]

    late = every_minute("09:31:00", 20)  # 09:31-09:50 uploaded late, out of order
    store(worker_deps, batch("late", list(reversed(late))))
    assert gaps(grpc_deps) == [("09:50", "11:00", 70.0)]  # the rest of the hole is still a gap
    store(worker_deps, batch("late", list(reversed(late))))  # redelivered: nothing changes
    store(worker_deps, batch("morning", every_minute("09:00:00", 31)))  # nor does the first batch again
    assert gaps(grpc_deps) == [("09:50", "11:00", 70.0)]

    store(worker_deps, batch("later", every_minute("09:51:00", 69)))  # 09:51-10:59: filled completely
    assert gaps(grpc_deps) == []
    day = bootstrap.use_cases(grpc_deps).get_track_day(TrackQuery(LEAD, "m001", DAY, simplify=False))
    assert day.raw_count == 31 + 20 + 69 + 11


def test_the_team_day_lists_each_manager_with_fixes_and_check_ins(worker_deps: WorkerDeps, grpc_deps: GrpcDeps) -> None:
    store(
        worker_deps, batch("a", every_minute("08:30:00", 10), "m001"), batch("b", every_minute("12:00:00", 5), "m002")
    )
    use = bootstrap.use_cases(grpc_deps)
    team, days = use.get_team_day(LEAD, "", DAY)
    assert team == "t01"
    by_manager = {d.manager_id: d for d in days}
    assert set(by_manager) == {"m001", "m002"}
    assert (by_manager["m002"].points, by_manager["m002"].distance_m, by_manager["m002"].gaps) == (5, 0.0, [])
    with pytest.raises(PermissionDenied):
        use.get_team_day(Caller("m001", "manager", "t01"), "", DAY)
    with pytest.raises(PermissionDenied):
        use.get_team_day(LEAD, "t02", DAY)
    with pytest.raises(InvalidArgument):
        use.get_team_day(Caller("root", "admin", ""), "", DAY)
    with pytest.raises(PermissionDenied):  # the track's team is t01: not a t02 lead's
        use.get_track_day(TrackQuery(Caller("s02", "supervisor", "t02"), "m001", DAY))
    with pytest.raises(PermissionDenied):
        use.get_track_day(TrackQuery(Caller("m002", "manager", "t01"), "m001", DAY))


def test_live_positions_carry_accuracy_speed_and_the_newest_check_in(
    worker_deps: WorkerDeps, grpc_deps: GrpcDeps
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    fix = {
        "lat": 31.81,
        "lon": 117.21,
        "accuracy_m": 9.0,
        "speed_mps": 2.5,
        "ts": (now - timedelta(seconds=30)).isoformat(),
    }
    older = {**fix, "lat": 31.0, "ts": (now - timedelta(minutes=5)).isoformat()}
    store(worker_deps, batch("live", [fix], "m003"), batch("stale-upload", [older], "m003"))
    assert worker_deps.live_positions is not None
    for minutes, visit in ((2, "v-new"), (9, "v-old")):  # the older check-in arrives last: the newer stays
        event = CheckinRecorded(
            checkin_id=f"c-{visit}",
            visit_id=visit,
            customer_id="c1",
            manager_id="m003",
            team_id="t01",
            date=DAY,
            lat=31.81,
            lon=117.21,
            accuracy_m=9.0,
            distance_m=12.0,
            verdict="ok",
            verdict_reason="",
            mock_location=False,
            client_ts=(now - timedelta(minutes=minutes)).isoformat(),
            received_at=now.isoformat(),
        )
        remember_current_visit(event, live=worker_deps.live_positions)

    team, members = bootstrap.use_cases(grpc_deps).get_team_positions(LEAD, "")
    (member,) = [m for m in members if m.position.manager_id == "m003"]
    p = member.position
    assert (team, p.lat, p.lon, p.accuracy_m, p.speed_mps) == ("t01", 31.81, 117.21, 9.0, 2.5)
    assert p.ms == int((now - timedelta(seconds=30)).timestamp() * 1000) and member.age_s >= 30
    assert member.visit is not None and member.visit["visit_id"] == "v-new"
