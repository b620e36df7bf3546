"""The composition root: the only place that creates clients and adapters.

build_worker must not import grpc (workers run under eventlet); build_grpc must not import
eventlet or nameko — hence ProcessedEvents is imported inside build_worker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import MongoClient

from analytics.adapters.day_progress_store import DayProgressStore
from analytics.adapters.facts_store import FactsStore
from analytics.adapters.order_views_store import OrderViewsStore
from analytics.adapters.plan_facts_reader import PlanFactsReader
from analytics.adapters.scan_store import ScanStore
from analytics.adapters.standard_store import STANDARDS, StandardStore
from analytics.adapters.targets_store import TargetsStore
from analytics.adapters.terminal_views_store import TerminalViewsStore
from analytics.adapters.value_store import ValueStore
from analytics.adapters.visit_tally_store import VisitTallyStore
from analytics.domain.attendance import VisitTally
from analytics.domain.model import TeamProgress
from analytics.domain.value import ValuePolicy
from analytics.settings import AnalyticsSettings
from analytics.usecases import (
    customer_value,
    customer_views,
    forecast,
    indicators,
    orders,
    scan_views,
    terminal_analysis,
    terminals,
    visit_frequency,
)
from analytics.usecases.attendance import TeamAttendanceQuery, get_team_attendance
from analytics.usecases.customer_value import ValueBook
from analytics.usecases.orders import ViewQuery
from analytics.usecases.team_progress import TeamProgressQuery, get_team_progress
from baifang_common import health, mongo
from baifang_common.mongo import Document


@dataclass(frozen=True)
class GrpcDeps:
    days: DayProgressStore
    timezone: str
    readiness: health.Readiness
    mongo: MongoClient[Document]
    facts: FactsStore
    order_views: OrderViewsStore
    scans: ScanStore
    standards: StandardStore
    values: ValueBook
    visit_frequency: dict[str, tuple[int, int]]
    targets: TargetsStore
    key_brands: tuple[str, ...]

    def close(self) -> None:
        self.mongo.close()


@dataclass(frozen=True)
class UseCases:
    """The gRPC process's use cases with their dependencies bound: what the servicer calls."""

    get_team_progress: Callable[[TeamProgressQuery], TeamProgress]
    get_team_attendance: Callable[[TeamAttendanceQuery], tuple[str, str, list[VisitTally]]]
    business_views: dict[str, Callable[[ViewQuery], dict[str, Any]]]


@dataclass(frozen=True)
class WorkerDeps:
    """No inbox: the read model's writes are idempotent facts (worker.py)."""

    days: DayProgressStore
    facts: FactsStore
    order_views: OrderViewsStore
    scans: ScanStore
    timezone: str
    values: ValueBook


def day_progress_store(settings: AnalyticsSettings, client: MongoClient[Document]) -> DayProgressStore:
    store = DayProgressStore(mongo.database(settings, client)["day_progress"])
    store.ensure_indexes()
    return store


def build_grpc(settings: AnalyticsSettings) -> GrpcDeps:
    """The gRPC process only reads the store, so readiness is the store alone."""
    client = mongo.client(settings)
    facts, views = business_stores(settings, client)
    return GrpcDeps(
        days=day_progress_store(settings, client),
        timezone=settings.timezone,
        readiness=health.Readiness({"mongo": health.mongo_check(client)}),
        mongo=client,
        facts=facts,
        order_views=views,
        scans=scan_store(settings, client),
        standards=StandardStore(mongo.database(settings, client)[STANDARDS]),
        values=value_book(settings, client),
        visit_frequency=dict(settings.visit_frequency),
        targets=targets_store(settings, client),
        key_brands=settings.key_brands,
    )


def use_cases(deps: GrpcDeps) -> UseCases:
    """Bind each use case to its adapters once."""
    return UseCases(
        get_team_progress=functools.partial(get_team_progress, days=deps.days, timezone=deps.timezone),
        get_team_attendance=functools.partial(
            get_team_attendance, plans=PlanFactsReader(deps.days.collection), timezone=deps.timezone
        ),
        business_views=business_views(deps),
    )


def build_worker(settings: AnalyticsSettings) -> WorkerDeps:
    client = mongo.client(settings)
    facts, views = business_stores(settings, client)
    return WorkerDeps(
        days=day_progress_store(settings, client),
        facts=facts,
        order_views=views,
        scans=scan_store(settings, client),
        timezone=settings.timezone,
        values=value_book(settings, client),
    )


def scan_store(settings: AnalyticsSettings, client: MongoClient[Document]) -> ScanStore:
    store = ScanStore(mongo.database(settings, client)["scan_days"])
    store.ensure_indexes()
    return store


