"""Imports from the marketing system through the gateway: row-by-row reports, idempotent re-imports,
422 with row numbers on malformed files, background jobs, and the events the demo loader announces."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from baifang_common.testing.wait import wait_until
from baifang_common.timeutil import today
from gateway.settings import GatewaySettings
from planning.bootstrap import GrpcDeps, build_grpc
from planning.domain.model import Customer, LibraryTask
from planning.grpc_api import servicer as planning_servicer
from planning.settings import PlanningSettings

pytestmark = pytest.mark.integration

NDJSON = {"Content-Type": "application/x-ndjson"}
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def planning(settings_for: Callable[..., Any], grpc_server: Callable[..., Any]) -> Iterator[tuple[GrpcDeps, str]]:
    deps = build_grpc(settings_for(PlanningSettings))
    deps.library.put_many([LibraryTask("T01", "陈列检查", "basic", ""), LibraryTask("T02", "价格检查", "basic", "")])
    deps.customers.upsert_many([Customer("im-c0", "IM0", "王记便利店", "m001", "t01", lat=31.8, lon=117.2)])
    server, _ = grpc_server([planning_servicer(deps)])
    yield deps, f"127.0.0.1:{server.port}"
    deps.close()


@pytest.fixture
def client(planning: tuple[GrpcDeps, str], make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(planning_addr=planning[1])


@pytest.fixture
def admin(client: TestClient, login: Callable[..., Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, 'admin')['access_token']}"}


def _lines(*records: dict[str, Any]) -> bytes:
    return b"\n".join(orjson.dumps(r) for r in records)


def _post(client: TestClient, kind: str, body: bytes, headers: dict[str, str], **extra: str) -> Any:
    return client.post(f"/api/v1/admin/import/{kind}", content=body, headers={**NDJSON, **headers, **extra})


CUSTOMER = {"id": "im-c1", "code": "IM1", "name": "李记烟酒", "manager_id": "m001", "lat": 31.81, "lon": 117.22}


def test_customers_are_applied_row_by_row_announced_and_a_reimport_changes_nothing(
    client: TestClient, admin: dict[str, str], planning: tuple[GrpcDeps, str], event_probe: Callable[..., Any]
) -> None:
    upserted, assigned = event_probe("planning", "customer.upserted"), event_probe("planning", "customer.assigned")
    body = _lines(
        CUSTOMER,
        {**CUSTOMER, "id": "im-c2", "code": "IM2", "lat": 95},
        {**CUSTOMER, "id": "im-c3", "code": "IM3", "manager_id": "s01"},
        {**CUSTOMER, "id": "im-c4", "code": "IM0"},
        {**CUSTOMER, "id": "im-c5", "code": "IM5", "star": "x"},
    )
    first = _post(client, "customers", body, admin)
    assert first.status_code == 200, first.text
    assert (first.json()["applied"], first.json()["unchanged"]) == (1, 0)
    assert [(r["row"], r["field"]) for r in first.json()["rejected"]] == [
        (2, "location"),
        (3, "manager_id"),
        (4, "code"),
        (5, "star"),
    ]
    stored = planning[0].customers.get("im-c1")
    assert stored is not None and (stored.team_id, stored.qr_secret != "") == ("t01", True)
    (event,) = upserted.wait(1)
    assert (event["customer_id"], event["name"]) == ("im-c1", "李记烟酒")
    (event,) = assigned.wait(1)
    assert (event["manager_id"], event["team_id"], event["previous_manager_id"]) == ("m001", "t01", "")

    again = _post(client, "customers", body, admin).json()
    assert (again["applied"], again["unchanged"], len(again["rejected"])) == (0, 1, 4)
    moved = _post(client, "customers", _lines({**CUSTOMER, "manager_id": "m002"}), admin).json()
    assert (moved["applied"], moved["unchanged"]) == (1, 0)
    history = client.get("/api/v1/customers/im-c1/assignments", headers=admin).json()["items"]
    assert [(h["manager_id"], h["previous_manager_id"]) for h in history] == [("m001", None), ("m002", "m001")]
    assert planning[0].customers.get("im-c1").qr_secret == stored.qr_secret  # type: ignore[union-attr]


def test_a_malformed_file_is_refused_whole_with_its_row_numbers(
    client: TestClient, admin: dict[str, str], planning: tuple[GrpcDeps, str], login: Callable[..., Any]
) -> None:
    body = _lines(CUSTOMER) + b"\n{not json\n[1, 2]\n"
    refused = _post(client, "customers", body, admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "invalid_import"
    assert [r["row"] for r in refused.json()["error"]["details"]["rows"]] == [2, 3]
    assert planning[0].customers.get("im-c1") is None
    csv = b"code,name,kind\nT05,x,basic,extra\n"
    assert _post(client, "tasks", csv, admin, **CSV).json()["error"]["details"]["rows"] == [
        {"row": 2, "reason": "more cells than the header"}
    ]
    manager = {"Authorization": f"Bearer {login(client, 'm001')['access_token']}"}
    assert _post(client, "tasks", b'{"code": "T09", "name": "x"}', manager).status_code == 403


def test_plans_from_csv_reach_the_managers_list_and_a_day_is_published(
    client: TestClient, admin: dict[str, str], login: Callable[..., Any], event_probe: Callable[..., Any]
) -> None:
    published = event_probe("planning", "visit_plan.published")
    day = (date.today() + timedelta(days=3)).isoformat()
    csv = (
        "manager_id,date,customer_id,order,method,task_codes\n"
        f"m001,{day},im-c0,1,on_site,T01;T02\n"
        f"m001,{day},im-none,2,on_site,T01\n"
        f"m001,{day},im-c0,3,phone,T01\n"
        f"m001,{day},im-c0,4,on_site,T77\n"
    ).encode()
    first = _post(client, "plans", csv, admin, **CSV).json()
    assert (first["applied"], first["unchanged"]) == (1, 0), first
    assert [(r["row"], r["field"]) for r in first["rejected"]] == [(3, "customer_id"), (4, "row"), (5, "task_codes")]
    (event,) = published.wait(1)
    assert (event["manager_id"], event["date"], event["planned_tasks"]) == ("m001", day, 2)
    m001 = {"Authorization": f"Bearer {login(client, 'm001')['access_token']}"}
    (visit,) = client.get("/api/v1/visits", params={"date": day}, headers=m001).json()["items"]
    assert (visit["customer"]["id"], visit["tasks_total"]) == ("im-c0", 2)
    assert _post(client, "plans", csv, admin, **CSV).json()["unchanged"] == 1
    m011 = {"Authorization": f"Bearer {login(client, 'm011')['access_token']}"}
    assert client.get(f"/api/v1/visits/{visit['visit_id']}", headers=m011).status_code in (403, 404)


def test_tasks_and_accounts_import_and_reimport(client: TestClient, admin: dict[str, str]) -> None:
    tasks = _lines({"code": "T03", "name": "新品推介"}, {"code": "T04", "name": "价库采集", "kind": "collection:nope"})
    first = _post(client, "tasks", tasks, admin).json()
    assert (first["applied"], [(r["row"], r["field"]) for r in first["rejected"]]) == (1, [(2, "kind")])
    assert _post(client, "tasks", tasks, admin).json()["unchanged"] == 1
    codes = [t["code"] for t in client.get("/api/v1/tasks/library", headers=admin).json()["items"]]
    assert "T03" in codes

    users = (
        "id,name,role,team_id,password\n"
        "m901,新经理,manager,t01,long enough pw\n"
        "m902,无密码,manager,t01,\n"
        "m903,坏角色,boss,t01,long enough pw\n"
    ).encode()
    report = _post(client, "users", users, admin, **CSV).json()
    assert (report["applied"], [(r["row"], r["field"]) for r in report["rejected"]]) == (
        1,
        [(3, "password"), (4, "role")],
    )
    login = client.post("/api/v1/auth/login", json={"username": "m901", "password": "long enough pw"})
    assert login.status_code == 200, login.text
    assert _post(client, "users", users, admin, **CSV).json()["unchanged"] == 1
    disabled = _post(client, "users", b"id,name,role,team_id,active\nm901,x,manager,t01,false\n", admin, **CSV)
    assert disabled.json()["applied"] == 1
    token = login.json()["access_token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_large_file_runs_as_a_job_with_progress(
    planning: tuple[GrpcDeps, str], make_client: Callable[..., TestClient], login: Callable[..., Any]
) -> None:
    # The file is larger than any other request body may be.
    client = make_client(planning_addr=planning[1], import_sync_rows=2, import_chunk_rows=2, max_body_bytes=200)
    admin = {"Authorization": f"Bearer {login(client, 'admin')['access_token']}"}
    rows = [{**CUSTOMER, "id": f"im-j{n}", "code": f"IMJ{n}"} for n in range(5)]
    started = _post(client, "customers", _lines(*rows, {**CUSTOMER, "lat": "north"}), admin)
    assert started.status_code == 202, started.text
    assert (started.json()["status"], started.json()["total"]) == ("running", 6)
    url = f"/api/v1/admin/imports/{started.json()['job_id']}"
    job = wait_until(
        lambda: (j := client.get(url, headers=admin).json())["status"] != "running" and j,
        timeout=20,
        what="the import job done",
    )
    assert (job["status"], job["processed"], job["report"]["applied"]) == ("done", 6, 5)
    assert job["report"]["rejected"] == [{"row": 6, "field": "lat", "reason": "must be a number"}]
    assert client.get("/api/v1/admin/imports/nope", headers=admin).status_code == 404


def test_the_customer_file_is_versioned_and_read_only_by_its_owners(
    client: TestClient, admin: dict[str, str], login: Callable[..., Any]
) -> None:
    def headers(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {login(client, user)['access_token']}"}

    assert _post(client, "customers", _lines({**CUSTOMER, "route_id": "R01"}), admin).json()["applied"] == 1
    m001, s01 = headers("m001"), headers("s01")
    contact = {
        "op_id": str(uuid.uuid4()),
        "customer_id": "im-c1",
        "name": "李会计",
        "role": "payment",
        "phone": "13900000000",
    }
    assert client.post("/api/v1/contacts", json=contact, headers=m001).status_code == 201
    url = "/api/v1/customers/im-c1"
    file = client.get(url, headers=m001).json()
    assert (file["customer"]["version"], file["customer"]["route_id"]) == (1, "R01")
    assert (file["responsible"]["manager_id"], file["responsible"]["since"] is not None) == ("m001", True)
    assert [(c["name"], c["role"]) for c in file["contacts"]] == [("李会计", "payment")]

    edited = client.patch(url, json={"version": 1, "area_id": "A7"}, headers=m001)
    assert (edited.status_code, edited.json()["customer"]["version"]) == (200, 2), edited.text
    stale = client.patch(url, json={"version": 1, "area_id": "A8"}, headers=s01)
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "version_conflict")
    assert client.get(url, headers=s01).json()["customer"]["area_id"] == "A7"
    for other in (headers("m011"), headers("s02")):
        assert client.get(url, headers=other).status_code == 403
        assert client.get(f"{url}/history", headers=other).status_code == 403
        assert client.patch(url, json={"version": 2, "area_id": "X"}, headers=other).status_code == 403
    assert client.get("/api/v1/customers/im-none", headers=m001).status_code == 404

    # The marketing system's row leaves the route and area empty: the file keeps them.
    assert _post(client, "customers", _lines(CUSTOMER), admin).json()["unchanged"] == 1
    history = client.get(f"{url}/history", headers=m001).json()["items"]
    assert [(h["version"], h["source"], h["changed_by"]) for h in history] == [
        (1, "import", "admin"),
        (2, "edit", "m001"),
    ]
    assert history[1]["changes"] == [{"field": "area_id", "before": "", "after": "A7"}]


def test_another_manager_or_team_is_refused_on_every_planning_read(
    client: TestClient, admin: dict[str, str], login: Callable[..., Any], gateway_settings: GatewaySettings
) -> None:
    """P-004-15, P-004-17: a manager sees their own, a supervisor their team; everyone else 403."""
    day = today(gateway_settings.timezone).isoformat()
    plan = f"manager_id,date,customer_id,task_codes\nm001,{day},im-c0,T01\n".encode()
    assert _post(client, "plans", plan, admin, **CSV).json()["applied"] == 1

    def headers(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {login(client, user)['access_token']}"}

    (visit,) = client.get("/api/v1/visits", headers=headers("m001")).json()["items"]
    of_m001 = {"manager_id": "m001", "date": day}
    reads = [
        ("/api/v1/visits", of_m001),
        (f"/api/v1/visits/{visit['visit_id']}", {}),
        ("/api/v1/plans/summary", of_m001),
        ("/api/v1/route", of_m001),
        ("/api/v1/appointments", of_m001),
        ("/api/v1/follow-ups", {"manager_id": "m001"}),
        (f"/api/v1/work-summaries/{day}", {"manager_id": "m001"}),
        ("/api/v1/customers/im-c0", {}),
        ("/api/v1/customers/im-c0/history", {}),
        ("/api/v1/customers/im-c0/assignments", {}),
    ]
    for user in ("m002", "m011", "s02"):
        who = headers(user)
        refused = {url: client.get(url, params=params, headers=who).status_code for url, params in reads}
        assert set(refused.values()) <= {403, 404}, (user, refused)
    supervisor = headers("s01")
    allowed = {url: client.get(url, params=params, headers=supervisor).status_code for url, params in reads[:4]}
    assert set(allowed.values()) == {200}, allowed
