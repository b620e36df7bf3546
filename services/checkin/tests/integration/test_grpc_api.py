"""RecordCheckin through the real gRPC server, against the real planning service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import grpc
import pytest

from baifang.checkin.v1 import checkin_pb2_grpc
from baifang_common.qr import sign_qr
from baifang_common.testing.calls import caller_md, rpc_error
from baifang_common.testing.plugin import unique
from checkin.domain.rules import event_id_for

from .checkin_support import HERE, World, checkin_request, north, now_local

pytestmark = pytest.mark.integration

Stub = checkin_pb2_grpc.CheckinServiceStub


def test_checkin_at_the_outlet_is_ok_and_published(
    world: World, checkin_stub: Stub, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "checkin.recorded")
    outlet = world.outlet()

    answer = checkin_stub.RecordCheckin(checkin_request(outlet, at=north(20)), metadata=caller_md())

    assert answer.verdict == "ok"
    assert answer.verdict_reason == ""
    assert answer.visit_id == outlet.visit_id
    assert answer.customer_id == outlet.customer.id
    assert answer.distance_m == pytest.approx(20, abs=0.5)
    (event,) = probe.wait(1)
    assert event["checkin_id"] == answer.checkin_id
    assert event["event_id"] == event_id_for(answer.checkin_id)
    assert (event["manager_id"], event["team_id"], event["date"]) == ("m001", "t01", world.date)
    assert event["verdict"] == "ok"
    visit = world.planning.visits.get(outlet.visit_id)
    assert visit is not None
    assert (visit.status, visit.checkin_id) == ("checked_in", answer.checkin_id)
    stored = world.checkin.checkins.get(answer.checkin_id)
    assert stored is not None
    assert (stored.visit_id, stored.verdict, stored.accuracy_m) == (outlet.visit_id, "ok", 8.0)


def test_replayed_op_id_returns_identical_answer_and_one_event_id(
    world: World, checkin_stub: Stub, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "checkin.recorded")
    outlet = world.outlet()
    request = checkin_request(outlet)

    first = checkin_stub.RecordCheckin(request, metadata=caller_md())
    second = checkin_stub.RecordCheckin(request, metadata=caller_md())

    assert second == first
    assert {b["event_id"] for b in probe.settle(1)} == {event_id_for(first.checkin_id)}
    assert world.checkin.checkins.collection.count_documents({"manager_id": "m001"}) == 1


def test_second_checkin_on_same_visit_returns_the_first(
    world: World, checkin_stub: Stub, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "checkin.recorded")
    outlet = world.outlet()

    first = checkin_stub.RecordCheckin(checkin_request(outlet), metadata=caller_md())
    second = checkin_stub.RecordCheckin(checkin_request(outlet, at=north(500)), metadata=caller_md())

    assert second == first
    assert [b["checkin_id"] for b in probe.settle(1)] == [first.checkin_id]


def test_forged_signature_is_invalid_qr(world: World, checkin_stub: Stub) -> None:
    outlet = world.outlet()
    forged = sign_qr(outlet.customer.id, "not-the-secret")

    status, code, details = rpc_error(
        lambda: checkin_stub.RecordCheckin(checkin_request(outlet, qr=forged), metadata=caller_md())
    )

    assert (status, code, details["reason"]) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_qr", "bad_signature")
    visit = world.planning.visits.get(outlet.visit_id)
    assert visit is not None and visit.status == "planned"


def test_unknown_customer_is_invalid_qr(world: World, checkin_stub: Stub) -> None:
    outlet = world.outlet()
    unknown = sign_qr(unique("nobody"), "whatever")

    status, code, _ = rpc_error(
        lambda: checkin_stub.RecordCheckin(checkin_request(outlet, qr=unknown), metadata=caller_md())
    )

    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_qr")


def test_malformed_code_is_invalid_qr(world: World, checkin_stub: Stub) -> None:
    outlet = world.outlet()

    status, code, _ = rpc_error(
        lambda: checkin_stub.RecordCheckin(checkin_request(outlet, qr="https://example.com/x"), metadata=caller_md())
    )

    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_qr")


def test_outlet_not_on_the_list_is_409_with_customer_summary(world: World, checkin_stub: Stub) -> None:
    outlet = world.outlet(on_list=False)

    status, code, details = rpc_error(lambda: checkin_stub.RecordCheckin(checkin_request(outlet), metadata=caller_md()))

    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "customer_not_in_plan")
    customer = details["customer"]
    assert customer["id"] == outlet.customer.id
    assert customer["code"] == outlet.customer.code
    assert customer["name"] == outlet.customer.name
    assert customer["address"] == outlet.customer.address
    assert customer["star"] == 3
    assert customer["terminal_type"] == "便利店"
    assert customer["location"] == pytest.approx({"lat": HERE[0], "lon": HERE[1]})


def test_outlet_on_another_day_is_not_in_plan(world: World, checkin_stub: Stub) -> None:
    tomorrow = (now_local() + timedelta(days=1)).date().isoformat()
    outlet = world.outlet(date=tomorrow)

    _, code, _ = rpc_error(lambda: checkin_stub.RecordCheckin(checkin_request(outlet), metadata=caller_md()))

    assert code == "customer_not_in_plan"


def test_too_far_and_suspect_checkins_are_recorded_not_refused(
    world: World, checkin_stub: Stub, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "checkin.recorded")
    far_outlet, spoofed_outlet = world.outlet(), world.outlet(location=north(300))

    far = checkin_stub.RecordCheckin(checkin_request(far_outlet, at=north(250)), metadata=caller_md())
    spoofed = checkin_stub.RecordCheckin(
        checkin_request(spoofed_outlet, at=north(300), mock_location=True), metadata=caller_md()
    )

    assert (far.verdict, far.verdict_reason) == ("too_far", "")
    assert far.distance_m == pytest.approx(250, abs=0.5)
    assert (spoofed.verdict, spoofed.verdict_reason) == ("suspect", "mock_location")
    verdicts = {b["checkin_id"]: b["verdict"] for b in probe.wait(2)}
    assert verdicts == {far.checkin_id: "too_far", spoofed.checkin_id: "suspect"}
    for answer in (far, spoofed):
        visit = world.planning.visits.get(answer.visit_id)
        assert visit is not None and visit.status == "checked_in"


def test_travel_faster_than_120_kmh_since_previous_checkin_is_suspect(world: World, checkin_stub: Stub) -> None:
    here, far_away = world.outlet(), world.outlet(location=north(30_000))
    start = now_local()

    checkin_stub.RecordCheckin(checkin_request(here, client_ts=start.isoformat()), metadata=caller_md())
    jump = checkin_stub.RecordCheckin(
        checkin_request(far_away, at=north(30_000), client_ts=(start + timedelta(minutes=5)).isoformat()),
        metadata=caller_md(),
    )

    assert (jump.verdict, jump.verdict_reason) == ("suspect", "impossible_travel")


def test_stale_fix_is_suspect(world: World, checkin_stub: Stub) -> None:
    outlet = world.outlet()
    request = checkin_request(outlet)
    request.fix_ts = (now_local() - timedelta(minutes=5)).isoformat()

    answer = checkin_stub.RecordCheckin(request, metadata=caller_md())

    assert (answer.verdict, answer.verdict_reason) == ("suspect", "stale_fix")


def test_supervisor_cannot_check_in(world: World, checkin_stub: Stub) -> None:
    outlet = world.outlet()

    status, code, _ = rpc_error(
        lambda: checkin_stub.RecordCheckin(checkin_request(outlet), metadata=caller_md("s01", "supervisor"))
    )

    assert (status, code) == (grpc.StatusCode.PERMISSION_DENIED, "forbidden")


def test_missing_op_id_is_a_malformed_request(world: World, checkin_stub: Stub) -> None:
    outlet = world.outlet()
    request = checkin_request(outlet)
    request.op.op_id = ""

    status, code, _ = rpc_error(lambda: checkin_stub.RecordCheckin(request, metadata=caller_md()))

    assert (status, code) == (grpc.StatusCode.INVALID_ARGUMENT, "invalid_argument")


def test_client_time_without_offset_is_a_malformed_request(world: World, checkin_stub: Stub) -> None:
    outlet = world.outlet()

    status, code, _ = rpc_error(
        lambda: checkin_stub.RecordCheckin(
            checkin_request(outlet, client_ts="2025-03-03T09:00:00"), metadata=caller_md()
        )
    )

    assert (status, code) == (grpc.StatusCode.INVALID_ARGUMENT, "invalid_argument")
