"""POST /tracks and /scans through the gateway to the real checkin servicer (in-process), which publishes
the accepted batches to this test's RabbitMQ vhost; the gateway's own checks (415, 413, roles) need no peer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from baifang.checkin.v1 import checkin_pb2
from checkin import bootstrap as checkin_bootstrap
from checkin.grpc_api import servicer as checkin_servicer
from checkin.settings import CheckinSettings

pytestmark = pytest.mark.integration

Headers = Callable[[str], dict[str, str]]
TRACKS = "/api/v1/tracks"
SCANS = "/api/v1/scans"
PROTOBUF = {"Content-Type": "application/x-protobuf"}
DEAD_AMQP = "amqp://guest:guest@127.0.0.1:1//"


@pytest.fixture
def start_checkin(
    settings_for: Callable[..., Any],
    grpc_server: Callable[..., Any],
    make_client: Callable[..., TestClient],
    planning_addr: str,
) -> Iterator[Callable[..., TestClient]]:
    """A gateway whose checkin is the real servicer, built with the given CheckinSettings overrides
    (and the real planning, which knows the customers devices are created for)."""
    built: list[Any] = []

    def start(**overrides: Any) -> TestClient:
        settings = settings_for(CheckinSettings).model_copy(update=overrides)  # amqp_uri may be overridden
        deps = checkin_bootstrap.build_grpc(settings)
        built.append(deps)
        server, _ = grpc_server([checkin_servicer(deps)])
        return make_client(checkin_addr=f"127.0.0.1:{server.port}", planning_addr=planning_addr)

    yield start
    for deps in built:
        deps.close()


@pytest.fixture
def checkin_client(start_checkin: Callable[..., TestClient]) -> TestClient:
    return start_checkin()


def _bearer(client: TestClient, login: Callable[..., Any], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, user)['access_token']}"}


def points(count: int, start: datetime | None = None) -> list[dict[str, Any]]:
    """Valid, distinct-time fixes walking north from a point in Hefei, one every 10 s ending now."""
    first = start or datetime.now(UTC) - timedelta(seconds=10 * count)
    return [
        {
            "lat": 31.82 + i * 1e-5,
            "lon": 117.22,
            "accuracy_m": 8.0,
            "ts": (first + timedelta(seconds=10 * i)).isoformat(),
        }
        for i in range(count)
    ]


def scans(count: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "code": f"69012345678{i:02d}",
            "sku": "zhonghua-soft",
            "qty": 1,
            "unit_price": 45.0,
            "kind": "sale",
            "ts": (now - timedelta(seconds=i)).isoformat(),
        }
        for i in range(count)
    ]


def test_a_json_batch_is_accepted_with_rejections_by_index(
    checkin_client: TestClient, login: Callable[..., Any], event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "track.batch_accepted")
    batch = points(10)
    batch[3]["lat"] = 91.0
    batch[7]["ts"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    headers = {**_bearer(checkin_client, login, "m001"), "X-Batch-Id": "b-json-1"}
    response = checkin_client.post(TRACKS, content=orjson.dumps({"points": batch}), headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "accepted": 8,
        "rejected": [{"index": 3, "reason": "invalid_coordinates"}, {"index": 7, "reason": "timestamp_in_future"}],
    }
    event = probe.wait(1)[0]
    assert (event["manager_id"], event["batch_id"], len(event["points"])) == ("m001", "b-json-1", 8)
    # the same batch again answers the same; the event carries the same id, so consumers drop it
    replay = checkin_client.post(TRACKS, content=orjson.dumps({"points": batch}), headers=headers)
    assert replay.json() == response.json()
    assert probe.wait(2)[1]["event_id"] == event["event_id"]


def test_a_protobuf_batch_is_forwarded_as_is(checkin_client: TestClient, login: Callable[..., Any]) -> None:
    batch = checkin_pb2.TrackBatch()
    for i, p in enumerate(points(5)):
        point = batch.points.add(lat=p["lat"], lon=p["lon"], accuracy_m=p["accuracy_m"], speed_mps=1.5)
        if i != 2:  # the third point has no time
            point.ts.FromDatetime(datetime.fromisoformat(p["ts"]))
    headers = {**_bearer(checkin_client, login, "m002"), **PROTOBUF}
    response = checkin_client.post(TRACKS, content=batch.SerializeToString(), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 4, "rejected": [{"index": 2, "reason": "invalid_timestamp"}]}


def test_malformed_and_oversized_batches_are_400(checkin_client: TestClient, login: Callable[..., Any]) -> None:
    manager = _bearer(checkin_client, login, "m001")
    for body, extra in (
        (b"not json", {}),
        (b'{"pts": []}', {}),
        (b"[1, 2]", {}),
        (b"", {}),
        (b"\xff\xff\xff\xff", PROTOBUF),
    ):
        response = checkin_client.post(TRACKS, content=body, headers={**manager, **extra})
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_body"
    too_many = checkin_client.post(TRACKS, content=orjson.dumps({"points": points(1001)}), headers=manager)
    assert too_many.status_code == 400
    assert too_many.json()["error"]["code"] == "too_many_points"
    assert too_many.json()["error"]["details"]["max"] == 1000
    empty = checkin_client.post(TRACKS, content=b'{"points": []}', headers=manager)
    assert empty.json() == {"accepted": 0, "rejected": []}


def test_a_full_1000_point_batch_fits_the_body_limit(checkin_client: TestClient, login: Callable[..., Any]) -> None:
    batch = [{**p, "speed_mps": 12.345678, "heading": 359.123456} for p in points(1000)]
    body = orjson.dumps({"points": batch}, option=orjson.OPT_INDENT_2)
    response = checkin_client.post(TRACKS, content=body, headers=_bearer(checkin_client, login, "m003"))
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1000, "rejected": []}


def test_back_pressure_is_503_with_the_services_retry_after(
    start_checkin: Callable[..., TestClient], login: Callable[..., Any]
) -> None:
    # the broker unreachable
    down = start_checkin(amqp_uri=DEAD_AMQP, retry_after_s=7)
    response = down.post(TRACKS, json={"points": points(3)}, headers=_bearer(down, login, "m001"))
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "unavailable"
    assert response.headers["Retry-After"] == "7"

    # the worker queue deeper than allowed: nothing consumes, so the second batch finds one message waiting
    full = start_checkin(max_queue_depth=0, queue_depth_cache_s=0, retry_after_s=4)
    headers = _bearer(full, login, "m001")
    assert full.post(TRACKS, json={"points": points(3)}, headers=headers).status_code == 200
    refused = full.post(TRACKS, json={"points": points(3)}, headers=headers)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "4"


def test_unsupported_media_type_is_415(client: TestClient, auth_headers: Headers) -> None:
    for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
        response = client.post(
            TRACKS, content=b"points", headers={**auth_headers("m001"), "Content-Type": content_type}
        )
        assert response.status_code == 415
        error = response.json()["error"]
        assert error["code"] == "unsupported_media_type"
        assert "application/x-protobuf" in error["details"]["supported"]


def test_a_body_over_the_ingest_limit_is_413(
    client: TestClient, make_client: Callable[..., TestClient], auth_headers: Headers
) -> None:
    headers = auth_headers("m001")
    declared = client.post(TRACKS, content=b"{" + b" " * (600 * 1024) + b"}", headers=headers)
    assert declared.status_code == 413
    assert declared.json()["error"] == {
        "code": "payload_too_large",
        "message": "request body too large",
        "details": {"limit_bytes": 512 * 1024},
    }
    small = make_client(ingest_max_body_bytes=1024)

    def chunks() -> Iterator[bytes]:
        yield b'{"points": ['
        for _ in range(4):
            yield b" " * 512
        yield b"]}"

    streamed = small.post(TRACKS, content=chunks(), headers=headers)
    assert streamed.status_code == 413


def test_tracks_are_for_managers_and_scans_for_devices(
    client: TestClient, checkin_client: TestClient, auth_headers: Headers
) -> None:
    body = orjson.dumps({"points": points(1)})
    for user in ("s01", "admin"):
        refused = client.post(TRACKS, content=body, headers=auth_headers(user))
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    created = checkin_client.post(
        "/api/v1/admin/devices", json={"customer_id": "cu000001", "name": "pos"}, headers=auth_headers("admin")
    ).json()
    device = client.post(TRACKS, content=body, headers={"X-Device-Key": created["key"]})
    assert (device.status_code, device.json()["error"]["code"]) == (401, "unauthenticated")
    manager = client.post(SCANS, json={"scans": scans(1)}, headers=auth_headers("m001"))
    assert (manager.status_code, manager.json()["error"]["code"]) == (401, "invalid_device_key")


def test_device_lifecycle_scans_accepted_then_revoked(
    checkin_client: TestClient, login: Callable[..., Any], event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "scan.batch_accepted")
    admin = _bearer(checkin_client, login, "admin")
    manager = _bearer(checkin_client, login, "m001")
    new_device = {"customer_id": "cu000009", "name": "pos"}
    refused = checkin_client.post("/api/v1/admin/devices", json=new_device, headers=manager)
    assert refused.status_code == 403
    created = checkin_client.post("/api/v1/admin/devices", json=new_device, headers=admin)
    assert created.status_code == 201
    device = {"X-Device-Key": created.json()["key"], "X-Batch-Id": "s-1"}

    batch = scans(3)
    batch[1]["qty"] = 0
    accepted = checkin_client.post(SCANS, content=orjson.dumps({"scans": batch}), headers=device)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"accepted": 2, "rejected": [{"index": 1, "reason": "invalid_qty"}]}
    event = probe.wait(1)[0]
    assert (event["device_id"], event["customer_id"]) == (created.json()["device_id"], "cu000009")

    pb = checkin_pb2.ScanBatch()
    scan = pb.scans.add(code="6901234567999", sku="zhonghua-soft", qty=2, unit_price=45.0, kind="purchase")
    scan.ts.FromDatetime(datetime.now(UTC))
    as_pb = checkin_client.post(SCANS, content=pb.SerializeToString(), headers={**device, **PROTOBUF})
    assert as_pb.json() == {"accepted": 1, "rejected": []}
    bad = checkin_client.post(SCANS, content=b'{"points": []}', headers=device)
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_body")

    checkin_client.post(f"/api/v1/admin/devices/{created.json()['device_id']}/revoke", headers=admin)
    gone = checkin_client.post(SCANS, content=orjson.dumps({"scans": batch}), headers=device)
    assert (gone.status_code, gone.json()["error"]["code"]) == (401, "invalid_device_key")


def test_the_openapi_document_describes_both_bodies(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    content = paths["/api/v1/tracks"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "application/x-protobuf"}
    assert content["application/json"]["schema"]["properties"]["points"]["maxItems"] == 1000
    assert "IngestResult" in str(paths["/api/v1/tracks"]["post"]["responses"]["200"])
    assert set(document["components"]["schemas"]["IngestResult"]["properties"]) == {"accepted", "rejected"}
    assert "application/x-protobuf" in paths["/api/v1/scans"]["post"]["requestBody"]["content"]
    assert {"/api/v1/admin/devices", "/api/v1/admin/devices/{device_id}/revoke"} <= set(paths)


def test_an_overlong_batch_id_is_400(client: TestClient, auth_headers: Headers) -> None:
    headers = {**auth_headers("m001"), "X-Batch-Id": "b" * 200}
    response = client.post(TRACKS, json={"points": []}, headers=headers)
    assert response.status_code == 400
    assert "X-Batch-Id" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    "value",
    [b"NaN", b"Infinity", b"1e309", b"9" * 400, b'{"a": ' * 200 + b"1" + b"}" * 200, b'"\\ud800"'],
    ids=["nan", "infinity", "1e309", "400-digits", "nested-200", "lone-surrogate"],
)
def test_out_of_bounds_values_in_scans_and_tracks_are_never_a_500(
    checkin_client: TestClient, auth_headers: Headers, value: bytes
) -> None:
    """Checkin's own parser bounds these bodies (the gateway passes them as bytes): a 400 or a rejected item."""
    created = checkin_client.post(
        "/api/v1/admin/devices", json={"customer_id": "cu000002", "name": "pos"}, headers=auth_headers("admin")
    ).json()
    ts = b'"2026-03-03T09:00:00+08:00"'
    scan = b'{"scans": [{"code": "6901", "sku": "x", "qty": %s, "unit_price": 1, "kind": "sale", "ts": %s}]}'
    point = b'{"points": [{"lat": %s, "lon": 117.2, "accuracy_m": 5, "ts": %s}]}'
    as_json = {"Content-Type": "application/json"}
    scans = checkin_client.post(SCANS, content=scan % (value, ts), headers={"X-Device-Key": created["key"], **as_json})
    tracks = checkin_client.post(TRACKS, content=point % (value, ts), headers={**auth_headers("m001"), **as_json})
    for response in (scans, tracks):
        assert response.status_code in (200, 400), response.text
        if response.status_code == 200:
            assert response.json()["accepted"] == 0
        else:
            assert response.json()["error"]["code"] == "invalid_body"
