"""Business views (analytics service): order tracking, merchant details, business analysis.

Analytics answers each view as one JSON document (its rules decide who sees which customers,
P-004-15); this module checks the parameters, pages the customer rows with the API's cursor and
passes the document on. Money is integer fen, quantities cartons.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from baifang.analytics.v1 import analytics_pb2
from baifang_common.context import Caller
from gateway.auth import current_caller, require_roles
from gateway.deps import Deps, get_deps
from gateway.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, encode_cursor
from gateway.params import DateQuery, resolve_date
from gateway.routes import API_PREFIX
from gateway.schemas.common import ApiModel
from gateway.schemas.indicators import IndicatorReport
from gateway.schemas.terminal_analysis import CustomerForecast, ForecastReport, FunctionalReport, QualityReport

router = APIRouter(prefix=API_PREFIX, tags=["business views"])
# Included before planning's `/visits/{visit_id}`, which would otherwise take these paths.
visit_views = APIRouter(prefix=API_PREFIX, tags=["business views"])

ViewerDep = Annotated[Caller, Depends(require_roles("manager", "supervisor", "admin"))]
DepsDep = Annotated[Deps, Depends(get_deps)]
CustomerId = Annotated[str, Path(min_length=1, max_length=128)]
MonthQuery = Annotated[
    str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; the current month when absent")
]
ManagerFilter = Annotated[str, Query(max_length=64, description="one manager (supervisors: of their team)")]
TeamFilter = Annotated[str, Query(max_length=64, description="admins: one team")]


async def _view(
    deps: Deps, rpc: str, caller: Caller, request: analytics_pb2.BusinessViewRequest, timeout: float | None = None
) -> dict[str, Any]:
    answer = await deps.clients.call(getattr(deps.clients.analytics, rpc), request, caller, timeout=timeout)
    document: dict[str, Any] = orjson.loads(answer.json)
    return document


async def _rows(
    deps: Deps, rpc: str, caller: Caller, limit: int, cursor: str | None, timeout: float | None = None, **fields: Any
) -> dict[str, Any]:
    """A view of customer rows: the cursor goes to analytics as an offset, the rows come back paged."""
    request = analytics_pb2.BusinessViewRequest(limit=limit, offset=decode_cursor(cursor), **fields)
    return _paged(await _view(deps, rpc, caller, request, timeout), limit)


def _paged(document: dict[str, Any], limit: int) -> dict[str, Any]:
    """The view's page of rows as {items, next_cursor} (analytics cut it at `offset`)."""
    total, offset = int(document.pop("total_items", 0)), int(document.pop("offset", 0))
    end = offset + len(document.get("items", []))
    document["next_cursor"] = encode_cursor(end) if end < total and document.get("items") else None
    document["total_items"] = total
    return document


