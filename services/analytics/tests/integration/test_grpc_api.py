from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest

from analytics.bootstrap import GrpcDeps
from analytics.grpc_api import servicer
from analytics.usecases import progress
from baifang.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from baifang_common.testing.calls import caller_md, rpc_error
from baifang_common.testing.plugin import unique
from baifang_common.timeutil import today

pytestmark = pytest.mark.integration

DATE = "2025-06-02"  # the date of the `day` fixture's events


@pytest.fixture
def stub(grpc_server: Callable[..., Any], grpc_deps: GrpcDeps) -> analytics_pb2_grpc.AnalyticsServiceStub:
    _, channel = grpc_server([servicer(grpc_deps)])
    return analytics_pb2_grpc.AnalyticsServiceStub(channel)


@pytest.fixture
def team(day: Any, grpc_deps: GrpcDeps) -> str:
    """A team whose managers m002 and m001 had a day of events, plus another team's m003."""
    team_id = unique("t")
    for manager_id, team in (("m002", team_id), ("m001", team_id), ("m003", unique("t"))):
        progress.apply_events(day.day_of(manager_id, team), days=grpc_deps.days)
    return team_id


def test_supervisor_reads_own_team_progress_sorted_by_manager(stub: Any, team: str) -> None:
    answer = stub.GetTeamProgress(
        analytics_pb2.GetTeamProgressRequest(date=DATE), metadata=caller_md("s01", "supervisor", team)
    )
    assert answer.team_id == team and answer.date == DATE
    assert [m.manager_id for m in answer.managers] == ["m001", "m002"]
    first = answer.managers[0]
    assert (first.planned_customers, first.completed_customers, first.planned_tasks, first.executed_tasks) == (
        4,
        2,
        8,
        4,
    )
    assert first.checked_in_customers == 3
    assert (first.unplanned_tasks, first.work_summary_saved) == (3, True)
    assert first.last_event_at


def test_day_without_events_answers_no_managers(stub: Any, team: str) -> None:
    answer = stub.GetTeamProgress(
        analytics_pb2.GetTeamProgressRequest(team_id=team, date="2025-06-03"), metadata=caller_md("admin", "admin", "")
    )
    assert list(answer.managers) == []


def test_admin_reads_any_team(stub: Any, team: str) -> None:
    answer = stub.GetTeamProgress(
        analytics_pb2.GetTeamProgressRequest(team_id=team, date=DATE), metadata=caller_md("admin", "admin", "")
    )
    assert len(answer.managers) == 2


def refused(
    stub: Any, request: analytics_pb2.GetTeamProgressRequest, metadata: list[tuple[str, str]]
) -> tuple[grpc.StatusCode, str]:
    status, code, _ = rpc_error(lambda: stub.GetTeamProgress(request, metadata=metadata))
    return status, code


def test_supervisor_of_another_team_is_forbidden(stub: Any, team: str) -> None:
    request = analytics_pb2.GetTeamProgressRequest(team_id=team, date=DATE)
    assert refused(stub, request, caller_md("s02", "supervisor", "t02")) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "forbidden",
    )


def test_manager_is_forbidden(stub: Any, team: str) -> None:
    request = analytics_pb2.GetTeamProgressRequest(team_id=team, date=DATE)
    assert refused(stub, request, caller_md("m001", "manager", team)) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "forbidden",
    )


def test_admin_without_team_is_a_bad_request(stub: Any) -> None:
    request = analytics_pb2.GetTeamProgressRequest(date=DATE)
    assert refused(stub, request, caller_md("admin", "admin", "")) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid_argument",
    )


def test_malformed_date_is_a_bad_request(stub: Any, team: str) -> None:
    request = analytics_pb2.GetTeamProgressRequest(date="02/06/2025")
    assert refused(stub, request, caller_md("s01", "supervisor", team)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid_argument",
    )


def test_call_without_caller_is_unauthenticated(stub: Any) -> None:
    request = analytics_pb2.GetTeamProgressRequest(team_id="t01", date=DATE)
    assert refused(stub, request, [("x-request-id", unique("r"))]) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "unauthenticated",
    )


def test_empty_date_means_today_in_company_time(stub: Any, team: str) -> None:
    answer = stub.GetTeamProgress(analytics_pb2.GetTeamProgressRequest(), metadata=caller_md("s01", "supervisor", team))
    assert answer.date == today("Asia/Shanghai").isoformat()
    assert answer.team_id == team
