"""One working visit through the public API: plan, QR check-in, tasks, an unplanned task, completion, an
appointment and the work summary; the team progress and the merchant details follow."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from baifang_common.testing.wait import wait_until

pytestmark = pytest.mark.e2e


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _checkin(client, qr: str, location: dict, op_id: str | None = None):
    return client.post(
        "/checkins",
        json={
            "op_id": op_id or str(uuid.uuid4()),
            "qr": qr,
            "lat": location["lat"],
            "lon": location["lon"],
            "accuracy_m": 12.0,
            "client_ts": _now(),
        },
    )


def _error_code(answer) -> str:
    return answer.json()["error"]["code"]


def test_a_manager_works_a_visit_and_the_supervisor_sees_it_live(login):
    manager, admin, supervisor = login("m001"), login("admin"), login("s01")

    visits = manager.get("/visits").json()["items"]
    assert 15 <= len(visits) <= 25
    assert {v["status"] for v in visits} <= {"planned", "checked_in", "completed"}
    visit = next(v for v in visits if v["status"] == "planned" and v["method"] == "on_site" and v["tasks_total"] >= 2)
    customer = visit["customer"]
    assert customer["name"] and customer["location"]["lat"]

    detail = manager.get(f"/visits/{visit['visit_id']}").json()
    assert detail["customer"]["credit_grade"] and detail["customer"]["settlement_method"]
    tasks = detail["tasks"]
    assert len(tasks) == visit["tasks_total"] and all(t["method"] for t in tasks)

    day = manager.get("/plans/summary", params={"period": "day"}).json()
    assert day["planned_customers"] == len(visits)
    assert day["planned_tasks"] == sum(v["tasks_total"] for v in visits)
    month = manager.get("/plans/summary", params={"period": "month"}).json()
    assert month["planned_customers"] >= day["planned_customers"] and month["rows"]
    assert manager.get("/tasks/library").json()["items"]

    def progress_of_m001():
        items = supervisor.get("/team/progress").json()["items"]
        return next((i for i in items if i["manager_id"] == "m001"), None)

    start = wait_until(progress_of_m001, timeout=10, interval=0.2, what="m001's plan in the team view")
    assert start["planned_customers"] == len(visits)

    before = manager.post(
        f"/visits/{visit['visit_id']}/tasks/{tasks[0]['task_id']}/complete",
        json={"op_id": str(uuid.uuid4()), "client_ts": _now()},
    )
    assert before.status_code == 409, before.text

    qr = admin.get(f"/admin/customers/{customer['id']}/qr").json()["qr"]
    svg = admin.get(f"/admin/customers/{customer['id']}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content

    op_id = str(uuid.uuid4())
    first = _checkin(manager, qr, customer["location"], op_id)
    assert first.status_code == 201, first.text
    assert first.json()["verdict"] == "ok" and first.json()["visit_id"] == visit["visit_id"]
    assert first.json()["distance_m"] < 5
    replay = _checkin(manager, qr, customer["location"], op_id)
    assert (replay.status_code, replay.json()) == (201, first.json())

    unplanned = manager.post(
        f"/visits/{visit['visit_id']}/unplanned-tasks",
        json={"op_id": str(uuid.uuid4()), "text": "协助整理陈列柜", "client_ts": _now()},
    )
    assert unplanned.status_code == 201, unplanned.text

    done_op = str(uuid.uuid4())
    task_url = f"/visits/{visit['visit_id']}/tasks/{tasks[0]['task_id']}/complete"
    done = manager.post(task_url, json={"op_id": done_op, "note": "陈列已整改", "client_ts": _now()})
    assert done.status_code in (200, 201), done.text
    again = manager.post(task_url, json={"op_id": done_op, "note": "陈列已整改", "client_ts": _now()})
    assert (again.status_code, again.json()) == (done.status_code, done.json())

    completed = manager.post(
        f"/visits/{visit['visit_id']}/complete",
        json={"op_id": str(uuid.uuid4()), "summary": "拜访完成", "client_ts": _now()},
    )
    assert completed.status_code in (200, 201), completed.text
    assert manager.get(f"/visits/{visit['visit_id']}").json()["status"] == "completed"

    soon = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    appointment = {"op_id": str(uuid.uuid4()), "customer_id": customer["id"], "scheduled_at": soon,
                   "duration_min": 30, "purpose": "新品推介"}  # fmt: skip
    assert manager.post("/appointments", json=appointment).status_code == 201
    saved = manager.put(f"/work-summaries/{detail['date']}", json={"summary": "拜访完成, 补记一项计划外任务"})
    assert saved.status_code in (200, 201), saved.text

    def progressed():
        row = progress_of_m001()
        done = row["completed_customers"] == start["completed_customers"] + 1
        extras = row["unplanned_tasks"] >= start["unplanned_tasks"] + 1 and row["work_summary_saved"]
        return row if done and extras and row["executed_tasks"] >= start["executed_tasks"] + 1 else None

    row = wait_until(progressed, timeout=10, interval=0.1, what=f"m001's progress to move from {start}")
    assert row["planned_customers"] == len(visits)
    assert row["planned_tasks"] == day["planned_tasks"]

    def merchant_details():
        answer = manager.get(f"/customers/{customer['id']}/details").json()
        seen = next((v for v in answer["recent_visits"] if v["visit_id"] == visit["visit_id"]), {})
        booked = [a for a in answer["upcoming_appointments"] if a["purpose"] == "新品推介"]
        return answer if seen.get("unplanned_tasks") and booked else None

    found = wait_until(merchant_details, timeout=10, interval=0.2, what="the visit's extras in the merchant details")
    (seen,) = [v for v in found["recent_visits"] if v["visit_id"] == visit["visit_id"]]
    assert [u["text"] for u in seen["unplanned_tasks"]] == ["协助整理陈列柜"]


def test_codes_that_do_not_belong_to_the_plan_are_refused_clearly(login):
    manager, colleague, admin = login("m002"), login("m003"), login("admin")
    own = next(v for v in manager.get("/visits").json()["items"] if v["status"] == "planned")
    own_qr = admin.get(f"/admin/customers/{own['customer']['id']}/qr").json()["qr"]

    forged = own_qr[:-4] + ("AAAA" if not own_qr.endswith("AAAA") else "BBBB")
    answer = _checkin(manager, forged, own["customer"]["location"])
    assert answer.status_code == 422 and _error_code(answer) == "invalid_qr"

    unknown = _checkin(manager, "BF1.nobody.c2lnbmF0dXJl", own["customer"]["location"])
    assert unknown.status_code == 422 and _error_code(unknown) == "invalid_qr"

    foreign = colleague.get("/visits").json()["items"][0]["customer"]
    foreign_qr = admin.get(f"/admin/customers/{foreign['id']}/qr").json()["qr"]
    refused = _checkin(manager, foreign_qr, foreign["location"])
    assert refused.status_code == 409 and _error_code(refused) == "customer_not_in_plan"
    assert refused.json()["error"]["details"]["customer"]["id"] == foreign["id"]


def test_roles_and_bad_input_get_the_api_error_format(login):
    manager = login("m004")
    assert manager.get("/team/progress").status_code == 403
    assert manager.get(f"/admin/customers/{uuid.uuid4()}/qr").status_code == 403

    anonymous = manager.get("/visits", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and _error_code(anonymous)

    malformed = manager.post("/checkins", content=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"]

    out_of_range = manager.post(
        "/checkins",
        json={"op_id": str(uuid.uuid4()), "qr": "x", "lat": 95, "lon": 0, "accuracy_m": 1, "client_ts": _now()},
    )
    assert out_of_range.status_code == 400

    missing = manager.get(f"/visits/{uuid.uuid4()}")
    assert missing.status_code == 404 and _error_code(missing)
