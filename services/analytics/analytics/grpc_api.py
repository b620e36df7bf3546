"""AnalyticsServicer: proto → query → use case → proto, nothing else; plus the gRPC process entry."""

from __future__ import annotations

import grpc
import orjson

from analytics import bootstrap
from analytics.bootstrap import GrpcDeps
from analytics.domain.model import ManagerProgress
from analytics.settings import AnalyticsSettings
from analytics.usecases.attendance import TeamAttendanceQuery
from analytics.usecases.team_progress import TeamProgressQuery
from analytics.usecases.terminal_analysis import TerminalQuery
from baifang.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from baifang_common.context import Caller, require_caller
from baifang_common.grpc_server import Servicer, serve
from baifang_common.identity import FROM_GATEWAY
from baifang_common.logging import configure_logging

SERVICE_NAME = "baifang.analytics.v1.AnalyticsService"
# Who may call each RPC (issuers of the signed identity, enforced by the common server interceptor).
CALLERS = {"GetTeamProgress": FROM_GATEWAY, "GetTeamAttendance": FROM_GATEWAY}
CALLERS |= dict.fromkeys(
    ("GetDailyOrders", "GetMonthlyOrderProgress", "GetCustomerDetails", "GetCustomerAnalysis"), FROM_GATEWAY
) | dict.fromkeys(("GetScansLive", "GetScansYesterday", "GetStockLive", "GetProfitCurrent"), FROM_GATEWAY)
CALLERS |= dict.fromkeys(
    ("GetTerminalStandard", "SetTerminalStandard", "GetTerminalEvaluation", "GetTerminalStats"), FROM_GATEWAY
) | dict.fromkeys(("GetCustomerValue", "GetVisitFrequencyCompliance"), FROM_GATEWAY)
CALLERS |= dict.fromkeys(("ImportTargets", "GetIndicators"), FROM_GATEWAY)
CALLERS |= dict.fromkeys(
    ("GetFunctionalTerminals", "GetQualityTerminals", "GetForecast", "GetCustomerForecast"), FROM_GATEWAY
)


def _manager(progress: ManagerProgress) -> analytics_pb2.ManagerProgress:
    counts = progress.counts
    return analytics_pb2.ManagerProgress(
        manager_id=progress.manager_id,
        planned_customers=counts.planned_customers,
        completed_customers=counts.completed_customers,
        planned_tasks=counts.planned_tasks,
        executed_tasks=counts.executed_tasks,
        checked_in_customers=counts.checked_in_customers,
        last_event_at=progress.last_event_at,
        unplanned_tasks=progress.unplanned_tasks,
        work_summary_saved=progress.work_summary_saved,
    )


def _view_query(request: analytics_pb2.BusinessViewRequest, caller: Caller) -> TerminalQuery:
    """Every view's parameters (a TerminalQuery is a ViewQuery with the functional analysis' window)."""
    return TerminalQuery(
        caller=caller,
        customer_id=request.customer_id,
        date=request.date,
        month=request.month,
        months=request.months,
        manager_id=request.manager_id,
        team_id=request.team_id,
        limit=request.limit,
        offset=request.offset,
        by=request.by,
        week=request.week,
        payload=orjson.loads(request.body_json) if request.body_json else None,
        days=request.days,
    )


def _view(document: dict[str, object]) -> analytics_pb2.BusinessViewResponse:
    return analytics_pb2.BusinessViewResponse(json=orjson.dumps(document))


class AnalyticsServicer(analytics_pb2_grpc.AnalyticsServiceServicer):
    def __init__(self, deps: GrpcDeps) -> None:
        self.use = bootstrap.use_cases(deps)

    def GetTeamProgress(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.GetTeamProgressRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.GetTeamProgressResponse:
        query = TeamProgressQuery(caller=require_caller(), team_id=request.team_id, date=request.date)
        result = self.use.get_team_progress(query)
        return analytics_pb2.GetTeamProgressResponse(
            team_id=result.team_id, date=result.date, managers=[_manager(m) for m in result.managers]
        )

    def GetTeamAttendance(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.GetTeamAttendanceRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.GetTeamAttendanceResponse:
        query = TeamAttendanceQuery(caller=require_caller(), team_id=request.team_id, date=request.date)
        team_id, date, tallies = self.use.get_team_attendance(query)
        return analytics_pb2.GetTeamAttendanceResponse(
            team_id=team_id,
            date=date,
            managers=[
                analytics_pb2.ManagerVisitCounts(
                    manager_id=t.manager_id,
                    planned=t.planned,
                    done=t.done,
                    checked_in=t.checked_in,
                    missed=t.missed,
                    phone_done=t.phone_done,
                )
                for t in tallies
            ],
        )

    def GetDailyOrders(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetDailyOrders"](_view_query(request, caller)))

    def GetMonthlyOrderProgress(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetMonthlyOrderProgress"](_view_query(request, caller)))

    def GetCustomerDetails(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetCustomerDetails"](_view_query(request, caller)))

    def GetCustomerAnalysis(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetCustomerAnalysis"](_view_query(request, caller)))

    def GetScansLive(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetScansLive"](_view_query(request, caller)))

    def GetScansYesterday(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetScansYesterday"](_view_query(request, caller)))

    def GetStockLive(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetStockLive"](_view_query(request, caller)))

    def GetProfitCurrent(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetProfitCurrent"](_view_query(request, caller)))

    def GetTerminalStandard(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetTerminalStandard"](_view_query(request, caller)))

    def SetTerminalStandard(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["SetTerminalStandard"](_view_query(request, caller)))

    def GetTerminalEvaluation(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetTerminalEvaluation"](_view_query(request, caller)))

    def GetTerminalStats(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetTerminalStats"](_view_query(request, caller)))

    def GetCustomerValue(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetCustomerValue"](_view_query(request, caller)))

    def GetVisitFrequencyCompliance(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetVisitFrequencyCompliance"](_view_query(request, caller)))

    def ImportTargets(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["ImportTargets"](_view_query(request, caller)))

    def GetIndicators(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetIndicators"](_view_query(request, caller)))

    def GetFunctionalTerminals(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetFunctionalTerminals"](_view_query(request, caller)))

    def GetQualityTerminals(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetQualityTerminals"](_view_query(request, caller)))

    def GetForecast(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetForecast"](_view_query(request, caller)))

    def GetCustomerForecast(  # noqa: N802 (generated gRPC name)
        self, request: analytics_pb2.BusinessViewRequest, context: grpc.ServicerContext
    ) -> analytics_pb2.BusinessViewResponse:
        caller = require_caller()
        return _view(self.use.business_views["GetCustomerForecast"](_view_query(request, caller)))


def servicer(deps: GrpcDeps) -> Servicer:
    return Servicer(
        analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server, AnalyticsServicer(deps), SERVICE_NAME, CALLERS
    )


def run() -> None:
    settings = AnalyticsSettings()
    configure_logging("analytics", "grpc", settings.log_level)
    deps = bootstrap.build_grpc(settings)
    serve(settings, [servicer(deps)], readiness=deps.readiness, on_stop=deps.close)
