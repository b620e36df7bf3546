"""The one table from gRPC status to HTTP status and error body."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import struct_pb2
from google.rpc import status_pb2

from baifang.common.v1 import common_pb2
from gateway.errors import GRPC_TO_HTTP, from_grpc, from_rpc_error, retry_after, validation_details


@pytest.mark.parametrize(
    ("status", "http"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.FAILED_PRECONDITION, 409),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.ABORTED, 409),
        (grpc.StatusCode.OUT_OF_RANGE, 422),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 503),
        (grpc.StatusCode.INTERNAL, 500),
        (grpc.StatusCode.UNKNOWN, 500),
        (grpc.StatusCode.DATA_LOSS, 500),
    ],
)
def test_each_status_maps_to_its_http_status(status: grpc.StatusCode, http: int) -> None:
    assert from_grpc(status, "", "", {}).status == http


def test_the_peer_code_and_details_pass_through() -> None:
    error = from_grpc(grpc.StatusCode.FAILED_PRECONDITION, "customer_not_in_plan", "not on today's list", {"star": 3.0})
    assert (error.status, error.code, error.message, error.details) == (
        409,
        "customer_not_in_plan",
        "not on today's list",
        {"star": 3},
    )


def test_without_a_peer_code_the_table_names_one() -> None:
    assert from_grpc(grpc.StatusCode.NOT_FOUND, "", "no such visit", {}).code == "not_found"
    assert from_grpc(grpc.StatusCode.INVALID_ARGUMENT, "invalid_argument", "bad date", {}).code == "invalid_request"


def test_unavailable_asks_to_retry_later() -> None:
    error = from_grpc(grpc.StatusCode.DEADLINE_EXCEEDED, "", "deadline", {})
    assert error.code == "unavailable"
    assert error.headers["Retry-After"] == "1"


def test_internal_failures_do_not_leak_their_message() -> None:
    error = from_grpc(grpc.StatusCode.INTERNAL, "", "Traceback: secret", {"x": 1})
    assert (error.status, error.code, error.message, error.details) == (500, "internal", "internal error", {})


def test_every_mapped_status_is_a_client_or_dependency_error() -> None:
    assert all(400 <= http < 500 or http == 503 for http, _ in GRPC_TO_HTTP.values())


def _aio_error(status: grpc.StatusCode, message: str, code: str, details: dict[str, object]) -> grpc.aio.AioRpcError:
    struct = struct_pb2.Struct()
    struct.update(details)
    rich = status_pb2.Status(code=status.value[0], message=message)
    rich.details.add().Pack(common_pb2.ErrorDetail(code=code, details=struct))
    trailer = grpc.aio.Metadata(("grpc-status-details-bin", rich.SerializeToString()))
    return grpc.aio.AioRpcError(status, grpc.aio.Metadata(), trailer, details=message)


def test_an_aio_error_trailer_is_decoded() -> None:
    exc = _aio_error(grpc.StatusCode.OUT_OF_RANGE, "forged code", "invalid_qr", {"field": "qr"})
    error = from_rpc_error(exc)
    assert (error.status, error.code, error.details) == (422, "invalid_qr", {"field": "qr"})


def test_an_aio_error_without_trailer_uses_the_table() -> None:
    exc = grpc.aio.AioRpcError(
        grpc.StatusCode.PERMISSION_DENIED, grpc.aio.Metadata(), grpc.aio.Metadata(), details="no"
    )
    error = from_rpc_error(exc)
    assert (error.status, error.code) == (403, "forbidden")


def test_validation_errors_name_each_field() -> None:
    errors = [
        {"loc": ("body", "lat"), "msg": "Input should be less than or equal to 90", "type": "less_than_equal"},
        {"loc": ("query", "limit"), "msg": "Input should be a valid integer", "type": "int_parsing"},
        {"loc": ("body", 7), "msg": "JSON decode error", "type": "json_invalid", "ctx": {"error": "Expecting value"}},
    ]
    details = validation_details(errors)
    assert details["lat"].startswith("Input should be")
    assert "limit" in details
    assert details["body"] == "malformed JSON: Expecting value"


def test_back_pressure_passes_the_peers_retry_after() -> None:
    error = from_grpc(grpc.StatusCode.UNAVAILABLE, "unavailable", "queue too deep", {"retry_after": 7.0})
    assert (error.status, error.code, error.headers["Retry-After"]) == (503, "unavailable", "7")
    assert error.details == {"retry_after_s": 7}
    assert from_grpc(grpc.StatusCode.UNAVAILABLE, "", "", {"retry_after": 0.2}).headers["Retry-After"] == "1"
    limited = from_grpc(grpc.StatusCode.RESOURCE_EXHAUSTED, "rate_limited", "slow down", {"retry_after": 30})
    assert limited.headers["Retry-After"] == "30"


@pytest.mark.parametrize("value", [None, "5", -3, 0, float("nan"), float("inf"), True])
def test_a_missing_or_odd_retry_after_falls_back_to_the_default(value: object) -> None:
    details = {} if value is None else {"retry_after": value}
    error = from_grpc(grpc.StatusCode.UNAVAILABLE, "", "", details)
    assert error.headers["Retry-After"] == "1"
    assert retry_after({"retry_after": 10**9}) == 300
