"""Per-owner summaries of the terminal analyses (§1.6.4, §1.6.5): pure sums over outlet rows that
give the same figures as reading every outlet, so a group view reads one summary per owner.

An outlet row is what the analyses read of one outlet: its grouping keys (card and terminal),
the designated functions it has, its latest date of each activity, its current terminal values
and its terminal states (each distinct set of versions, from the UTC time it began). A summary is
the rows of one owner summed: per function the holders by last date of each activity (any
activity window is a sum over dates), the same per group; the evaluation tallies under one
version of the standard, and the trend as changes (evaluated, meeting, score) at the times an
outlet's state began, so a month's figure is the sum of the changes before the month's end.
Scores are summed in tenths (they carry one decimal): sums are exact whatever the order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from analytics.domain import terminal_analysis as ta
from analytics.domain import terminal_standard as std
from baifang_common.errors import InvalidArgument
from baifang_common.timeutil import parse_ts, utc_key

NONE = ""  # the JSON key of the group of outlets without a value (no value is "": `key` maps it to None)
ACTIVE = "active"  # the last date of any activity
Row = Mapping[str, Any]


def key(value: Any) -> str | None:
    """The group an attribute value puts an outlet in (None: no value)."""
    return None if value is None or value == "" else str(value)


def _instant(saved_at: str) -> str | None:
    try:
        return utc_key(parse_ts(saved_at, "saved_at", naive_zone=UTC))
    except InvalidArgument:
        return None  # undatable: left out of the trend, as ta.versions_of leaves it


def states_of(history: Mapping[str, Mapping[str, Any]]) -> list[list[Any]]:
    """[[utc time, values], ...]: the terminal's values from each time a version was saved (per kind
    the highest version saved by then, merged as ta.values_on merges them), distinct states only."""
    dated = {
        kind: sorted((int(number), at, entry.get("values") or {})
                     for number, entry in ((doc or {}).get("versions") or {}).items()
                     if (at := _instant(str(entry.get("saved_at", "")))) is not None)
        for kind, doc in history.items()
    }  # fmt: skip
    states: list[list[Any]] = []
    last: tuple[int, ...] | None = None
    for moment in sorted({at for versions in dated.values() for _, at, _ in versions}):
        chosen = [max((v for v in dated.get(kind, ()) if v[1] <= moment), default=None) for kind in ta.KINDS]
        numbers = tuple(v[0] if v else 0 for v in chosen)
        if numbers != last:
            merged: dict[str, Any] = {}
            for v in chosen:
                merged.update(v[2] if v else {})
            states.append([moment, merged])
            last = numbers
    return states


def month_boundary(month: str, timezone: str) -> str:
    """The UTC time the month ends at (the company-local midnight after its last day), as states_of dates."""
    after = date.fromordinal(ta.month_end(month).toordinal() + 1)
    return utc_key(datetime.combine(after, time(0), tzinfo=ZoneInfo(timezone)))


def _tally() -> list[int]:
    return [0, 0, 0, 0]  # outlets, evaluated, meeting, score sum in tenths


def _add(into: list[int], other: Sequence[int]) -> None:
    for i, n in enumerate(other):
        into[i] += n


def _hist(into: dict[str, int], day: str) -> None:
    if day:
        into[day] = into.get(day, 0) + 1


def _functional(rows: Sequence[Row]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Per function {outlets, dates {activity: {date: holders}}}; per attribute and group key
    {outlets, functions {code: [holders, {last active date: holders}]}}."""
    functions: dict[str, Any] = {
        code: {"outlets": 0, "dates": {a: {} for a in (*ta.ACTIVITIES, ACTIVE)}} for code, _, _ in ta.FUNCTIONS
    }
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        last = {a: str(row["last"].get(a) or "") for a in ta.ACTIVITIES}
        active = max(last.values(), default="")
        for attribute, value in {**row["card"], **row["terminal"]}.items():
            group = groups.setdefault(attribute, {}).setdefault(value or NONE, {"outlets": 0, "functions": {}})
            group["outlets"] += 1
            for code in row["functions"]:
                held = group["functions"].setdefault(code, [0, {}])
                held[0] += 1
                _hist(held[1], active)
        for code in row["functions"]:
            function = functions[code]
            function["outlets"] += 1
            for name, day in (*last.items(), (ACTIVE, active)):
                _hist(function["dates"][name], day)
    return functions, groups