@router.get("/orders/daily")
async def orders_daily(
    caller: ViewerDep,
    deps: DepsDep,
    date: DateQuery = "",
    manager_id: ManagerFilter = "",
    team_id: TeamFilter = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Daily purchases (§1.8.1): who ordered on the date, by SKU; who has not; totals per manager."""
    day = resolve_date(date, deps.settings.timezone)
    return await _rows(deps, "GetDailyOrders", caller, limit, cursor, date=day, manager_id=manager_id, team_id=team_id)


@router.get("/orders/monthly-progress")
async def orders_monthly_progress(
    caller: ViewerDep,
    deps: DepsDep,
    month: MonthQuery = "",
    manager_id: ManagerFilter = "",
    team_id: TeamFilter = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Monthly order progress (§1.8.2): ordered vs effective quantity (agreed + approved increases)."""
    return await _rows(
        deps, "GetMonthlyOrderProgress", caller, limit, cursor, month=month, manager_id=manager_id, team_id=team_id
    )


WeekQuery = Annotated[
    str,
    Query(pattern=r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$", description="YYYY-Www (ISO week); the current week when absent"),
]


@router.get("/indicators", response_model=IndicatorReport)
async def indicators(
    caller: ViewerDep,
    deps: DepsDep,
    period: Literal["month", "week"] = "month",
    month: MonthQuery = "",
    week: WeekQuery = "",
    manager_id: ManagerFilter = "",
    team_id: TeamFilter = "",
) -> dict[str, Any]:
    """Indicators (P-002-8/9/10): volume, key brands, value per carton, plan execution against the targets."""
    request = analytics_pb2.BusinessViewRequest(manager_id=manager_id, team_id=team_id)
    if period == "week":
        request.week, request.by = week, "week"
    else:
        request.month = month
    return await _view(deps, "GetIndicators", caller, request, timeout=deps.settings.report_timeout_seconds)


@router.get("/customers/{customer_id}/details")
async def customer_details(caller: ViewerDep, deps: DepsDep, customer_id: CustomerId) -> dict[str, Any]:
    """Merchant details (§1.5.12): card, owner, recent visits, terminal facts, last collection, orders."""
    request = analytics_pb2.BusinessViewRequest(customer_id=customer_id)
    return await _view(deps, "GetCustomerDetails", caller, request)


@router.get("/customers/{customer_id}/analysis")
async def customer_analysis(
    caller: ViewerDep,
    deps: DepsDep,
    customer_id: CustomerId,
    months: Annotated[int, Query(ge=1, le=24)] = 6,
) -> dict[str, Any]:
    """Business analysis (§1.5.13) over the last `months` months, the current one included."""
    request = analytics_pb2.BusinessViewRequest(customer_id=customer_id, months=months)
    return await _view(deps, "GetCustomerAnalysis", caller, request)


@router.get("/customers/{customer_id}/value")
async def customer_value(caller: ViewerDep, deps: DepsDep, customer_id: CustomerId) -> dict[str, Any]:
    """Customer value class A/B/C/D (P-004-7/9): the current class, the figures behind it, its history."""
    request = analytics_pb2.BusinessViewRequest(customer_id=customer_id)
    return await _view(deps, "GetCustomerValue", caller, request)


# --- retail scans (§1.9): amounts as the devices report unit prices -------------------------------

OutletQuery = Annotated[str, Query(min_length=1, max_length=128, description="the outlet (customer id)")]


@router.get("/scans/live")
async def scans_live(
    caller: ViewerDep,
    deps: DepsDep,
    customer_id: Annotated[
        str, Query(max_length=128, description="one outlet by SKU; absent: the caller's outlets")
    ] = "",
    manager_id: ManagerFilter = "",
    team_id: TeamFilter = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Scan live (§1.9.1): today's scanned sales and purchases, of one outlet by SKU or per outlet."""
    request = analytics_pb2.BusinessViewRequest(
        customer_id=customer_id, manager_id=manager_id, team_id=team_id, limit=limit, offset=decode_cursor(cursor)
    )
    document = await _view(deps, "GetScansLive", caller, request)
    return _paged(document, limit) if "total_items" in document else {**document, "next_cursor": None}


@router.get("/scans/yesterday")
async def scans_yesterday(
    caller: ViewerDep,
    deps: DepsDep,
    manager_id: ManagerFilter = "",
    team_id: TeamFilter = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Yesterday's tracking (§1.9.2): per outlet sales, purchases and top SKUs; scanners gone silent."""
    return await _rows(deps, "GetScansYesterday", caller, limit, cursor, manager_id=manager_id, team_id=team_id)


@router.get("/stock/live")
async def stock_live(caller: ViewerDep, deps: DepsDep, customer_id: OutletQuery) -> dict[str, Any]:
    """Real-time stock (§1.9.3): the last stock count plus scanned purchases minus scanned sales since."""
    request = analytics_pb2.BusinessViewRequest(customer_id=customer_id)
    return await _view(deps, "GetStockLive", caller, request)


@router.get("/profit/current")
async def profit_current(
    caller: ViewerDep, deps: DepsDep, customer_id: OutletQuery, month: MonthQuery = ""
) -> dict[str, Any]:
    """Current profit (§1.9.4): the month's scanned sales × (retail − average scanned purchase price)."""
    request = analytics_pb2.BusinessViewRequest(customer_id=customer_id, month=month)
    return await _view(deps, "GetProfitCurrent", caller, request)


# --- terminal construction (§1.6) ---------------------------------------------------------------


class CriterionEntry(ApiModel):
    """One criterion of the evaluation standard: `item` is a terminal resources or information item code."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=100)
    item: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    test: Literal["true", "at_least", "one_of"]
    weight: Annotated[int, Field(strict=True, ge=1, le=100)]
    guidance: str = Field(default="", max_length=500)
    threshold: Annotated[float, Field(ge=0, le=1e9)] = 0
    choices: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=50)


class StandardRequest(ApiModel):
    criteria: list[CriterionEntry] = Field(min_length=1, max_length=50)


TERMINAL_ATTRIBUTE = (
    "terminal_type", "area_id", "route_id", "star", "credit_grade", "value_class", "order_type", "settlement_method",
    "store_tier", "association_member", "functional_terminal", "quality_terminal", "meets_standard",
)  # fmt: skip


@router.get("/terminal-standard")
async def terminal_standard(caller: Annotated[Caller, Depends(current_caller)], deps: DepsDep) -> dict[str, Any]:
    """The terminal evaluation standard (§1.6.1): weighted criteria, read-only in the app."""
    return await _view(deps, "GetTerminalStandard", caller, analytics_pb2.BusinessViewRequest())


@router.put("/admin/terminal-standard")
async def put_terminal_standard(
    caller: Annotated[Caller, Depends(require_roles("admin"))], deps: DepsDep, body: StandardRequest
) -> dict[str, Any]:
    """A new version of the standard; the current criteria again change nothing."""
    criteria = [c.model_dump() for c in body.criteria]
    request = analytics_pb2.BusinessViewRequest(body_json=orjson.dumps(criteria))
    answer = await deps.clients.call(deps.clients.analytics.SetTerminalStandard, request, caller, write=True)
    document: dict[str, Any] = orjson.loads(answer.json)
    return document


@router.get("/terminals/{customer_id}/evaluation")
async def terminal_evaluation(caller: ViewerDep, deps: DepsDep, customer_id: CustomerId) -> dict[str, Any]:
    """Terminal improvement guidance (§1.6.6): score, failing criteria and what to do about each."""
    request = analytics_pb2.BusinessViewRequest(customer_id=customer_id)
    return await _view(deps, "GetTerminalEvaluation", caller, request)


@router.get("/terminals/stats")
async def terminal_stats(
    caller: ViewerDep,
    deps: DepsDep,
    by: Annotated[Literal[TERMINAL_ATTRIBUTE], Query()] = "terminal_type",  # type: ignore[valid-type]
    manager_id: ManagerFilter = "",
    team_id: TeamFilter = "",
) -> dict[str, Any]:
    """Terminal statistics (§1.6.3): the caller's terminals grouped by one attribute, with scores."""
    request = analytics_pb2.BusinessViewRequest(by=by, manager_id=manager_id, team_id=team_id)
    return await _view(deps, "GetTerminalStats", caller, request)


GROUP_ATTRIBUTE = tuple(a for a in TERMINAL_ATTRIBUTE if a != "meets_standard")
GroupQuery = Annotated[Literal[GROUP_ATTRIBUTE], Query(description="the customer attribute to group by")]  # type: ignore[valid-type]


@router.get("/terminals/functional", response_model=FunctionalReport)
async def functional_terminals(
    caller: ViewerDep,
    deps: DepsDep,
    days: Annotated[int, Query(ge=1, le=90, description="the activity window, today included")] = 30,
    by: GroupQuery = "terminal_type",
    manager_id: ManagerFilter = "",
    team_id: TeamFilter = "",
) -> dict[str, Any]:
    """Functional terminal analysis (§1.6.4): coverage and activity of each designated function."""
    request = analytics_pb2.BusinessViewRequest(days=days, by=by, manager_id=manager_id, team_id=team_id)
    return await _view(deps, "GetFunctionalTerminals", caller, request)


@router.get("/terminals/quality", response_model=QualityReport)
async def quality_terminals(
    caller: ViewerDep,
    deps: DepsDep,
    months: Annotated[int, Query(ge=1, le=24, description="months of trend, the current one included")] = 6,
    by: GroupQuery = "terminal_type",
    manager_id: ManagerFilter = "",
    team_id: TeamFilter = "",
) -> dict[str, Any]:
    """Quality terminal analysis (§1.6.5): terminals meeting the standard per tier and group, trend, gaps."""
    request = analytics_pb2.BusinessViewRequest(months=months, by=by, manager_id=manager_id, team_id=team_id)
    return await _view(deps, "GetQualityTerminals", caller, request)


ForecastMonth = Annotated[
    str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; the next month when absent")
]


@router.get("/forecast", response_model=ForecastReport)
async def sales_forecast(
    caller: ViewerDep,
    deps: DepsDep,
    month: ForecastMonth = "",
    manager_id: ManagerFilter = "",
    team_id: TeamFilter = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Sales forecast (P-002-8, P-003-10): cartons per customer, manager and in total, against the agreed quantity."""
    return await _rows(deps, "GetForecast", caller, limit, cursor, month=month, manager_id=manager_id, team_id=team_id)


@router.get("/customers/{customer_id}/forecast", response_model=CustomerForecast)
async def customer_forecast(
    caller: ViewerDep, deps: DepsDep, customer_id: CustomerId, month: ForecastMonth = ""
) -> dict[str, Any]:
    """One customer's sales forecast (P-003-10) with the months it stands on."""
    request = analytics_pb2.BusinessViewRequest(customer_id=customer_id, month=month)
    return await _view(deps, "GetCustomerForecast", caller, request)


@visit_views.get("/visits/frequency-compliance")
async def visit_frequency_compliance(
    caller: ViewerDep,
    deps: DepsDep,
    month: MonthQuery = "",
    manager_id: ManagerFilter = "",
    team_id: TeamFilter = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Visit-frequency compliance (P-004-1): customers visited below their tier's frequency, per manager."""
    timeout = deps.settings.report_timeout_seconds
    filters = {"month": month, "manager_id": manager_id, "team_id": team_id}
    return await _rows(deps, "GetVisitFrequencyCompliance", caller, limit, cursor, timeout, **filters)
