"""Everything the gateway answers itself: validation, limits, unknown routes, versions, ops endpoints."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from baifang_common.testing.plugin import free_port

pytestmark = pytest.mark.integration

Headers = Callable[[str], dict[str, str]]


def checkin_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "op_id": str(uuid.uuid4()),
        "qr": "BF1.c1.sig",
        "lat": 30.1,
        "lon": 120.2,
        "accuracy_m": 8,
        "client_ts": "2025-03-03T09:00:00+08:00",
    }
    body.update(changes)
    return body


def assert_invalid(response: object, *fields: str) -> None:
    assert response.status_code == 400, response.text  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "invalid_request"
    for field in fields:
        assert field in error["details"], error


def test_malformed_json_is_400(client: TestClient, auth_headers: Headers) -> None:
    headers = {**auth_headers("m001"), "Content-Type": "application/json"}
    assert_invalid(client.post("/api/v1/checkins", content=b'{"op_id": ', headers=headers), "body")
    assert_invalid(client.post("/api/v1/checkins", content=b"\xff\xfe{}", headers=headers))
    assert_invalid(client.post("/api/v1/checkins", headers=headers), "body")
    assert_invalid(client.post("/api/v1/checkins", content=b"[1, 2]", headers=headers))
    assert_invalid(client.post("/api/v1/auth/login", content=b"not json", headers=headers))


def test_bad_fields_are_named_in_details(client: TestClient, auth_headers: Headers) -> None:
    headers = auth_headers("m001")
    bad = checkin_body(op_id="not-a-uuid", lat=91, lon="east", accuracy_m=-1, client_ts="2025-03-03T09:00:00")
    assert_invalid(
        client.post("/api/v1/checkins", json=bad, headers=headers), "op_id", "lat", "lon", "accuracy_m", "client_ts"
    )
    missing = checkin_body()
    del missing["qr"]
    assert_invalid(client.post("/api/v1/checkins", json=missing, headers=headers), "qr")


def test_nan_and_huge_numbers_are_400_not_500(client: TestClient, auth_headers: Headers) -> None:
    headers = {**auth_headers("m001"), "Content-Type": "application/json"}
    nan = (
        b'{"op_id": "%s", "qr": "x", "lat": NaN, "lon": 1, "accuracy_m": Infinity, "client_ts": "2025-03-03T09:00:00Z"}'
    )
    assert_invalid(client.post("/api/v1/checkins", content=nan % str(uuid.uuid4()).encode(), headers=headers), "lat")
    huge = checkin_body(lat=10**400)
    assert_invalid(client.post("/api/v1/checkins", json=huge, headers=headers), "lat")
    overflow = (
        b'{"op_id": "%s", "qr": "x", "lat": 1, "lon": 1, "accuracy_m": 1e400, "client_ts": "2025-03-03T09:00:00Z"}'
    )
    response = client.post("/api/v1/checkins", content=overflow % str(uuid.uuid4()).encode(), headers=headers)
    assert_invalid(response, "accuracy_m")
    assert_invalid(client.get("/api/v1/visits?limit=100000000000000000000000", headers=headers), "limit")
    assert_invalid(client.get("/api/v1/visits?date=2025-13-45", headers=headers), "date")
    assert_invalid(client.get("/api/v1/visits?cursor=bogus", headers=headers), "cursor")


def test_body_over_the_limit_is_413(make_client: Callable[..., TestClient], auth_headers: Headers) -> None:
    small = make_client(max_body_bytes=2048)
    token = small.post("/api/v1/auth/login", json={"username": "m001", "password": "correct horse"}).json()[
        "access_token"
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    declared = small.post("/api/v1/checkins", content=b"{" + b" " * 4096 + b"}", headers=headers)
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"qr": "'
        for _ in range(10):
            yield b"x" * 1024
        yield b'"}'

    streamed = small.post("/api/v1/checkins", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "payload_too_large"


def test_unknown_route_and_wrong_method_answer_json(client: TestClient) -> None:
    missing = client.get("/api/v1/no/such/thing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = client.delete("/api/v1/auth/login")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_old_client_version_gets_426_everywhere(client: TestClient) -> None:
    old = {"X-Client-Version": "0.9.3"}
    for response in (client.get("/api/v1/app/version", headers=old), client.get("/api/v1/me", headers=old)):
        assert response.status_code == 426
        error = response.json()["error"]
        assert error["code"] == "upgrade_required"
        assert error["details"]["minimum"] == "1.0.0"
        assert error["details"]["download_url"]
    current = client.get("/api/v1/app/version", headers={"X-Client-Version": "1.0.0"})
    assert current.status_code == 200
    assert set(current.json()) == {"latest", "minimum", "download_url"}


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32


def test_metrics_have_the_route_template_histogram(client: TestClient) -> None:
    client.get("/api/v1/visits/v-42")  # 401, but routed
    text = client.get("/metrics").text
    counts = [line for line in text.splitlines() if line.startswith("baifang_http_request_seconds_count{")]
    assert any('route="/api/v1/visits/{visit_id}"' in line and 'status="401"' in line for line in counts)
    assert "v-42" not in text
    assert "baifang_http_requests_total" in text


def test_readyz_names_the_services_that_are_down_and_stays_ready_for_the_others(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert set(ready.json()["degraded"]) == {"planning", "checkin", "collection", "analytics"}


def test_readyz_is_unavailable_when_the_gateways_own_store_is_down(make_client: Callable[..., TestClient]) -> None:
    client = make_client(mongo_url=f"mongodb://127.0.0.1:{free_port()}/")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failing"] == ["mongo"]


def test_a_service_down_is_503_with_retry_after(client: TestClient, auth_headers: Headers) -> None:
    response = client.get("/api/v1/visits", headers=auth_headers("m001"))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response.headers["Retry-After"] == "1"


def test_openapi_document_lists_the_routes(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert {"/api/v1/auth/login", "/api/v1/checkins", "/api/v1/visits", "/api/v1/team/progress"} <= set(paths)
    assert client.get("/docs").status_code == 200


def test_openapi_document_describes_the_error_body_every_operation_may_answer(client: TestClient) -> None:
    """Bad input is a 400 with the error body, never FastAPI's 422 validation body."""
    document = client.get("/openapi.json").json()
    for item in document["paths"].values():
        for operation in item.values():
            assert "422" not in operation["responses"]
            assert operation["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["ErrorBody"]["properties"]["error"]["required"] == ["code", "message", "details"]


@pytest.mark.parametrize("offset", [2**63, 2**31, 10**7 + 1, 10**30])
def test_a_cursor_past_any_list_is_400(client: TestClient, auth_headers: Headers, offset: int) -> None:
    """Cursors we never hand out (an offset far past any list) are refused before the store or a service sees them."""
    cursor = base64.urlsafe_b64encode(b'{"o": %d}' % offset).decode().rstrip("=")
    lists = (("/api/v1/admin/devices", "admin"), ("/api/v1/visits", "m001"), ("/api/v1/tasks/library", "m001"))
    for path, user in lists:
        response = client.get(path, params={"cursor": cursor}, headers=auth_headers(user))
        assert_invalid(response, "cursor")


@pytest.mark.parametrize("length", ["-1", "1e3", "0x10", "12abc", "", "١٢".encode()])
def test_a_bad_content_length_is_400_in_the_error_format(client: TestClient, length: str | bytes) -> None:
    response = client.post(
        "/api/v1/auth/login",
        content=b'{"username": "m001", "password": "x"}',
        headers={"Content-Type": "application/json", "Content-Length": length},
    )
    assert_invalid(response, "Content-Length")


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": "m001", "password": "x"',  # truncated
        b'{"username": ["m001"], "password": "x"}',  # wrong type
        b'{"username": "m001", "password": ' + b"9" * 5000 + b"}",  # past Python's digit limit
        b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser's recursion
        b'"just a string"',
        b"null",
    ],
)
def test_malformed_bodies_are_400_in_the_error_format(client: TestClient, body: bytes) -> None:
    response = client.post("/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
