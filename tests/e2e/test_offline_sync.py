"""The offline queue of a tablet uploaded through the public API (docs/domain.md §1.3.3): POST /sync."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.e2e

TZ = ZoneInfo("Asia/Shanghai")


def _op(type_: str, payload: dict, client_ts: str) -> dict:
    return {"op_id": str(uuid.uuid4()), "type": type_, "payload": payload, "client_ts": client_ts}


def test_an_offline_visit_uploaded_out_of_order_is_applied_and_its_replay_is_all_duplicate(login):
    manager, admin = login("m005"), login("admin")
    visits = manager.get("/visits").json()["items"]
    visit = next(v for v in visits if v["method"] == "on_site" and v["status"] == "planned")
    detail = manager.get(f"/visits/{visit['visit_id']}").json()
    basic = [t for t in detail["tasks"] if t["kind"] == "basic"][:2]
    assert basic, detail["tasks"]
    customer = visit["customer"]
    qr = admin.get(f"/admin/customers/{customer['id']}/qr").json()["qr"]

    # The visit happened a few minutes ago without network (never before today's midnight).
    now = datetime.now(TZ)
    start = max(now - timedelta(minutes=5), now.replace(hour=0, minute=0, second=1, microsecond=0))

    def ts(seconds: int) -> str:
        return (start + timedelta(seconds=seconds)).isoformat()

    vid = visit["visit_id"]
    fix = {"lat": customer["location"]["lat"], "lon": customer["location"]["lon"], "accuracy_m": 12.0}
    ops = [
        _op("visit.complete", {"visit_id": vid, "summary": "离线完成拜访", "next_steps": "下周回访"}, ts(60)),
        *[
            _op("task.complete", {"visit_id": vid, "task_id": t["task_id"], "note": "已完成"}, ts(40 - 10 * i))
            for i, t in enumerate(basic)
        ],
        _op("checkin", {"qr": qr, **fix}, ts(0)),
        _op("unplanned_task", {"visit_id": vid, "text": "帮客户更换价签"}, ts(50)),
    ]

    first = manager.post("/sync", json={"ops": ops})
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [r["op_id"] for r in results] == [o["op_id"] for o in ops]
    assert [r["status"] for r in results] == ["applied"] * len(ops), results
    checkin = results[len(basic) + 1]["result"]
    assert (checkin["visit_id"], checkin["verdict"], checkin["checked_in_at"]) == (vid, "ok", ts(0))

    replay = manager.post("/sync", json={"ops": ops})
    assert replay.status_code == 200, replay.text
    again = replay.json()["results"]
    assert [r["status"] for r in again] == ["duplicate"] * len(ops)
    assert [r["result"] for r in again] == [r["result"] for r in results]

    after = manager.get(f"/visits/{vid}").json()
    assert after["status"] == "completed"
    assert after["completed_at"] == ts(60)
    assert after["summary"] == "离线完成拜访"
    assert after["checkin"]["checkin_id"] == checkin["checkin_id"]
    done = {t["task_id"]: t for t in after["tasks"]}
    assert all(done[t["task_id"]]["status"] == "done" for t in basic)
    assert after["unplanned_tasks"] == [{"text": "帮客户更换价签", "client_ts": ts(50)}]

    supervisor = login("s01")
    assert supervisor.post("/sync", json={"ops": ops}).status_code == 403
