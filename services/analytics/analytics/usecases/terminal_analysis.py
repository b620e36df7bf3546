"""Functional terminal analysis (§1.6.4) and quality terminal analysis (§1.6.5) of the caller's outlets.

Both read the terminal facts of the scope's outlets with `_id` lookups (latest values, dated
history), the cards for the grouping attribute and, for activity, each outlet's latest date of
each activity (biz_last_activity, kept by the worker). Who sees
which outlets is domain/business.scope_for (P-004-15); an admin without a filter sees every outlet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.standard_store import StandardStore
from analytics.domain import terminal_analysis as ta
from analytics.domain import terminal_standard as std
from analytics.domain.business import months_back, scope_for
from analytics.domain.errors import BadPeriod, UnknownAttribute
from analytics.usecases.orders import ViewQuery
from analytics.usecases.terminals import ATTRIBUTES, CARD_ATTRIBUTES, current_standard
from baifang_common.timeutil import today

GROUPS = tuple(a for a in ATTRIBUTES if a != "meets_standard")


@dataclass(frozen=True)
class TerminalQuery(ViewQuery):
    """A view query with the activity window of the functional analysis (days, today included)."""

    days: int = 0


@dataclass(frozen=True)
class Outlets:
    """The scope's outlets: ids (sorted), each one's current terminal values and grouping key."""

    ids: list[str]
    values: dict[str, dict[str, Any]]
    groups: dict[str, str | None]


def _outlets(
    query: ViewQuery,
    facts: FactsStore,
    attribute: str,
    current: Callable[[list[str]], dict[str, dict[str, Any]]] | None = None,
) -> Outlets:
    """The scope's outlets with their current terminal values (`current`, else the latest facts)."""
    if attribute not in GROUPS:
        raise UnknownAttribute(by=attribute, allowed=list(GROUPS))
    scope = scope_for(query.caller, query.manager_id, query.team_id)
    ids = sorted(o.customer_id for o in facts.owned(scope.manager_id, scope.team_id))
    values = (current or facts.terminals)(ids)
    if attribute in CARD_ATTRIBUTES:
        cards = {doc["_id"]: doc for doc in facts.cards(ids, [attribute])}
        source: Mapping[str, Mapping[str, Any]] = cards
    else:
        source = values
    groups = {cid: _key(source.get(cid, {}).get(attribute)) for cid in ids}
    return Outlets(ids, values, groups)


