"""Changes to a manager's day through the public API: change customer (§1.5.2) and a late offline
day (R-1.3.3-c), each reflected in the supervisor's live team progress."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from baifang_common.testing.wait import wait_until

pytestmark = pytest.mark.e2e

TZ = ZoneInfo("Asia/Shanghai")
TEAM_T01 = [f"m{i:03d}" for i in range(2, 11)]


def _progress(supervisor, manager_id: str, day: str) -> dict | None:
    items = supervisor.get("/team/progress", params={"date": day}).json()["items"]
    return next((i for i in items if i["manager_id"] == manager_id), None)


def _days_ago(n: int) -> str:
    return (datetime.now(TZ).date() - timedelta(days=n)).isoformat()


def test_an_unlisted_outlet_is_added_as_a_temporary_visit_and_counted_live(login):
    manager, admin, supervisor = login("m007"), login("admin"), login("s01")
    today = manager.get("/visits").json()["items"]
    listed = {v["customer"]["id"] for v in today}
    other_days = (manager.get("/visits", params={"date": _days_ago(n)}).json()["items"] for n in range(1, 28))
    outlet = next((v["customer"] for day in other_days for v in day if v["customer"]["id"] not in listed), None)
    if outlet is None:
        pytest.skip("m007 has no outlet off today's list this month")
    qr = admin.get(f"/admin/customers/{outlet['id']}/qr").json()["qr"]
    before = wait_until(lambda: _progress(supervisor, "m007", _days_ago(0)), timeout=10, what="m007 in the team view")

    lookup = manager.get("/customers/lookup", params={"qr": qr}).json()
    assert (lookup["on_list"], lookup["may_add"], lookup["customer"]["id"]) == (False, True, outlet["id"])
    body = {"op_id": str(uuid.uuid4()), "qr": qr, "task_codes": ["T01", "T02"]}
    created = manager.post("/visits", json=body)
    assert created.status_code == 201, created.text
    assert manager.post("/visits", json=body).json() == created.json()
    assert login("m011").get("/customers/lookup", params={"qr": qr}).status_code == 403

    summary = manager.get("/plans/summary", params={"period": "day"}).json()
    assert (summary["planned_customers"], summary["temporary_customers"]) == (len(today) + 1, 1)
    wait_until(
        lambda: (
            (_progress(supervisor, "m007", _days_ago(0)) or {}).get("planned_customers")
            == before["planned_customers"] + 1
        ),
        timeout=15,
        what="the temporary visit in the team view",
    )


def _missed_visit(login, days: range) -> tuple | None:
    """(manager client, manager id, day, visit) of an on-site visit the sweep marked missed."""
    for manager_id in TEAM_T01:
        manager = login(manager_id)
        for n in days:
            for visit in manager.get("/visits", params={"date": _days_ago(n)}).json()["items"]:
                if visit["status"] == "missed" and visit["method"] == "on_site":
                    return manager, manager_id, _days_ago(n), visit
    return None


def _offline_day(admin, day: str, visit: dict) -> list[dict]:
    qr = admin.get(f"/admin/customers/{visit['customer']['id']}/qr").json()["qr"]
    where = {"lat": visit["customer"]["location"]["lat"], "lon": visit["customer"]["location"]["lon"], "accuracy_m": 9}

    def op(type_: str, payload: dict, hour: int) -> dict:
        ts = f"{day}T{hour:02d}:30:00+08:00"
        return {"op_id": str(uuid.uuid4()), "type": type_, "payload": payload, "client_ts": ts}

    return [op("checkin", {"qr": qr, **where}, 10), op("visit.complete", {"visit_id": visit["visit_id"]}, 11)]


def test_a_missed_day_uploaded_late_is_applied_and_past_the_window_refused(login):
    admin, supervisor = login("admin"), login("s01")
    found = _missed_visit(login, range(1, 4))
    if found is None:
        pytest.skip("no missed on-site visit in team t01 in the last three days")
    manager, manager_id, day, visit = found
    before = wait_until(lambda: _progress(supervisor, manager_id, day), timeout=10, what="the day in the team view")

    results = manager.post("/sync", json={"ops": _offline_day(admin, day, visit)}).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"], results
    after = manager.get(f"/visits/{visit['visit_id']}").json()
    assert (after["status"], after["completed_at"]) == ("completed", f"{day}T11:30:00+08:00")
    wait_until(
        lambda: (
            (_progress(supervisor, manager_id, day) or {}).get("completed_customers")
            == before["completed_customers"] + 1
        ),
        timeout=15,
        what="the late day in the team view",
    )

    old = _missed_visit(login, range(4, 28))
    if old is None:
        return
    manager, _, day, visit = old
    (result, _) = manager.post("/sync", json={"ops": _offline_day(admin, day, visit)}).json()["results"]
    assert (result["status"], result["error"]["code"]) == ("rejected", "late_upload_expired")
