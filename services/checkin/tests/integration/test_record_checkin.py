"""record_checkin called directly with real stores, Redis, RabbitMQ and the real planning service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from baifang_common.context import Caller, bound
from baifang_common.errors import Unavailable
from baifang_common.publisher import EventPublisher
from baifang_common.testing.plugin import free_port, unique
from checkin.domain.errors import FirstCheckinPending
from checkin.domain.model import CheckinCommand, CheckinResult
from checkin.usecases.checkins import record_checkin

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


def run(world: World, cmd: CheckinCommand, publisher: EventPublisher | None = None) -> CheckinResult:
    deps = world.checkin
    answer = record_checkin(
        cmd,
        checkins=deps.checkins,
        planning=deps.planning,
        publisher=publisher or deps.publisher,
        ops=deps.ops,
        last_fixes=deps.last_fixes,
        thresholds=deps.thresholds,
        timezone=deps.settings.timezone,
    )
    return answer.result


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
