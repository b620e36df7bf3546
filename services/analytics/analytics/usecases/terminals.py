"""Terminal construction (docs/domain.md §1.6): the evaluation standard, one terminal's evaluation
with improvement guidance, and terminal statistics by customer attribute.

Terminal values are the latest `terminal_resources.collected` and `terminal_info.updated` of the
outlet (biz_terminals); attributes come from its card (biz_customers) and terminal information.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.standard_store import StandardStore
from analytics.domain import terminal_standard as std
from analytics.domain.business import scope_for
from analytics.domain.errors import InvalidStandard, RoleNotAllowed, StandardChanged, TeamRequired, UnknownAttribute
from analytics.usecases.customer_views import readable
from analytics.usecases.orders import ViewQuery
from baifang_common.timeutil import iso, now_utc

CARD_ATTRIBUTES = (
    "terminal_type", "area_id", "route_id", "star", "credit_grade", "value_class", "order_type", "settlement_method",
)  # fmt: skip
TERMINAL_ATTRIBUTES = ("store_tier", "association_member", "functional_terminal", "quality_terminal")
ATTRIBUTES = (*CARD_ATTRIBUTES, *TERMINAL_ATTRIBUTES, "meets_standard")


def current_standard(standards: StandardStore) -> tuple[int, tuple[std.Criterion, ...]]:
    """The latest version (0: the built-in default, never saved)."""
    doc = standards.latest()
    if doc is None:
        return 0, std.DEFAULT
    return int(doc["_id"]), std.criteria_of(doc["criteria"])


def get_standard(query: ViewQuery, *, standards: StandardStore) -> dict[str, Any]:
    """Read-only in the app (§1.6.1): any role reads it."""
    version, criteria = current_standard(standards)
    return {"version": version, "pass_mark": std.PASS_MARK, "criteria": [c.public() for c in criteria]}


def set_standard(query: ViewQuery, *, standards: StandardStore) -> dict[str, Any]:
    """An admin saves a new version (`payload`: the criteria); the current criteria again change nothing."""
    if not query.caller.is_admin:
        raise RoleNotAllowed(role=query.caller.role)
    criteria = query.payload if isinstance(query.payload, list) else []
    if not all(isinstance(c, dict) for c in criteria):
        raise InvalidStandard(criteria=[{"index": None, "field": "criteria", "reason": "a list of objects"}])
    problems = std.criteria_problems(criteria)
    if problems:
        raise InvalidStandard(criteria=problems)
    checked = std.criteria_of(criteria)
    version, current = current_standard(standards)
    if version and checked == current:
        return get_standard(query, standards=standards)
    if not standards.add(version + 1, [c.public() for c in checked], query.caller.id, iso(now_utc())):
        raise StandardChanged(version=version + 1)
    return get_standard(query, standards=standards)


def terminal_evaluation(query: ViewQuery, *, facts: FactsStore, standards: StandardStore) -> dict[str, Any]:
    """§1.6.6: the score against the standard, the failing criteria and what to do about each."""
    readable(query, facts)
    version, criteria = current_standard(standards)
    values = facts.terminals([query.customer_id]).get(query.customer_id, {})
    result = std.evaluate(criteria, values)
    return {
        "customer_id": query.customer_id,
        "standard_version": version,
        "score": result.score,
        "pass_mark": std.PASS_MARK,
        "meets_standard": result.meets_standard,
        "collected": bool(values),
        "met": [c.code for c in result.met],
        "failing": [
            {"code": c.code, "label": c.label, "weight": c.weight, "value": values.get(c.item), "guidance": c.guidance}
            for c in result.failing
        ],
    }


def terminal_stats(query: ViewQuery, *, facts: FactsStore, standards: StandardStore) -> dict[str, Any]:
    """§1.6.3: the caller's terminals grouped by one attribute, with their average score."""
    attribute = query.by or "terminal_type"
    if attribute not in ATTRIBUTES:
        raise UnknownAttribute(by=attribute, allowed=list(ATTRIBUTES))
    scope = scope_for(query.caller, query.manager_id, query.team_id)
    if not (scope.manager_id or scope.team_id):
        raise TeamRequired("an admin names a team_id or manager_id", field="team_id")
    customer_ids = sorted(o.customer_id for o in facts.owned(scope.manager_id, scope.team_id))
    fields = [attribute] if attribute in CARD_ATTRIBUTES else []
    cards = {doc["_id"]: doc for doc in facts.cards(customer_ids, fields)}
    values = facts.terminals(customer_ids)
    _, criteria = current_standard(standards)
    groups: dict[str, list[Any]] = defaultdict(lambda: [0, 0, 0.0, 0])  # outlets, evaluated, score sum, meeting
    for cid in customer_ids:
        terminal = values.get(cid, {})
        result = std.evaluate(criteria, terminal)
        source = cards.get(cid, {}) if attribute in CARD_ATTRIBUTES else terminal
        key = str(result.meets_standard if attribute == "meets_standard" else source.get(attribute, ""))
        group = groups[key]
        group[0] += 1
        if terminal:
            group[1], group[2], group[3] = group[1] + 1, group[2] + result.score, group[3] + int(result.meets_standard)
    rows = [
        {"value": key or None, "outlets": g[0], "evaluated": g[1],
         "avg_score": round(g[2] / g[1], 1) if g[1] else None, "meeting_standard": g[3]}
        for key, g in sorted(groups.items())
    ]  # fmt: skip
    return {"by": attribute, "outlets": len(customer_ids), "items": rows}
