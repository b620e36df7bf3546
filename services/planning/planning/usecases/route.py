"""Suggested route (§1.2 GIS route query): today's remaining visits in a short order, with distances."""

from __future__ import annotations

from dataclasses import dataclass

from baifang_common.context import Caller
from baifang_common.timeutil import parse_date
from planning.adapters.customer_store import CustomerStore
from planning.adapters.visit_store import VisitStore
from planning.domain import rules
from planning.domain.model import Customer, Visit, VisitMethod, VisitStatus
from planning.domain.route import Point, plan_route
from planning.usecases.visits import VisitView


@dataclass(frozen=True)
class SuggestRoute:
    caller: Caller
    date: str
    manager_id: str = ""
    # Where the manager is (the client's or the live fix); None = start at the first remaining outlet.
    start: Point | None = None


@dataclass(frozen=True)
class RouteStop:
    view: VisitView
    leg_m: float


@dataclass(frozen=True)
class SuggestedRoute:
    start: Point | None
    # "position" (given) or "first_outlet" (no position known) or "none" (nothing left to visit).
    start_source: str
    stops: tuple[RouteStop, ...]

    @property
    def total_m(self) -> float:
        return sum(s.leg_m for s in self.stops)


def suggest_route(query: SuggestRoute, *, visits: VisitStore, customers: CustomerStore) -> SuggestedRoute:
    """Remaining on-site visits (still `planned`, outlet located) ordered by nearest neighbour + 2-opt."""
    parse_date(query.date)
    manager_id = query.manager_id or query.caller.id
    day = visits.for_day(manager_id, query.date)
    if manager_id != query.caller.id:
        rules.ensure_can_read(query.caller, manager_id, day[0].team_id if day else customers.team_of(manager_id))
    cards = customers.get_many(v.customer_id for v in day)
    located = [(v, cards[v.customer_id]) for v in day if _remaining(v) and _located(cards.get(v.customer_id))]
    if not located:
        return SuggestedRoute(query.start, "position" if query.start else "none", ())
    first = located[0][1]
    start, source = (query.start, "position") if query.start else (Point(first.lat, first.lon), "first_outlet")
    plan = plan_route(start, [Point(c.lat, c.lon) for _, c in located])
    stops = tuple(RouteStop(VisitView(*located[i]), leg) for i, leg in zip(plan.order, plan.legs, strict=True))
    return SuggestedRoute(start, source, stops)


def _remaining(visit: Visit) -> bool:
    return visit.status == VisitStatus.PLANNED and visit.method == VisitMethod.ON_SITE


def _located(card: Customer | None) -> bool:
    return card is not None and (card.lat != 0.0 or card.lon != 0.0)
