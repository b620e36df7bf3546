"""Photos (docs/domain.md §1.2) through the real collection servicer and GridFS in the real store."""

from __future__ import annotations

import grpc
import pytest

from baifang.collection.v1 import collection_pb2
from baifang.common.v1 import common_pb2
from baifang_common.testing.calls import caller_md, rpc_error
from baifang_common.testing.images import jpeg, png
from baifang_common.testing.plugin import unique

from .price_support import ADMIN, M001, M002, S01, S02, World, zhonghua

pytestmark = pytest.mark.integration


def upload(world: World, customer: str, data: bytes, who=M001, visit_id: str = "", kind: str = "shelf"):
    request = collection_pb2.UploadPhotoRequest(customer_id=customer, visit_id=visit_id, kind=kind, data=data)
    return world.stub.UploadPhoto(request, metadata=caller_md(*who))


def fetch(world: World, photo_id: str, who=M001):
    return world.stub.GetPhoto(collection_pb2.GetPhotoRequest(photo_id=photo_id), metadata=caller_md(*who))


def test_photos_are_checked_by_content_stored_and_read_by_those_allowed(world: World) -> None:
    customer = world.customer()
    visit = world.visit(customer)
    stored = upload(world, customer, png(), visit_id=visit)
    assert (stored.content_type, stored.width, stored.height, stored.owner_id) == ("image/png", 3, 2, "m001")
    assert upload(world, customer, png(), visit_id=visit).photo_id == stored.photo_id  # a retried upload
    photo = upload(world, customer, jpeg())
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 640, 480)
    for reader in (M001, S01, ADMIN):
        answer = fetch(world, stored.photo_id, who=reader)
        assert answer.data == png() and answer.photo.visit_id == visit
    for stranger in (M002, S02):
        status, _, _ = rpc_error(lambda who=stranger: fetch(world, stored.photo_id, who=who))
        assert status == grpc.StatusCode.PERMISSION_DENIED
    status, code, _ = rpc_error(lambda: fetch(world, "no-such-photo"))
    assert (status, code) == (grpc.StatusCode.NOT_FOUND, "photo_not_found")


def test_photos_that_are_not_jpeg_or_png_by_content_or_too_large_are_refused(world: World) -> None:
    customer = world.customer()
    for data in (b"GIF89a" + b"\x00" * 40, b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, b"\xff\xd8\xff\xe0\x00\x10JFIF", b"{}"):
        status, code, _ = rpc_error(lambda data=data: upload(world, customer, data))
        assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "unsupported_media_type"), data[:8]
    big = png() + b"\x00" * world.collection.photo_max_bytes
    status, code, details = rpc_error(lambda: upload(world, customer, big))
    assert (status, code, details["limit_bytes"]) == (grpc.StatusCode.OUT_OF_RANGE, "payload_too_large", 5 * 2**20)
    status, _, _ = rpc_error(lambda: upload(world, customer, png(), who=M002))
    assert status == grpc.StatusCode.PERMISSION_DENIED
    other_visit = world.visit(world.customer())
    status, _, _ = rpc_error(lambda: upload(world, customer, png(), visit_id=other_visit))
    assert status == grpc.StatusCode.PERMISSION_DENIED


def test_referenced_photos_must_exist_and_show_the_same_customer(world: World) -> None:
    customer, other = world.customer(), world.customer()
    mine = upload(world, customer, png()).photo_id
    theirs = upload(world, other, png()).photo_id
    visit = world.visit(customer)
    status, code, details = rpc_error(lambda: world.submit(visit, [zhonghua(stock=1)], photo_ids=[mine, theirs, "x"]))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_photo_reference")
    assert details["photo_ids"] == {theirs: "a photo of another customer", "x": "no such photo"}
    kept = world.submit(visit, [zhonghua(stock=1)], photo_ids=[mine, mine]).collection
    assert list(kept.photo_ids) == [mine]
    save = collection_pb2.SaveTerminalProfileRequest(
        op=common_pb2.OpMeta(op_id=unique("op")), customer_id=customer, kind="terminal_info", values_json="{}"
    )
    save.photo_ids.append(theirs)
    status, code, _ = rpc_error(lambda: world.stub.SaveTerminalProfile(save, metadata=caller_md(*M001)))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_photo_reference")
    save.photo_ids[:] = [mine]
    saved = world.stub.SaveTerminalProfile(save, metadata=caller_md(*M001))
    assert list(saved.latest.photo_ids) == [mine]


def test_special_use_reports_and_promotion_feedback_reference_photos_of_their_customer(world: World) -> None:
    customer, other = world.customer(), world.customer()
    mine, theirs = upload(world, customer, png()).photo_id, upload(world, other, jpeg()).photo_id
    report = collection_pb2.FileSpecialUseReportRequest(
        op=common_pb2.OpMeta(op_id=unique("op")),
        customer_id=customer,
        consumer_name="张先生",
        phone="13800000000",
        occasion="wedding",
        area="city",
        event_date="2026-12-18",
        lines=[collection_pb2.AgreedLine(sku="SKU001", qty=10)],
        photo_ids=[theirs],
    )
    status, code, _ = rpc_error(lambda: world.stub.FileSpecialUseReport(report, metadata=caller_md(*M001)))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_photo_reference")
    report.photo_ids[:] = [mine]
    assert list(world.stub.FileSpecialUseReport(report, metadata=caller_md(*M001)).photo_ids) == [mine]

    promotion = collection_pb2.Promotion(
        promotion_id=unique("p"),
        title="新品",
        skus=["SKU008"],
        valid_from="2020-01-01",
        valid_to="2099-12-31",
        active=True,
    )
    world.stub.SavePromotion(promotion, metadata=caller_md(*ADMIN))
    feedback = collection_pb2.RecordPromotionFeedbackRequest(
        op=common_pb2.OpMeta(op_id=unique("op")),
        promotion_id=promotion.promotion_id,
        customer_id=customer,
        feedback="愿意试销",
        intent="high",
        intended_qty=5,
        photo_ids=["no-such-photo"],
    )
    status, code, _ = rpc_error(lambda: world.stub.RecordPromotionFeedback(feedback, metadata=caller_md(*M001)))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_photo_reference")
    feedback.photo_ids[:] = [mine]
    assert list(world.stub.RecordPromotionFeedback(feedback, metadata=caller_md(*M001)).photo_ids) == [mine]
