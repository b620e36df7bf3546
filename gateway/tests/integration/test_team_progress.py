"""GET /team/progress through the gateway to the real analytics servicer (started in-process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analytics.bootstrap import build_grpc
from analytics.grpc_api import servicer
from analytics.settings import AnalyticsSettings
from analytics.usecases import progress
from baifang_common.events import CheckinRecorded, UnplannedTaskRecorded, VisitPlanPublished, WorkSummarySaved

pytestmark = pytest.mark.integration

DATE = "2025-06-02"


def _plan(manager_id: str) -> VisitPlanPublished:
    visits = [
        {"visit_id": f"{manager_id}-v{i}", "customer_id": f"c{i}", "order": i, "method": "field", "task_count": 2}
        for i in (1, 2, 3)
    ]
    return VisitPlanPublished(manager_id=manager_id, team_id="t01", date=DATE, visits=visits, planned_tasks=6)


def _checkin(manager_id: str) -> CheckinRecorded:
    return CheckinRecorded(
        checkin_id=f"ci-{manager_id}", visit_id=f"{manager_id}-v1", customer_id="c1", manager_id=manager_id,
        team_id="t01", date=DATE, lat=31.8, lon=117.2, accuracy_m=8.0, distance_m=12.0, verdict="ok",
        verdict_reason="", mock_location=False, client_ts="2025-06-02T09:00:00+08:00",
        received_at="2025-06-02T01:00:01+00:00",
    )  # fmt: skip


def _day_work(manager_id: str) -> list[UnplannedTaskRecorded | WorkSummarySaved]:
    """One unplanned task on the first visit and the day's work summary."""
    entry = UnplannedTaskRecorded(
        visit_id=f"{manager_id}-v1", customer_id="c1", manager_id=manager_id, team_id="t01", date=DATE,
        text="协助整理陈列柜", client_ts="2025-06-02T09:20:00+08:00", op_id="u1",
    )  # fmt: skip
    saved = WorkSummarySaved(manager_id=manager_id, team_id="t01", date=DATE, version=1, saved_at=f"{DATE}T10:00:00Z")
    return [entry, saved]


@pytest.fixture
def analytics_client(
    settings_for: Callable[..., Any], grpc_server: Callable[..., Any], make_client: Callable[..., TestClient]
) -> Iterator[TestClient]:
    deps = build_grpc(settings_for(AnalyticsSettings))
    progress.apply_events([_plan("m002"), _plan("m001"), _checkin("m001"), *_day_work("m001")], days=deps.days)
    server, _ = grpc_server([servicer(deps)])
    yield make_client(analytics_addr=f"127.0.0.1:{server.port}")
    deps.close()


def test_supervisor_reads_own_team_progress(analytics_client: TestClient, login: Callable[..., Any]) -> None:
    headers = {"Authorization": f"Bearer {login(analytics_client, 's01')['access_token']}"}
    response = analytics_client.get(f"/api/v1/team/progress?date={DATE}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["date"], body["team_id"], body["next_cursor"]) == (DATE, "t01", None)
    assert [m["manager_id"] for m in body["items"]] == ["m001", "m002"]
    first = body["items"][0]
    assert (first["planned_customers"], first["planned_tasks"], first["checked_in_customers"]) == (3, 6, 1)
    assert {"completed_customers", "executed_tasks"} <= set(first)
    assert [(m["unplanned_tasks"], m["work_summary_saved"]) for m in body["items"]] == [(1, True), (0, False)]
    page = analytics_client.get(f"/api/v1/team/progress?date={DATE}&limit=1", headers=headers).json()
    assert len(page["items"]) == 1
    rest = analytics_client.get(
        f"/api/v1/team/progress?date={DATE}&limit=1&cursor={page['next_cursor']}", headers=headers
    ).json()
    assert [m["manager_id"] for m in rest["items"]] == ["m002"]


def test_admin_names_the_team_and_a_supervisor_cannot(analytics_client: TestClient, login: Callable[..., Any]) -> None:
    admin = {"Authorization": f"Bearer {login(analytics_client, 'admin')['access_token']}"}
    answer = analytics_client.get(f"/api/v1/team/progress?date={DATE}&team_id=t01", headers=admin)
    assert answer.status_code == 200
    assert len(answer.json()["items"]) == 2
    missing = analytics_client.get(f"/api/v1/team/progress?date={DATE}", headers=admin)
    assert missing.status_code == 400
    assert "team_id" in missing.json()["error"]["details"]
    supervisor = {"Authorization": f"Bearer {login(analytics_client, 's01')['access_token']}"}
    other = analytics_client.get(f"/api/v1/team/progress?date={DATE}&team_id=t02", headers=supervisor)
    assert other.status_code == 403