def _key(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _activity(ids: list[str], since: str, facts: FactsStore) -> dict[str, set[str]]:
    """Per activity of ta.ACTIVITIES: the outlets of `ids` whose latest such activity is on or after `since`."""
    latest = facts.last_activity(ids)
    return {name: {cid for cid, doc in latest.items() if str(doc.get(name) or "") >= since} for name in ta.ACTIVITIES}


def functional_terminals(query: ViewQuery, *, facts: FactsStore, timezone: str) -> dict[str, Any]:
    """§1.6.4: per designated function, how many outlets have it (coverage) and how many of those
    were visited, collected, scanned or ordered in the last `days` days (activity), overall and per group."""
    days = (query.days if isinstance(query, TerminalQuery) else 0) or 30
    if not 1 <= days <= ta.MAX_DAYS:
        raise BadPeriod(days=days)
    attribute = query.by or "terminal_type"
    outlets = _outlets(query, facts, attribute)
    window = ta.last_days(today(timezone), days)
    active = _activity(outlets.ids, window[0], facts)
    anything = set().union(*active.values())
    holders = {
        code: [cid for cid in outlets.ids if ta.has_function(outlets.values.get(cid, {}), item)]
        for code, _, item in ta.FUNCTIONS
    }
    functions = []
    for code, label, item in ta.FUNCTIONS:
        have = holders[code]
        counts = {name: sum(1 for cid in have if cid in active[name]) for name in ta.ACTIVITIES}
        busy = sum(1 for cid in have if cid in anything)
        functions.append({
            "code": code, "label": label, "item": item, "outlets": len(have),
            "coverage_pct": ta.share_pct(len(have), len(outlets.ids)), **counts,
            "active": busy, "active_pct": ta.share_pct(busy, len(have)),
        })  # fmt: skip
    members: dict[str | None, list[str]] = defaultdict(list)
    for cid in outlets.ids:
        members[outlets.groups[cid]].append(cid)
    items = []
    for value, group in sorted(members.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")):
        inside = set(group)
        rows = []
        for code, _, _ in ta.FUNCTIONS:
            have = [cid for cid in holders[code] if cid in inside]
            busy = sum(1 for cid in have if cid in anything)
            rows.append({"code": code, "outlets": len(have), "coverage_pct": ta.share_pct(len(have), len(group)),
                         "active": busy})  # fmt: skip
        items.append({"value": value, "outlets": len(group), "functions": rows})
    return {"days": days, "since": window[0], "until": window[-1], "by": attribute, "outlets": len(outlets.ids),
            "functions": functions, "items": items}  # fmt: skip


def _tally() -> list[Any]:
    return [0, 0, 0, 0.0]  # outlets, evaluated, meeting, score sum


def _row(tally: list[Any]) -> dict[str, Any]:
    outlets, evaluated, meeting, total = tally
    return {"outlets": outlets, "evaluated": evaluated, "meeting_standard": meeting,
            "avg_score": round(total / evaluated, 1) if evaluated else None}  # fmt: skip


@dataclass
class _History:
    """The scope's terminal histories, read once for both the current values and the trend."""

    facts: FactsStore
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def current(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The latest values from the history; the latest facts for outlets without one (kept before it)."""
        self.docs.update(self.facts.terminal_histories(ids))
        values = {cid: ta.latest_values(kinds) for cid, kinds in self.docs.items()}
        missing = [cid for cid in ids if cid not in self.docs]
        return {**values, **(self.facts.terminals(missing) if missing else {})}

    def dated(self, timezone: str) -> dict[str, dict[str, list[ta.Version]]]:
        return {cid: {k: ta.versions_of(d, timezone) for k, d in kinds.items()} for cid, kinds in self.docs.items()}


def _trend(
    histories: Mapping[str, Mapping[str, Sequence[ta.Version]]],
    months: Sequence[str],
    criteria: Sequence[std.Criterion],
) -> list[dict[str, Any]]:
    """Per month: the terminals evaluated and meeting the standard at the month's end (company-local)."""
    ends = [ta.month_end(m) for m in months]
    tallies = [_tally() for _ in months]
    for versions in histories.values():
        scores: dict[tuple[int, ...], float | None] = {}  # one evaluation per distinct state of the outlet
        for end, tally in zip(ends, tallies, strict=True):
            state = ta.numbers_on(versions, end)
            if state not in scores:
                values = ta.values_on(versions, end)
                scores[state] = std.evaluate(criteria, values).score if values else None
            score = scores[state]
            if score is None:
                continue
            tally[1], tally[2], tally[3] = tally[1] + 1, tally[2] + int(score >= std.PASS_MARK), tally[3] + score
    trend = []
    for month, tally in zip(months, tallies, strict=True):
        row = _row(tally)
        trend.append({"month": month, "evaluated": row["evaluated"], "meeting_standard": row["meeting_standard"],
                      "avg_score": row["avg_score"]})  # fmt: skip
    return trend


def quality_terminals(
    query: ViewQuery, *, facts: FactsStore, standards: StandardStore, timezone: str
) -> dict[str, Any]:
    """§1.6.5: terminals meeting the evaluation standard: counts and mean scores per "三店" tier and per
    group, the monthly trend of the count meeting it, and the criteria failed most (gaps)."""
    months = query.months or 6
    if not 1 <= months <= ta.MAX_MONTHS:
        raise BadPeriod(months=months)
    attribute = query.by or "terminal_type"
    history = _History(facts)
    outlets = _outlets(query, facts, attribute, history.current)
    histories = history.dated(timezone)
    version, criteria = current_standard(standards)
    total = _tally()
    tiers: dict[str | None, list[Any]] = defaultdict(_tally)
    groups: dict[str | None, list[Any]] = defaultdict(_tally)
    failing: dict[str, int] = defaultdict(int)
    designated = [0, 0]  # flagged 优质终端 by the manager, of those meeting the standard
    for cid in outlets.ids:
        values = outlets.values.get(cid, {})
        result = std.evaluate(criteria, values)
        counted = [total, tiers[ta.tier_of(values)], groups[outlets.groups[cid]]]
        for tally in counted:
            tally[0] += 1
        if not values:
            continue
        for tally in counted:
            tally[1], tally[2], tally[3] = tally[1] + 1, tally[2] + int(result.meets_standard), tally[3] + result.score
        for c in result.failing:
            failing[c.code] += 1
        if values.get("quality_terminal") is True:
            designated[0], designated[1] = designated[0] + 1, designated[1] + int(result.meets_standard)
    by_code = {c.code: c for c in criteria}
    gaps = [
        {"code": code, "label": by_code[code].label, "weight": by_code[code].weight, "failing": failing[code],
         "failing_pct": ta.share_pct(failing[code], total[1]), "guidance": by_code[code].guidance}
        for code in ta.ranked_gaps(failing, by_code)
    ]  # fmt: skip
    tier_keys: list[str | None] = [*ta.STORE_TIERS, None]
    return {
        "months": months, "standard_version": version, "pass_mark": std.PASS_MARK, **_row(total),
        "meeting_pct": ta.share_pct(total[2], total[0]),
        "designated_quality": designated[0], "designated_meeting_standard": designated[1],
        "store_tiers": [{"store_tier": t, **_row(tiers[t])} for t in tier_keys],
        "by": attribute,
        "items": [{"value": k, **_row(g)} for k, g in sorted(groups.items(), key=lambda kv: (kv[0] is not None,
                                                                                          kv[0] or ""))],
        "trend": _trend(histories, months_back(today(timezone).isoformat()[:7], months), criteria),
        "gaps": gaps,
    }  # fmt: skip