def _trend(states: Sequence[Sequence[Any]], criteria: Sequence[std.Criterion], trend: dict[str, list[int]]) -> None:
    """The outlet's changes of (evaluated, meeting, score tenths) at the times its state began."""
    before: float | None = None
    for moment, values in states:
        score = std.evaluate(criteria, values).score if values else None
        if score == before:
            continue
        change = trend.setdefault(moment, [0, 0, 0])
        for s, sign in ((before, -1), (score, 1)):
            if s is not None:
                _add(change, (sign, sign * int(s >= std.PASS_MARK), sign * round(s * 10)))
        before = score


def _quality(rows: Sequence[Row], criteria: Sequence[std.Criterion]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The evaluation tallies of the rows' current values, per tier and per group, failing criteria,
    designated 优质终端, and the trend's changes."""
    total, tiers, groups = _tally(), {}, {}  # type: ignore[var-annotated]
    failing: dict[str, int] = {}
    designated, trend = [0, 0], {}  # type: ignore[var-annotated]
    for row in rows:
        values = row["values"]
        result = std.evaluate(criteria, values)
        counted = [total, tiers.setdefault(ta.tier_of(values) or NONE, _tally())]
        counted += [
            groups.setdefault(a, {}).setdefault(v or NONE, _tally())
            for a, v in {**row["card"], **row["quality"]}.items()
        ]
        tally = [1, 1, int(result.meets_standard), round(result.score * 10)] if values else [1, 0, 0, 0]
        for into in counted:
            _add(into, tally)
        if values:
            for c in result.failing:
                failing[c.code] = failing.get(c.code, 0) + 1
            if values.get("quality_terminal") is True:
                _add(designated, (1, int(result.meets_standard)))
        _trend(row["states"], criteria, trend)
    trend = {moment: change for moment, change in sorted(trend.items()) if any(change)}
    quality = {"total": total, "tiers": tiers, "failing": failing, "designated": designated, "trend": trend}
    return quality, groups


def summarize(rows: Iterable[Row], criteria: Sequence[std.Criterion]) -> dict[str, Any]:
    """The rows summed: {outlets, functions, fgroups {attribute: ...}, quality, qgroups {attribute: ...}}."""
    ordered = sorted(rows, key=lambda r: str(r["customer_id"]))
    functions, fgroups = _functional(ordered)
    quality, qgroups = _quality(ordered, criteria)
    return {"outlets": len(ordered), "functions": functions, "fgroups": fgroups, "quality": quality,
            "qgroups": qgroups}  # fmt: skip


def combined(base: Mapping[str, Any], plus: Mapping[str, Any], minus: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with the summary `plus` added and `minus` taken away (each as `summarize` gives it): the
    sum of a roster's rows once the rows in `plus` came in and those in `minus` went (an outlet's new
    and old row), equal to summing the rows again, so a batch costs its changed rows, not the roster.
    What reaches zero is left out, as `summarize` leaves out what no row counts."""
    out: dict[str, Any] = {"outlets": int(base["outlets"]), "functions": {}, "fgroups": {}, "qgroups": {},
                           "quality": {"total": _tally(), "tiers": {}, "failing": {}, "designated": [0, 0],
                                       "trend": {}}}  # fmt: skip
    for part, sign in ((base, 1), (plus, 1), (minus, -1)):
        if part is not base:
            out["outlets"] += sign * int(part["outlets"])
        _add_functional(out, part, sign)
        _add_quality(out, part, sign)
    return _pruned(out)


def _add_hist(into: dict[str, int], other: Mapping[str, int], sign: int) -> None:
    for day, n in other.items():
        into[day] = into.get(day, 0) + sign * n


def _add_signed(into: list[int], other: Sequence[int], sign: int) -> None:
    for i, n in enumerate(other):
        into[i] += sign * n


def _add_functional(out: dict[str, Any], part: Mapping[str, Any], sign: int) -> None:
    for code, function in part["functions"].items():
        into = out["functions"].setdefault(code, {"outlets": 0, "dates": {}})
        into["outlets"] += sign * function["outlets"]
        for name, dates in function["dates"].items():
            _add_hist(into["dates"].setdefault(name, {}), dates, sign)
    for attribute, groups in part["fgroups"].items():
        held = out["fgroups"].setdefault(attribute, {})
        for value, group in groups.items():
            into = held.setdefault(value, {"outlets": 0, "functions": {}})
            into["outlets"] += sign * group["outlets"]
            for code, (holders, dates) in group["functions"].items():
                counted = into["functions"].setdefault(code, [0, {}])
                counted[0] += sign * holders
                _add_hist(counted[1], dates, sign)


def _add_quality(out: dict[str, Any], part: Mapping[str, Any], sign: int) -> None:
    quality, other = out["quality"], part["quality"]
    _add_signed(quality["total"], other["total"], sign)
    _add_signed(quality["designated"], other["designated"], sign)
    for tier, tally in other["tiers"].items():
        _add_signed(quality["tiers"].setdefault(tier, _tally()), tally, sign)
    _add_hist(quality["failing"], other["failing"], sign)
    for moment, change in other["trend"].items():
        _add_signed(quality["trend"].setdefault(moment, [0, 0, 0]), change, sign)
    for attribute, groups in part["qgroups"].items():
        held = out["qgroups"].setdefault(attribute, {})
        for value, tally in groups.items():
            _add_signed(held.setdefault(value, _tally()), tally, sign)


def _nonzero(hist: Mapping[str, int]) -> dict[str, int]:
    return {day: n for day, n in hist.items() if n}


def _pruned(out: dict[str, Any]) -> dict[str, Any]:
    """What no row counts any more left out: histogram days, groups, holders, tallies of no outlet."""
    for function in out["functions"].values():
        function["dates"] = {name: _nonzero(dates) for name, dates in function["dates"].items()}
    fgroups: dict[str, Any] = {}
    for attribute, groups in out["fgroups"].items():
        kept = {
            value: {"outlets": group["outlets"],
                    "functions": {code: [n, _nonzero(dates)] for code, (n, dates) in group["functions"].items() if n}}
            for value, group in groups.items() if group["outlets"]
        }  # fmt: skip
        if kept:
            fgroups[attribute] = kept
    quality = out["quality"]
    quality["tiers"] = {tier: tally for tier, tally in quality["tiers"].items() if tally[0]}
    quality["failing"] = _nonzero(quality["failing"])
    quality["trend"] = {moment: change for moment, change in sorted(quality["trend"].items()) if any(change)}
    qgroups = {a: kept for a, groups in out["qgroups"].items() if (kept := {v: t for v, t in groups.items() if t[0]})}
    return {**out, "fgroups": fgroups, "qgroups": qgroups}


def since_count(dates: Mapping[str, int], since: str) -> int:
    """Holders whose last date is on or after `since` (no upper bound, as the outlets were read)."""
    return sum(n for day, n in dates.items() if day >= since)


def merged_groups(parts: Iterable[Mapping[str, Any]]) -> dict[str | None, dict[str, Any]]:
    """The functional groups of one attribute from several summaries, by group key."""
    out: dict[str | None, dict[str, Any]] = {}
    for part in parts:
        for value, group in part.items():
            held = out.setdefault(key(value), {"outlets": 0, "functions": {}})
            held["outlets"] += group["outlets"]
            for code, (holders, dates) in group["functions"].items():
                into = held["functions"].setdefault(code, [0, {}])
                into[0] += holders
                for day, n in dates.items():
                    into[1][day] = into[1].get(day, 0) + n
    return out


def merged_tallies(parts: Iterable[Mapping[str, Sequence[int]]]) -> dict[str | None, list[int]]:
    out: dict[str | None, list[int]] = {}
    for part in parts:
        for value, tally in part.items():
            _add(out.setdefault(key(value), _tally()), tally)
    return out


def merged_quality(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The quality parts of several summaries added up (the trend's changes by time)."""
    total, designated, failing, trend = _tally(), [0, 0], {}, {}  # type: ignore[var-annotated]
    tiers: list[Mapping[str, Sequence[int]]] = []
    for part in parts:
        _add(total, part["total"])
        _add(designated, part["designated"])
        tiers.append(part["tiers"])
        for code, n in part["failing"].items():
            failing[code] = failing.get(code, 0) + n
        for moment, change in part["trend"].items():
            _add(trend.setdefault(moment, [0, 0, 0]), change)
    return {"total": total, "designated": designated, "failing": failing, "trend": trend,
            "tiers": merged_tallies(tiers)}  # fmt: skip


def month_figures(trend: Mapping[str, Sequence[int]], boundary: str) -> list[int]:
    """(evaluated, meeting, score tenths) at a month's end: the changes before its boundary."""
    out = [0, 0, 0]
    for moment, change in trend.items():
        if moment < boundary:
            _add(out, change)
    return out
