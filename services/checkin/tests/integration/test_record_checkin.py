"""record_checkin called directly with real stores, Redis, RabbitMQ and the real planning service."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from baifang_common.context import Caller, bound
from baifang_common.errors import Unavailable
from baifang_common.publisher import EventPublisher
from baifang_common.testing.plugin import free_port, unique
from checkin.domain.errors import FirstCheckinPending
from checkin.domain.model import CheckinCommand, CheckinResult
from checkin.domain.rules import checkin_id_for
from checkin.usecases.checkins import CheckinAnswer, record_checkin
from planning.domain.appointments import Appointment

from .checkin_support import HERE, Outlet, World, now_local

pytestmark = pytest.mark.integration

M001 = Caller("m001", "manager", "t01")


@pytest.fixture(autouse=True)
def as_m001() -> Iterator[None]:
    """The gRPC interceptor binds the caller in production; here the test does."""
    with bound(unique("req"), M001):
        yield


def command(outlet: Outlet, op_id: str, **overrides: Any) -> CheckinCommand:
    values: dict[str, Any] = {
        "caller": M001,
        "op_id": op_id,
        "qr": outlet.qr,
        "lat": HERE[0],
        "lon": HERE[1],
        "accuracy_m": 12.0,
        "client_ts": now_local().isoformat(),
    }
    return CheckinCommand(**{**values, **overrides})


def stored_checkin_ids(world: World, manager_id: str = "m001") -> list[str]:
    return [doc["_id"] for doc in world.checkin.checkins.collection.find({"manager_id": manager_id})]


def answer_of(world: World, cmd: CheckinCommand, publisher: EventPublisher | None = None) -> CheckinAnswer:
    deps = world.checkin
    return record_checkin(
        cmd,
        checkins=deps.checkins,
        planning=deps.planning,
        publisher=publisher or deps.publisher,
        ops=deps.ops,
        last_fixes=deps.last_fixes,
        thresholds=deps.thresholds,
        timezone=deps.settings.timezone,
    )


def run(world: World, cmd: CheckinCommand, publisher: EventPublisher | None = None) -> CheckinResult:
    return answer_of(world, cmd, publisher).result


def test_broker_down_is_unavailable_and_the_retry_with_same_op_id_succeeds_once(
    world: World, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "checkin.recorded")
    outlet = world.outlet()
    cmd = command(outlet, unique("op"))
    dead_broker = EventPublisher(f"amqp://guest:guest@127.0.0.1:{free_port()}//", connect_timeout=0.5)

    with pytest.raises(Unavailable):
        run(world, cmd, dead_broker)
    result = run(world, cmd)

    assert stored_checkin_ids(world) == [result.checkin_id]
    assert [b["checkin_id"] for b in probe.wait(1)] == [result.checkin_id]
    assert run(world, cmd) == result


def test_retry_after_crash_keeps_the_first_attempts_verdict(world: World) -> None:
    outlet = world.outlet()
    cmd = command(outlet, unique("op"), lat=HERE[0] + 0.01)  # about 1.1 km away: too_far
    dead_broker = EventPublisher(f"amqp://guest:guest@127.0.0.1:{free_port()}//", connect_timeout=0.5)

    with pytest.raises(Unavailable):
        run(world, cmd, dead_broker)
    # The retry carries a different (better) fix; the recorded check-in must not change.
    result = run(world, command(outlet, cmd.op_id, client_ts=cmd.client_ts))

    assert result.verdict == "too_far"
    assert result.distance_m == pytest.approx(1112, abs=2)


def test_visit_held_by_an_unrecorded_checkin_asks_for_a_retry(world: World) -> None:
    outlet = world.outlet()
    world.planning.visits.mark_checked_in(outlet.visit_id, "someone-elses-checkin", datetime.now(UTC))
    op_id = unique("op")

    with pytest.raises(FirstCheckinPending) as info:
        run(world, command(outlet, op_id))

    assert info.value.code == "unavailable"
    assert world.checkin.ops.get("m001", op_id) is None
    assert stored_checkin_ids(world) == []


def book(world: World, outlet: Outlet, scheduled_at: datetime) -> None:
    """m001's appointment with the outlet on the world's day (planning's own store)."""
    appointment = Appointment(
        id=unique("ap"),
        manager_id="m001",
        team_id="t01",
        customer_id=outlet.customer.id,
        booked_at=scheduled_at - timedelta(days=2),
        scheduled_at=scheduled_at,
        duration_min=30,
        purpose="新品介绍",
        date=world.date,
    )
    assert world.planning.appointments.insert(appointment)


def stored_late(world: World, checkin_id: str) -> bool:
    doc = world.checkin.checkins.collection.find_one({"_id": checkin_id})
    assert doc is not None
    return bool(doc["late"])


def test_checkin_later_than_five_minutes_before_the_appointment_is_late_in_the_fact_and_the_event(
    world: World, event_probe: Callable[..., Any]
) -> None:
    """P-003-4: arrive at least 5 minutes early; 4 minutes early is late, 6 minutes early is not."""
    probe = event_probe("checkin", "checkin.recorded")
    scanned = now_local()
    late_outlet, early_outlet, free_outlet = world.outlet(), world.outlet(), world.outlet()
    book(world, late_outlet, scanned + timedelta(minutes=4))
    book(world, early_outlet, scanned + timedelta(minutes=6))

    results = [
        run(world, command(outlet, unique("op"), client_ts=scanned.isoformat()))
        for outlet in (late_outlet, early_outlet, free_outlet)
    ]

    assert [stored_late(world, r.checkin_id) for r in results] == [True, False, False]
    events = {e["checkin_id"]: e["late"] for e in probe.wait(3)}
    assert [events[r.checkin_id] for r in results] == [True, False, False]


def test_replay_that_can_no_longer_apply_answers_the_kept_answer(world: World) -> None:
    """The kept answer is read only when the replay fails: here the outlet's code was re-issued since."""
    outlet = world.outlet()
    cmd = command(outlet, unique("op"))
    first = run(world, cmd)
    customer = dataclasses.replace(outlet.customer, qr_secret=uuid.uuid4().hex)
    world.planning.customers.upsert_many([customer])

    again = answer_of(world, cmd)

    assert (again.result, again.replayed) == (first, True)
    assert stored_checkin_ids(world) == [first.checkin_id]


def test_a_first_checkin_is_its_own_kept_answer_and_its_replay_publishes_it_again(
    world: World, event_probe: Callable[..., Any]
) -> None:
    """No OpStore entry for a check-in of its own (one store write less per check-in); a replay that can no
    longer apply answers the stored check-in and publishes its event again, under the same event id,
    since the attempt that stored it may have died before publishing."""
    probe = event_probe("checkin", "checkin.recorded")
    outlet = world.outlet()
    cmd = command(outlet, unique("op"))
    first = answer_of(world, cmd)
    customer = dataclasses.replace(outlet.customer, qr_secret=uuid.uuid4().hex)
    world.planning.customers.upsert_many([customer])

    again = answer_of(world, cmd)

    assert world.checkin.ops.get("m001", cmd.op_id) is None
    assert (first.replayed, again.result, again.replayed) == (False, first.result, True)
    events = probe.wait(2)
    assert [e["checkin_id"] for e in events] == [first.result.checkin_id] * 2
    assert events[0]["event_id"] == events[1]["event_id"]


def test_a_replay_after_the_first_succeeded_answers_the_stored_checkin_and_publishes_it_again(
    world: World, event_probe: Callable[..., Any]
) -> None:
    """Planning says the replay's check-in held the visit before: the stored check-in is the answer, even
    when the replay carries another fix, and its event goes out again under the same id."""
    probe = event_probe("checkin", "checkin.recorded")
    outlet = world.outlet()
    cmd = command(outlet, unique("op"))
    first = answer_of(world, cmd)

    again = answer_of(world, dataclasses.replace(cmd, lat=HERE[0] + 0.01))  # ~1.1 km away: would be too_far

    assert (first.replayed, first.result.verdict) == (False, "ok")
    assert (again.result, again.replayed) == (first.result, True)
    assert stored_checkin_ids(world) == [first.result.checkin_id]
    events = probe.wait(2)
    assert [e["event_id"] for e in events] == [events[0]["event_id"]] * 2


def test_a_replay_of_a_checkin_planning_marked_but_never_stored_stores_it_once(
    world: World, event_probe: Callable[..., Any]
) -> None:
    """The attempt that marked the visit died before its insert: the replay finds nothing stored and
    records the check-in then, once."""
    probe = event_probe("checkin", "checkin.recorded")
    outlet = world.outlet()
    cmd = command(outlet, unique("op"))
    checkin_id = checkin_id_for("m001", cmd.op_id)
    assert world.planning.visits.mark_checked_in(outlet.visit_id, checkin_id, datetime.now(UTC))

    answer = answer_of(world, cmd)

    assert (answer.result.checkin_id, answer.result.verdict, answer.replayed) == (checkin_id, "ok", False)
    assert stored_checkin_ids(world) == [checkin_id]
    assert [e["checkin_id"] for e in probe.wait(1)] == [checkin_id]


def test_a_second_checkin_is_answered_with_the_first_and_its_replay_with_the_kept_answer(world: World) -> None:
    """docs/domain.md §3.4: another op_id at a checked-in visit gets the first check-in, kept for its op_id."""
    outlet = world.outlet()
    first = run(world, command(outlet, unique("op")))
    second_cmd = command(outlet, unique("op"), lat=HERE[0] + 0.01)

    second = answer_of(world, second_cmd)
    replay = answer_of(world, second_cmd)

    assert (second.result, second.replayed) == (first, False)
    assert (replay.result, replay.replayed) == (first, True)
    assert world.checkin.ops.get("m001", second_cmd.op_id) is not None
    assert stored_checkin_ids(world) == [first.checkin_id]


def test_concurrent_checkins_of_one_visit_store_one_and_answer_it_to_all(world: World) -> None:
    """Racing tablets of one manager at one outlet: planning lets one check-in hold the visit, checkin
    stores that one only, and every other op is answered with it (or asked to retry while it is stored)."""
    outlet = world.outlet()
    cmds = [command(outlet, unique("op")) for _ in range(6)]

    def attempt(cmd: CheckinCommand) -> CheckinResult | None:
        with bound(unique("req"), M001):
            try:
                return run(world, cmd)
            except FirstCheckinPending:
                return None

    with ThreadPoolExecutor(max_workers=len(cmds)) as pool:
        results = list(pool.map(attempt, cmds))
    results = [r if r is not None else run(world, cmd) for r, cmd in zip(results, cmds, strict=True)]

    stored = stored_checkin_ids(world)
    assert len(stored) == 1
    assert {r.checkin_id for r in results} == set(stored)
    assert world.planning.visits.get(outlet.visit_id).checkin_id == stored[0]  # type: ignore[union-attr]
