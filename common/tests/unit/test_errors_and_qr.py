import grpc

from baifang.common.v1 import common_pb2
from baifang_common.errors import Conflict, NotFound, RemoteError, RuleViolation, code_of, status_of
from baifang_common.interceptors import error_status
from baifang_common.qr import qr_customer_id, qr_signature_ok, sign_qr


class CustomerNotInPlan(Conflict):
    code = "customer_not_in_plan"


def test_service_error_keeps_its_api_code_and_status():
    error = CustomerNotInPlan("not on today's list", customer={"id": "c1"})
    assert code_of(error) == "customer_not_in_plan"
    assert status_of(error) == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details == {"customer": {"id": "c1"}}


def test_remote_error_reports_the_peers_code_not_its_own():
    error = RemoteError(grpc.StatusCode.NOT_FOUND, "visit_not_found", "no such visit", {"visit_id": "v1"})
    assert code_of(error) == "visit_not_found"
    assert status_of(error) == grpc.StatusCode.NOT_FOUND


def test_error_status_trailer_carries_code_and_details():
    status = error_status(RuleViolation("price out of band", lines=[{"index": 2, "field": "pack_price"}]))
    assert status.code == grpc.StatusCode.OUT_OF_RANGE.value[0]
    detail = common_pb2.ErrorDetail()
    assert status.details[0].Unpack(detail)
    assert detail.code == "rule_violation"
    assert detail.details["lines"][0]["field"] == "pack_price"


def test_not_found_maps_to_not_found_status():
    assert status_of(NotFound()) == grpc.StatusCode.NOT_FOUND


def test_signed_qr_verifies_with_its_secret_only():
    token = sign_qr("c000123", "s3cret")
    assert qr_customer_id(token) == "c000123"
    assert qr_signature_ok(token, "s3cret")
    assert not qr_signature_ok(token, "other")


def test_forged_or_foreign_payloads_are_refused():
    token = sign_qr("c000123", "s3cret")
    forged = token.replace("c000123", "c000124")
    assert not qr_signature_ok(forged, "s3cret")
    assert qr_customer_id("https://example.invalid/shop/1") is None
    assert qr_customer_id("BF1..sig") is None
    assert not qr_signature_ok("", "s3cret")
