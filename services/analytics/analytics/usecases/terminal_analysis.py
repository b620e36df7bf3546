"""Functional terminal analysis (§1.6.4) and quality terminal analysis (§1.6.5) of the caller's outlets.

Both read the per-owner terminal summaries of the scope (usecases/terminal_views.py keeps them from
the terminal facts, cards and latest activity dates): one document per owner in scope, whatever
its number of outlets, and only the fields the view needs (the chosen grouping attribute's groups
alone). An activity window is a sum of the holders' last dates from its first day; a month of the
quality trend the sum of the changes before its end. When the standard changed since a summary was
summed, the quality view evaluates the scope's outlet rows instead (until the worker sums it again). Who sees which
outlets is domain/business.scope_for (P-004-15); an admin without a filter sees every outlet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.standard_store import StandardStore
from analytics.domain import terminal_analysis as ta
from analytics.domain import terminal_standard as std
from analytics.domain import terminal_summary as ts
from analytics.domain.business import months_back, scope_for
from analytics.domain.errors import BadPeriod, UnknownAttribute
from analytics.usecases.orders import ViewQuery
from analytics.usecases.terminal_views import book_of, rows_held
from analytics.usecases.terminals import ATTRIBUTES, current_standard
from baifang_common.mongo import Document
from baifang_common.timeutil import today

GROUPS = tuple(a for a in ATTRIBUTES if a != "meets_standard")


@dataclass(frozen=True)
class TerminalQuery(ViewQuery):
    """A view query with the activity window of the functional analysis (days, today included)."""

    days: int = 0


def _summaries(query: ViewQuery, facts: FactsStore, attribute: str, fields: Sequence[str]) -> list[Document]:
    """The scope's owner summaries with the named fields decoded."""
    if attribute not in GROUPS:
        raise UnknownAttribute(by=attribute, allowed=list(GROUPS))
    scope = scope_for(query.caller, query.manager_id, query.team_id)
    return book_of(facts).views.summaries_in(scope.manager_id, scope.team_id, fields)


def _by_value(item: tuple[str | None, Any]) -> tuple[bool, str]:
    return item[0] is not None, item[0] or ""


def functional_terminals(query: ViewQuery, *, facts: FactsStore, timezone: str) -> dict[str, Any]:
    """§1.6.4: per designated function, how many outlets have it (coverage) and how many of those
    were visited, collected, scanned or ordered in the last `days` days (activity), overall and per group."""
    days = (query.days if isinstance(query, TerminalQuery) else 0) or 30
    if not 1 <= days <= ta.MAX_DAYS:
        raise BadPeriod(days=days)
    attribute = query.by or "terminal_type"
    parts = _summaries(query, facts, attribute, ["functions", f"fg_{attribute}"])
    window = ta.last_days(today(timezone), days)
    since, outlets = window[0], sum(int(p["outlets"]) for p in parts)
    functions = []
    for code, label, item in ta.FUNCTIONS:
        held = [p["functions"][code] for p in parts if "functions" in p]
        have = sum(h["outlets"] for h in held)
        counts = {name: sum(ts.since_count(h["dates"][name], since) for h in held) for name in ta.ACTIVITIES}
        busy = sum(ts.since_count(h["dates"][ts.ACTIVE], since) for h in held)
        functions.append({
            "code": code, "label": label, "item": item, "outlets": have,
            "coverage_pct": ta.share_pct(have, outlets), **counts,
            "active": busy, "active_pct": ta.share_pct(busy, have),
        })  # fmt: skip
    items = []
    for value, group in sorted(ts.merged_groups(p.get(f"fg_{attribute}", {}) for p in parts).items(), key=_by_value):
        rows = []
        for code, _, _ in ta.FUNCTIONS:
            have, dates = group["functions"].get(code, [0, {}])
            rows.append({"code": code, "outlets": have, "coverage_pct": ta.share_pct(have, group["outlets"]),
                         "active": ts.since_count(dates, since)})  # fmt: skip
        items.append({"value": value, "outlets": group["outlets"], "functions": rows})
    return {"days": days, "since": window[0], "until": window[-1], "by": attribute, "outlets": outlets,
            "functions": functions, "items": items}  # fmt: skip


def _row(tally: Sequence[int]) -> dict[str, Any]:
    """A tally (outlets, evaluated, meeting, score sum in tenths) as the view shows it."""
    outlets, evaluated, meeting, tenths = tally
    return {"outlets": outlets, "evaluated": evaluated, "meeting_standard": meeting,
            "avg_score": round(tenths / 10 / evaluated, 1) if evaluated else None}  # fmt: skip


def _quality_parts(
    query: ViewQuery, facts: FactsStore, attribute: str, version: int, criteria: Sequence[std.Criterion]
) -> tuple[dict[str, Any], dict[str | None, list[int]]]:
    """The scope's quality figures and groups: summed under the current standard version, else
    evaluated again from the scope's outlet rows (the standard changed since they were summed)."""
    parts = _summaries(query, facts, attribute, ["quality", f"qg_{attribute}"])
    if all(p.get("standard_version") == version for p in parts if p["outlets"]):
        quality = ts.merged_quality(p["quality"] for p in parts if "quality" in p)
        return quality, ts.merged_tallies(p.get(f"qg_{attribute}", {}) for p in parts)
    scope = scope_for(query.caller, query.manager_id, query.team_id)
    book = book_of(facts)
    owned = [o.customer_id for o in book.rosters.owned(scope.manager_id, scope.team_id)]
    summed = ts.summarize(rows_held(owned, book.views.rows_of(owned)), criteria)
    return ts.merged_quality([summed["quality"]]), ts.merged_tallies([summed["qgroups"].get(attribute, {})])


def _trend(trend: Mapping[str, Sequence[int]], months: Sequence[str], timezone: str) -> list[dict[str, Any]]:
    """Per month: the terminals evaluated and meeting the standard at the month's end (company-local)."""
    out = []
    for month in months:
        row = _row([0, *ts.month_figures(trend, ts.month_boundary(month, timezone))])
        out.append({"month": month, "evaluated": row["evaluated"], "meeting_standard": row["meeting_standard"],
                    "avg_score": row["avg_score"]})  # fmt: skip
    return out


def quality_terminals(
    query: ViewQuery, *, facts: FactsStore, standards: StandardStore, timezone: str
) -> dict[str, Any]:
    """§1.6.5: terminals meeting the evaluation standard: counts and mean scores per "三店" tier and per
    group, the monthly trend of the count meeting it, and the criteria failed most (gaps)."""
    months = query.months or 6
    if not 1 <= months <= ta.MAX_MONTHS:
        raise BadPeriod(months=months)
    attribute = query.by or "terminal_type"
    version, criteria = current_standard(standards)
    quality, groups = _quality_parts(query, facts, attribute, version, criteria)
    total, failing, designated = quality["total"], quality["failing"], quality["designated"]
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
        "store_tiers": [{"store_tier": t, **_row(quality["tiers"].get(t, [0, 0, 0, 0]))} for t in tier_keys],
        "by": attribute,
        "items": [{"value": k, **_row(g)} for k, g in sorted(groups.items(), key=_by_value)],
        "trend": _trend(quality["trend"], months_back(today(timezone).isoformat()[:7], months), timezone),
        "gaps": gaps,
    }  # fmt: skip
