"""Ingestion through the public API of the running stack: GPS track batches (JSON and protobuf) from a
manager, retail scans from a terminal device whose key an admin created and then revoked.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from baifang.checkin.v1 import checkin_pb2
from baifang_common.testing.wait import wait_until

pytestmark = pytest.mark.e2e

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def _points(count: int) -> list[dict]:
    start = datetime.now(UTC) - timedelta(seconds=10 * count)
    return [
        {
            "lat": 31.82 + i * 1e-5,
            "lon": 117.22 + i * 1e-5,
            "accuracy_m": 9.0,
            "speed_mps": 1.2,
            "heading": 45.0,
            "ts": (start + timedelta(seconds=10 * i)).isoformat(),
        }
        for i in range(count)
    ]


def test_a_manager_sends_gps_batches_as_json_and_protobuf(login) -> None:
    manager = login("m002")
    batch = _points(100)
    batch[10]["lat"] = 123.0
    batch[55]["ts"] = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    headers = {"X-Batch-Id": f"e2e-{uuid.uuid4()}"}
    first = manager.post("/tracks", content=orjson.dumps({"points": batch}), headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "accepted": 98,
        "rejected": [{"index": 10, "reason": "invalid_coordinates"}, {"index": 55, "reason": "timestamp_too_old"}],
    }
    # the device resends the same batch (its answer was lost): same answer, deduplicated downstream by batch id
    again = manager.post("/tracks", content=orjson.dumps({"points": batch}), headers=headers)
    assert (again.status_code, again.json()) == (200, first.json())

    pb = checkin_pb2.TrackBatch()
    for p in _points(50):
        point = pb.points.add(lat=p["lat"] + 0.01, lon=p["lon"], accuracy_m=p["accuracy_m"], heading=p["heading"])
        point.ts.FromDatetime(datetime.fromisoformat(p["ts"]) + timedelta(milliseconds=500))
    answer = manager.post("/tracks", content=pb.SerializeToString(), headers=PROTOBUF)
    assert (answer.status_code, answer.json()) == (200, {"accepted": 50, "rejected": []})

    assert manager.post("/tracks", content=b"points", headers={"Content-Type": "text/plain"}).status_code == 415
    assert manager.post("/tracks", content=b"{]").json()["error"]["code"] == "invalid_body"
    assert login("s01").post("/tracks", json={"points": []}).status_code == 403


def test_an_admin_creates_a_device_key_that_uploads_scans_until_revoked(login, stack: str) -> None:
    admin, manager = login("admin"), login("m001")
    customer_id = manager.get("/visits").json()["items"][0]["customer"]["id"]
    created = admin.post("/admin/devices", json={"customer_id": customer_id, "name": "收银终端 e2e"})
    assert created.status_code == 201, created.text
    device_id, key = created.json()["device_id"], created.json()["key"]
    listed = admin.get("/admin/devices", params={"customer_id": customer_id}).json()["items"]
    assert [d["device_id"] for d in listed] == [device_id] and key not in str(listed)
    assert manager.post("/admin/devices", json={"customer_id": customer_id, "name": "x"}).status_code == 403

    now = datetime.now(UTC)
    scans = [
        {"code": f"E2E{i:04d}", "sku": "sku-1", "qty": 2, "unit_price": 23.5, "kind": "sale", "ts": now.isoformat()}
        for i in range(5)
    ]
    scans[4]["kind"] = "gift"
    with httpx.Client(base_url=f"{stack}/api/v1", timeout=15, headers={"X-Device-Key": key}) as terminal:
        accepted = terminal.post("/scans", json={"scans": scans})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == {"accepted": 4, "rejected": [{"index": 4, "reason": "invalid_kind"}]}
        assert terminal.post("/tracks", json={"points": _points(1)}).status_code == 401
        assert manager.post("/scans", json={"scans": scans}).status_code == 401

        assert admin.post(f"/admin/devices/{device_id}/revoke").json()["active"] is False
        refused = terminal.post("/scans", json={"scans": scans})
        assert (refused.status_code, refused.json()["error"]["code"]) == (401, "invalid_device_key")


def test_a_tracker_phone_feeds_its_managers_track(login, stack: str) -> None:
    """Traccar Client / OsmAnd requests in each shape land in m006's stored track, in device-time order."""
    admin, lead = login("admin"), login("s01")
    created = admin.post("/admin/trackers", json={"manager_id": "m006", "name": "Traccar Client e2e"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)  # today, in the company's time zone
    sent = [(31.7001 + i * 0.001, 117.1001 + i * 0.001, base + timedelta(seconds=30 * i)) for i in range(4)]
    with httpx.Client(base_url=f"{stack}/api/v1", timeout=15) as phone:
        answers = [
            phone.get(
                "/osmand",
                params={"id": key, "lat": sent[0][0], "lon": sent[0][1], "timestamp": int(sent[0][2].timestamp())},
            ),
            phone.post(
                "/osmand",
                content=f"id={key}&location={sent[1][0]},{sent[1][1]}&timestamp={int(sent[1][2].timestamp() * 1000)}",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            phone.get(
                "/osmand", params={"id": key, "lat": sent[2][0], "lon": sent[2][1], "timestamp": sent[2][2].isoformat()}
            ),
            phone.post(
                "/osmand",
                json={
                    "device_id": key,
                    "location": {
                        "timestamp": sent[3][2].isoformat().replace("+00:00", "Z"),
                        "coords": {"latitude": sent[3][0], "longitude": sent[3][1], "accuracy": 5, "speed": 1.2},
                        "battery": {"level": 0.9},
                    },
                },
            ),
        ]
        assert [(a.status_code, a.json()["accepted"]) for a in answers] == [(200, 1)] * 4, [a.text for a in answers]
        assert phone.get("/osmand", params={"id": key}).json() == {"accepted": 0, "rejected": []}
        assert phone.get("/osmand", params={"id": key, "lat": "x", "lon": "1"}).status_code == 400

    track: dict = {}

    def stored() -> bool:
        track.update(lead.get("/team/m006/track", params={"simplify": 0}).json())
        return len(track.get("points", [])) >= len(sent)

    wait_until(stored, timeout=30, what="the tracker's points in m006's track")
    mine = [p for p in track["points"] if 31.70 <= p["lat"] < 31.71]
    assert [(p["lat"], p["lon"]) for p in mine] == [(lat, lon) for lat, lon, _ in sent]
    assert [datetime.fromisoformat(p["ts"].replace("Z", "+00:00")) for p in mine] == [at for _, _, at in sent]
