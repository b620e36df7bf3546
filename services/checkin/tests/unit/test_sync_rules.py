"""The offline batch as pure rules (docs/domain.md §1.3.3): order, accepted types, duplicates, payloads."""

from __future__ import annotations

import pytest

from baifang_common.errors import InvalidArgument
from checkin.domain.errors import TooManyOps
from checkin.domain.sync import (
    OfflineOp,
    OpOutcome,
    OpStatus,
    check_size,
    checkin_fields,
    decode_applied,
    encode_applied,
    plan_batch,
    task_fields,
    unplanned_fields,
    visit_fields,
)


def op(op_id: str, client_ts: str, type_: str = "task.complete") -> OfflineOp:
    return OfflineOp(op_id=op_id, type=type_, payload={}, client_ts=client_ts)


def test_ops_are_applied_in_client_time_order_across_offsets():
    ops = [
        op("c", "2026-03-03T10:05:00+08:00"),
        op("a", "2026-03-03T01:00:00Z"),  # 09:00 in Shanghai
        op("b", "2026-03-03T09:30:00+08:00", "checkin"),
    ]
    assert [o.op_id for _, o in plan_batch(ops).order] == ["a", "b", "c"]


def test_ops_with_the_same_client_time_keep_their_upload_order():
    ts = "2026-03-03T09:00:00+08:00"
    ops = [op("x", ts, "checkin"), op("y", ts), op("z", "2026-03-03T01:00:00.000+00:00")]
    assert [index for index, _ in plan_batch(ops).order] == [0, 1, 2]


@pytest.mark.parametrize("type_", ["collection.price_inventory", "visit.temporary", "", "CHECKIN"])
def test_online_only_and_unknown_types_are_rejected_per_op(type_):
    schedule = plan_batch([op("a", "2026-03-03T09:00:00+08:00", type_), op("b", "2026-03-03T09:01:00+08:00")])
    rejected = schedule.early[0]
    assert (rejected.status, rejected.error_code) == (OpStatus.REJECTED, "unsupported_op_type")
    assert "checkin" in rejected.error_details["supported"]
    assert [o.op_id for _, o in schedule.order] == ["b"]


@pytest.mark.parametrize("ts", ["yesterday", "2026-03-03T09:00:00", "", "2026-02-30T09:00:00Z"])
def test_an_unparseable_client_time_rejects_that_op_only(ts):
    schedule = plan_batch([op("a", ts), op("b", "2026-03-03T09:00:00+08:00")])
    assert (schedule.early[0].error_code, schedule.early[0].error_details) == (
        "invalid_argument",
        {"field": "client_ts"},
    )
    assert [o.op_id for _, o in schedule.order] == ["b"]


def test_the_later_of_two_ops_with_one_op_id_is_answered_from_the_first():
    schedule = plan_batch([op("a", "2026-03-03T09:00:00+08:00"), op("a", "2026-03-03T08:00:00+08:00")])
    assert [index for index, _ in schedule.order] == [0]
    assert schedule.twins == {1: 0}
    applied = OpOutcome("a", OpStatus.APPLIED, {"visit": {"status": "checked_in"}})
    assert applied.as_duplicate("a") == OpOutcome("a", OpStatus.DUPLICATE, {"visit": {"status": "checked_in"}})
    refused = OpOutcome.rejected("a", InvalidArgument("bad", field="payload.visit_id"))
    assert refused.as_duplicate("a") == refused


def test_an_op_without_op_id_is_rejected():
    schedule = plan_batch([op("", "2026-03-03T09:00:00+08:00")])
    assert schedule.early[0].error_details == {"field": "op_id"}
    assert schedule.order == ()


def test_a_batch_over_the_limit_is_refused_as_a_whole():
    check_size([op("a", "t")] * 3, 3)
    with pytest.raises(TooManyOps) as info:
        check_size([op("a", "t")] * 4, 3)
    assert (info.value.code, info.value.details) == ("too_many_ops", {"max": 3, "given": 4})


def test_checkin_payload_takes_struct_numbers_and_defaults():
    fields = checkin_fields({"qr": "BF1.c.s", "lat": 31.2, "lon": 121.4, "accuracy_m": 8.0})
    assert (fields.qr, fields.lat, fields.accuracy_m, fields.mock_location, fields.fix_ts) == (
        "BF1.c.s",
        31.2,
        8.0,
        False,
        "",
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"lat": 31.2, "lon": 121.4, "accuracy_m": 8}, "payload.qr"),
        ({"qr": "q", "lat": 91, "lon": 121.4, "accuracy_m": 8}, "payload.lat"),
        ({"qr": "q", "lat": 31.2, "lon": "121.4", "accuracy_m": 8}, "payload.lon"),
        ({"qr": "q", "lat": 31.2, "lon": 121.4}, "payload.accuracy_m"),
        ({"qr": "q", "lat": 31.2, "lon": 121.4, "accuracy_m": True}, "payload.accuracy_m"),
        ({"qr": "q", "lat": 31.2, "lon": 121.4, "accuracy_m": 8, "mock_location": "yes"}, "payload.mock_location"),
        ({"qr": "q", "lat": 31.2, "lon": 121.4, "accuracy_m": 8, "fix_ts": "09:00"}, "payload.fix_ts"),
    ],
)
def test_a_malformed_checkin_payload_names_the_field(payload, field):
    with pytest.raises(InvalidArgument) as info:
        checkin_fields(payload)
    assert info.value.details == {"field": field}


def test_visit_work_payloads_need_their_ids_and_bound_their_texts():
    assert task_fields({"visit_id": "v", "task_id": "t"}).note == ""
    assert visit_fields({"visit_id": "v", "summary": "好"}).summary == "好"
    assert unplanned_fields({"visit_id": "v", "text": "补货"}).text == "补货"
    for parse, payload, field in (
        (task_fields, {"visit_id": "v"}, "payload.task_id"),
        (visit_fields, {}, "payload.visit_id"),
        (unplanned_fields, {"visit_id": "v", "text": "x" * 2001}, "payload.text"),
        (unplanned_fields, {"visit_id": 7, "text": "x"}, "payload.visit_id"),
    ):
        with pytest.raises(InvalidArgument) as info:
            parse(payload)
        assert info.value.details == {"field": field}


def test_an_applied_result_round_trips_through_the_op_store_encoding():
    result = {"visit": {"visit_id": "v1", "status": "completed", "summary": "客户经营正常"}}
    assert decode_applied(encode_applied("visit.complete", result)) == result
