"""Visit assistant through the gateway (§1.5.11): private notebook, notices with read receipts (P-001-1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from baifang_common.timeutil import today
from gateway.settings import GatewaySettings
from planning.bootstrap import build_grpc
from planning.domain.model import Customer
from planning.grpc_api import servicer as planning_servicer
from planning.settings import PlanningSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def client(
    settings_for: Callable[..., Any],
    grpc_server: Callable[..., Any],
    make_client: Callable[..., TestClient],
    gateway_settings: GatewaySettings,
) -> Iterator[TestClient]:
    deps = build_grpc(settings_for(PlanningSettings))
    server, _ = grpc_server([planning_servicer(deps)])
    yield make_client(planning_addr=f"127.0.0.1:{server.port}")
    deps.close()


@pytest.fixture
def as_user(client: TestClient, login: Callable[..., Any]) -> Callable[[str], dict[str, str]]:
    return lambda user: {"Authorization": f"Bearer {login(client, user)['access_token']}"}


def test_the_notebook_is_private_to_its_author(client: TestClient, as_user: Callable[[str], dict[str, str]]) -> None:
    m001, m002 = as_user("m001"), as_user("m002")
    body = {"op_id": str(uuid.uuid4()), "title": "王记", "body": "老板周三下午在店"}
    created = client.post("/api/v1/notes", json=body, headers=m001)
    assert created.status_code == 201, created.text
    note = created.json()
    assert client.post("/api/v1/notes", json=body, headers=m001).json() == note
    assert [n["note_id"] for n in client.get("/api/v1/notes", headers=m001).json()["items"]] == [note["note_id"]]

    url = f"/api/v1/notes/{note['note_id']}"
    assert client.get("/api/v1/notes", headers=m002).json()["items"] == []
    for call in (client.put(url, json={"body": "x"}, headers=m002), client.delete(url, headers=as_user("s01"))):
        assert (call.status_code, call.json()["error"]["code"]) == (404, "note_not_found")
    edited = client.put(url, json={"title": "王记", "body": "改为周四"}, headers=m001)
    assert (edited.status_code, edited.json()["body"]) == (200, "改为周四")
    assert client.post("/api/v1/notes", json={"title": "x", "body": "y"}, headers=m001).status_code == 400
    assert client.delete(url, headers=m001).status_code == 204
    assert client.get("/api/v1/notes", headers=m001).json()["items"] == []


def test_notices_reach_their_audience_with_read_receipts(
    client: TestClient, as_user: Callable[[str], dict[str, str]]
) -> None:
    s01, admin, m001, m011 = as_user("s01"), as_user("admin"), as_user("m001"), as_user("m011")

    def post(who: dict[str, str], **fields: str) -> Any:
        body = {"op_id": str(uuid.uuid4()), "title": "通知", "body": "周五例会", **fields}
        return client.post("/api/v1/notices", json=body, headers=who)

    team = post(s01)
    assert (team.status_code, team.json()["audience"]) == (201, "t01")
    everyone = post(admin, audience="all").json()
    refused = [post(s01, audience="t02"), post(s01, audience="all"), post(m001)]
    assert [r.status_code for r in refused] == [403, 403, 403]

    mine = client.get("/api/v1/notices", headers=m001).json()
    assert ({n["notice_id"] for n in mine["items"]}, mine["unread"]) == (
        {team.json()["notice_id"], everyone["notice_id"]},
        2,
    )
    other = client.get("/api/v1/notices", headers=m011).json()
    assert ([n["notice_id"] for n in other["items"]], other["unread"]) == ([everyone["notice_id"]], 1)
    hidden = client.post(f"/api/v1/notices/{team.json()['notice_id']}/read", headers=m011)
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "notice_not_found")

    first = client.post(f"/api/v1/notices/{team.json()['notice_id']}/read", headers=m001).json()
    again = client.post(f"/api/v1/notices/{team.json()['notice_id']}/read", headers=m001).json()
    assert again["read_at"] == first["read_at"]
    after = client.get("/api/v1/notices", headers=m001).json()
    assert after["unread"] == 1
    receipts = client.get(f"/api/v1/notices/{team.json()['notice_id']}/receipts", headers=s01).json()["items"]
    assert receipts == [{"reader_id": "m001", "read_at": first["read_at"]}]
    assert client.get(f"/api/v1/notices/{team.json()['notice_id']}/receipts", headers=m001).status_code == 403


def test_contacts_are_searchable_within_the_callers_customers(
    client: TestClient, as_user: Callable[[str], dict[str, str]], settings_for: Callable[..., Any]
) -> None:
    deps = build_grpc(settings_for(PlanningSettings))
    try:
        deps.customers.upsert_many(
            [Customer("ct-c1", "CT1", "张记烟酒", "m001", "t01"), Customer("ct-c2", "CT2", "李记超市", "m011", "t02")]
        )
    finally:
        deps.close()
    m001, m011, s01 = as_user("m001"), as_user("m011"), as_user("s01")

    def add(who: dict[str, str], customer: str, name: str, role: str, phone: str) -> Any:
        body = {"op_id": str(uuid.uuid4()), "customer_id": customer, "name": name, "role": role, "phone": phone}
        return client.post("/api/v1/contacts", json=body, headers=who)

    owner = add(m001, "ct-c1", "张伟", "owner", "13800000001")
    assert owner.status_code == 201, owner.text
    assert add(m001, "ct-c1", "王芳", "payment", "13800000002").status_code == 201
    assert add(m011, "ct-c2", "李娜", "owner", "13900000003").status_code == 201
    assert add(m001, "ct-c2", "外人", "owner", "1").status_code == 403
    assert add(m001, "ct-c1", "某人", "boss", "1").status_code == 400

    def names(who: dict[str, str], **params: str) -> list[str]:
        return [c["name"] for c in client.get("/api/v1/contacts", params=params, headers=who).json()["items"]]

    assert sorted(names(m001)) == ["张伟", "王芳"]
    assert names(m001, role="payment") == ["王芳"]
    assert names(m001, q="0001") == ["张伟"]
    assert sorted(names(m001, q="张记")) == ["张伟", "王芳"]
    assert names(m001, q="李") == []
    assert names(m011) == ["李娜"]
    assert sorted(names(s01)) == ["张伟", "王芳"]


def test_customer_requests_and_complaints_are_tracked_to_resolution(
    client: TestClient, as_user: Callable[[str], dict[str, str]], settings_for: Callable[..., Any]
) -> None:
    deps = build_grpc(settings_for(PlanningSettings))
    try:
        deps.customers.upsert_many([Customer("is-c1", "IS1", "赵记便利", "m001", "t01")])
    finally:
        deps.close()
    m001, m011, s01 = as_user("m001"), as_user("m011"), as_user("s01")
    body = {"op_id": str(uuid.uuid4()), "customer_id": "is-c1", "kind": "complaint", "text": "上周断货"}
    opened = client.post("/api/v1/customer-issues", json=body, headers=m001)
    assert opened.status_code == 201, opened.text
    issue = opened.json()
    assert (issue["status"], issue["overdue"], len(issue["history"])) == ("open", False, 1)
    assert issue["reply_due_at"] > issue["opened_at"]
    assert client.post("/api/v1/customer-issues", json=body, headers=m001).json()["issue_id"] == issue["issue_id"]
    assert (
        client.post("/api/v1/customer-issues", json={**body, "op_id": str(uuid.uuid4())}, headers=m011).status_code
        == 403
    )

    url = f"/api/v1/customer-issues/{issue['issue_id']}/status"
    hidden = client.post(url, json={"status": "in_progress"}, headers=m011)
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "issue_not_found")
    working = client.post(url, json={"status": "in_progress", "note": "已联系物流"}, headers=m001).json()
    assert [h["status"] for h in working["history"]] == ["open", "in_progress"]
    done = client.post(url, json={"status": "resolved", "note": "已补货"}, headers=s01).json()
    assert (done["status"], done["history"][-1]["by"]) == ("resolved", "s01")
    back = client.post(url, json={"status": "open"}, headers=m001)
    assert (back.status_code, back.json()["error"]["code"]) == (409, "invalid_transition")
    assert [i["issue_id"] for i in client.get("/api/v1/customer-issues", headers=s01).json()["items"]] == [
        issue["issue_id"]
    ]
    assert client.get("/api/v1/customer-issues", params={"status": "open"}, headers=m001).json()["items"] == []
    assert client.get("/api/v1/customer-issues", headers=m011).json()["items"] == []


def test_the_daily_work_summary_is_versioned_and_read_by_the_supervisor(
    client: TestClient, as_user: Callable[[str], dict[str, str]], gateway_settings: GatewaySettings
) -> None:
    m001, s01, s02 = as_user("m001"), as_user("s01"), as_user("s02")
    day = today(gateway_settings.timezone)
    url = f"/api/v1/work-summaries/{day.isoformat()}"
    first = client.put(url, json={"summary": "拜访18户", "next_day_plan": "重点跟进王记"}, headers=m001)
    assert first.status_code == 200, first.text
    second = client.put(
        url, json={"summary": "拜访19户（补记一户）", "next_day_plan": "重点跟进王记"}, headers=m001
    ).json()
    assert second["summary"] == "拜访19户（补记一户）"
    assert [v["summary"] for v in second["versions"]] == ["拜访18户"]
    assert client.get(url, params={"manager_id": "m001"}, headers=s01).json() == second
    assert client.get(url, params={"manager_id": "m001"}, headers=s02).status_code == 403
    future = f"/api/v1/work-summaries/{(day + timedelta(days=1)).isoformat()}"
    assert client.put(future, json={"summary": "x"}, headers=m001).status_code == 400
    assert client.get(future, headers=m001).status_code == 404
    assert client.put(url, json={"summary": "x"}, headers=s01).status_code == 403


def test_the_document_library_is_uploaded_by_admins_and_read_by_category(
    client: TestClient, as_user: Callable[[str], dict[str, str]]
) -> None:
    admin, m001 = as_user("admin"), as_user("m001")

    def upload(who: dict[str, str], category: str, title: str) -> Any:
        body = {"op_id": str(uuid.uuid4()), "category": category, "title": title, "body": "正文"}
        return client.post("/api/v1/admin/library", json=body, headers=who)

    assert upload(admin, "law", "烟草专卖法").status_code == 201
    assert upload(admin, "work_method", "135工作法").status_code == 201
    assert upload(m001, "law", "x").status_code == 403
    assert upload(admin, "novels", "x").status_code == 400
    laws = client.get("/api/v1/library", params={"category": "law"}, headers=m001).json()["items"]
    assert [d["title"] for d in laws] == ["烟草专卖法"]
    assert len(client.get("/api/v1/library", headers=m001).json()["items"]) == 2


def test_message_threads_post_count_unread_and_stay_among_participants(
    client: TestClient, as_user: Callable[[str], dict[str, str]]
) -> None:
    m001, s01, m011 = as_user("m001"), as_user("s01"), as_user("m011")
    body = {
        "op_id": str(uuid.uuid4()),
        "channel": "logistics",
        "subject": "王记到货延迟",
        "participants": ["s01"],
        "text": "王记说周二的货没到",
    }
    started = client.post("/api/v1/threads", json=body, headers=m001)
    assert started.status_code == 201, started.text
    thread = started.json()
    assert (thread["participants"], thread["channel"]) == (["m001", "s01"], "logistics")
    assert client.post("/api/v1/threads", json=body, headers=m001).json()["thread_id"] == thread["thread_id"]
    assert client.post("/api/v1/threads", json={**body, "channel": "fax"}, headers=m001).status_code == 400

    def unread(who: dict[str, str], **params: str) -> list[int]:
        return [t["unread"] for t in client.get("/api/v1/threads", params=params, headers=who).json()["items"]]

    assert (unread(m001), unread(s01), unread(m011)) == ([0], [1], [])
    assert unread(s01, channel="peer") == []
    url = f"/api/v1/threads/{thread['thread_id']}"
    reply = client.post(f"{url}/messages", json={"op_id": str(uuid.uuid4()), "text": "已联系物流"}, headers=s01)
    assert reply.status_code == 201
    assert (unread(m001), unread(s01)) == ([1], [0])
    assert client.post(f"{url}/read", headers=m001).status_code == 200
    assert unread(m001) == [0]
    texts = [m["text"] for m in client.get(f"{url}/messages", headers=m001).json()["items"]]
    assert texts == ["王记说周二的货没到", "已联系物流"]
    hidden = client.get(f"{url}/messages", headers=m011)
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "thread_not_found")
    assert (
        client.post(f"{url}/messages", json={"op_id": str(uuid.uuid4()), "text": "x"}, headers=m011).status_code == 404
    )


def test_every_state_change_of_the_managers_day_is_announced(
    client: TestClient,
    as_user: Callable[[str], dict[str, str]],
    settings_for: Callable[..., Any],
    event_probe: Callable[..., Any],
    gateway_settings: GatewaySettings,
) -> None:
    probe = event_probe("planning", "#")
    deps = build_grpc(settings_for(PlanningSettings))
    try:
        deps.customers.upsert_many([Customer("ev-c1", "EV1", "孙记超市", "m001", "t01")])
    finally:
        deps.close()
    m001, s01 = as_user("m001"), as_user("s01")

    def ok(answer: Any) -> dict[str, Any]:
        assert answer.status_code in (200, 201, 204), answer.text
        return answer.json() if answer.status_code != 204 else {}

    note = ok(client.post("/api/v1/notes", json={"op_id": str(uuid.uuid4()), "body": "私人备忘"}, headers=m001))
    ok(client.put(f"/api/v1/notes/{note['note_id']}", json={"body": "改"}, headers=m001))
    ok(client.delete(f"/api/v1/notes/{note['note_id']}", headers=m001))
    notice_body = {"op_id": str(uuid.uuid4()), "title": "通知", "body": "例会"}
    notice = ok(client.post("/api/v1/notices", json=notice_body, headers=s01))
    ok(client.post(f"/api/v1/notices/{notice['notice_id']}/read", headers=m001))
    issue_body = {"op_id": str(uuid.uuid4()), "customer_id": "ev-c1", "kind": "request", "text": "要新品"}
    issue = ok(client.post("/api/v1/customer-issues", json=issue_body, headers=m001))
    moved = client.post(
        f"/api/v1/customer-issues/{issue['issue_id']}/status", json={"status": "in_progress"}, headers=m001
    )
    ok(moved)
    day = today(gateway_settings.timezone).isoformat()
    ok(client.put(f"/api/v1/work-summaries/{day}", json={"summary": "拜访3户"}, headers=m001))
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    booking = {"op_id": str(uuid.uuid4()), "customer_id": "ev-c1", "scheduled_at": later, "duration_min": 30}
    ok(client.post("/api/v1/appointments", json={**booking, "purpose": "新品推介"}, headers=m001))

    seen = probe.wait(9)
    kinds = [(e["event_type"], e.get("action") or e.get("status") or "") for e in seen]
    assert kinds == [
        ("note.written", "created"),
        ("note.written", "updated"),
        ("note.written", "deleted"),
        ("notice.posted", ""),
        ("notice.read", ""),
        ("customer_issue.changed", "open"),
        ("customer_issue.changed", "in_progress"),
        ("work_summary.saved", ""),
        ("appointment.booked", ""),
    ]
    assert all("body" not in e and "text" not in e for e in seen)  # private text never leaves planning