def targets_store(settings: AnalyticsSettings, client: MongoClient[Document]) -> TargetsStore:
    store = TargetsStore(mongo.database(settings, client)["indicator_targets"])
    store.ensure_indexes()
    return store


def value_book(settings: AnalyticsSettings, client: MongoClient[Document]) -> ValueBook:
    """The customer value classes with the thresholds of the settings (worker, gRPC, the scheduled recompute)."""
    policy = ValuePolicy(
        window_months=settings.value_window_months,
        a_min_fen=settings.value_a_min_fen,
        b_min_fen=settings.value_b_min_fen,
        c_min_fen=settings.value_c_min_fen,
        tenure_lift_months=settings.value_tenure_lift_months,
    )
    db = mongo.database(settings, client)
    return ValueBook(
        store=ValueStore(db["customer_values"]), policy=policy, timezone=settings.timezone, views=OrderViewsStore(db)
    )


def business_stores(settings: AnalyticsSettings, client: MongoClient[Document]) -> tuple[FactsStore, OrderViewsStore]:
    """The business facts and the order views built from them (worker, gRPC and the rebuild script)."""
    db = mongo.database(settings, client)
    facts, views = FactsStore(db), OrderViewsStore(db, VisitTallyStore(db))
    facts.ensure_indexes()
    views.ensure_indexes()
    TerminalViewsStore(db).ensure_indexes()  # the terminal summaries beside them (usecases/terminal_views.py)
    return facts, views


def business_views(deps: GrpcDeps) -> dict[str, Callable[[ViewQuery], dict[str, Any]]]:
    """Each business-view RPC's use case, by RPC name, bound to the facts and the order views."""
    bound = {"facts": deps.facts, "views": deps.order_views, "timezone": deps.timezone}
    return {
        "GetDailyOrders": functools.partial(orders.daily_orders, **bound),
        "GetMonthlyOrderProgress": functools.partial(orders.monthly_progress, **bound),
        "GetCustomerDetails": functools.partial(customer_views.customer_details, **bound),
        "GetCustomerAnalysis": functools.partial(customer_views.customer_analysis, **bound),
        **retail_scan_views(deps),
        "GetTerminalStandard": functools.partial(terminals.get_standard, standards=deps.standards),
        "SetTerminalStandard": functools.partial(terminals.set_standard, standards=deps.standards),
        "GetTerminalEvaluation": functools.partial(
            terminals.terminal_evaluation, facts=deps.facts, standards=deps.standards
        ),
        "GetTerminalStats": functools.partial(terminals.terminal_stats, facts=deps.facts, standards=deps.standards),
        "GetFunctionalTerminals": functools.partial(
            terminal_analysis.functional_terminals, facts=deps.facts, timezone=deps.timezone
        ),
        "GetQualityTerminals": functools.partial(
            terminal_analysis.quality_terminals, facts=deps.facts, standards=deps.standards, timezone=deps.timezone
        ),
        "GetForecast": functools.partial(forecast.team_forecast, **bound),
        "GetCustomerForecast": functools.partial(forecast.customer_forecast, **bound),
        "GetCustomerValue": functools.partial(customer_value.customer_value, facts=deps.facts, book=deps.values),
        "GetVisitFrequencyCompliance": functools.partial(
            visit_frequency.frequency_compliance, **bound, table=deps.visit_frequency
        ),
        "ImportTargets": functools.partial(indicators.import_targets, targets=deps.targets, key_brands=deps.key_brands),
        "GetIndicators": functools.partial(
            indicators.indicators,
            facts=deps.facts,
            views=deps.order_views,
            plans=PlanFactsReader(deps.days.collection),
            targets=deps.targets,
            key_brands=deps.key_brands,
            timezone=deps.timezone,
        ),
    }


def retail_scan_views(deps: GrpcDeps) -> dict[str, Callable[[ViewQuery], dict[str, Any]]]:
    """The retail-scan RPCs (§1.9): one outlet's read its scan days, the group views the day summaries
    filtered by the owner rosters."""
    one = {"facts": deps.facts, "scans": deps.scans, "timezone": deps.timezone}
    return {
        "GetScansLive": functools.partial(scan_views.scans_live, **one, views=deps.order_views),
        "GetScansYesterday": functools.partial(
            scan_views.scans_yesterday, views=deps.order_views, scans=deps.scans, timezone=deps.timezone
        ),
        "GetStockLive": functools.partial(scan_views.stock_live, **one),
        "GetProfitCurrent": functools.partial(scan_views.profit_current, **one),
    }
