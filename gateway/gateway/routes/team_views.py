"""Supervisor views: live positions (and their Server-Sent Events stream), a manager's track, attendance.

The data is checkin's (positions, fixes, check-ins, gaps) and analytics' (plan counts): the routes
turn their answers into JSON or CSV and apply no rule of their own. The attendance route puts the
two services' answers side by side, by manager.
"""

from __future__ import annotations

import asyncio
import csv
import io
import math
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from baifang.analytics.v1 import analytics_pb2
from baifang.checkin.v1 import checkin_pb2
from baifang_common.context import Caller
from gateway.auth import access_claims, authenticate, bearer_token, require_roles
from gateway.deps import Deps, get_deps
from gateway.errors import ApiError, JsonResponse
from gateway.params import DateQuery, resolve_date
from gateway.routes import API_PREFIX
from gateway.schemas.team_views import TeamAttendance, TeamPositions, TrackDay

router = APIRouter(prefix=API_PREFIX, tags=["team views"])

LeadDep = Annotated[Caller, Depends(require_roles("supervisor", "admin"))]
AnyoneDep = Annotated[Caller, Depends(require_roles("manager", "supervisor", "admin"))]
DepsDep = Annotated[Deps, Depends(get_deps)]
TeamQuery = Annotated[str, Query(max_length=64, description="required for an admin; a supervisor reads their own")]

# Server-Sent Events: how often the team's positions are read, and the keep-alive comment interval.
STREAM_POLL_S = 1.0
STREAM_HEARTBEAT_S = 15.0
STREAM_RETRY_MS = 3000


def iso_ms(ms: int) -> str:
    """UTC ISO 8601 with milliseconds and `Z` (how the views write device times)."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_MINUTES: dict[int, str] = {}


def fast_iso_ms(ms: int) -> str:
    """iso_ms for thousands of points: the minute's text is computed once."""
    minute, rest = divmod(ms, 60_000)
    prefix = _MINUTES.get(minute)
    if prefix is None:
        if len(_MINUTES) > 20_000:
            _MINUTES.clear()
        prefix = _MINUTES[minute] = datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:")
    seconds, millis = divmod(rest, 1000)
    return f"{prefix}{seconds:02d}.{millis:03d}Z"


# --- positions --------------------------------------------------------------------------------


def _member(m: checkin_pb2.MemberPosition) -> dict[str, Any]:
    visit = None
    if m.HasField("visit"):
        v = m.visit
        visit = {
            "visit_id": v.visit_id,
            "customer_id": v.customer_id,
            "checkin_id": v.checkin_id,
            "verdict": v.verdict,
            "verdict_reason": v.verdict_reason,
            "checked_in_at": v.checked_in_at,
        }
    return {
        "manager_id": m.manager_id,
        "lat": m.lat,
        "lon": m.lon,
        "fix_at": iso_ms(m.fix_ms),
        "age_s": round(m.age_s, 1),
        "accuracy_m": m.accuracy_m if m.HasField("accuracy_m") else None,
        "speed_mps": m.speed_mps if m.HasField("speed_mps") else None,
        "stale": m.stale,
        "visit": visit,
    }


async def _positions(caller: Caller, deps: Deps, team_id: str) -> dict[str, Any]:
    answer = await deps.clients.call(
        deps.clients.checkin.GetTeamPositions, checkin_pb2.GetTeamPositionsRequest(team_id=team_id), caller
    )
    return {"team_id": answer.team_id, "as_of": iso_ms(answer.now_ms), "items": [_member(m) for m in answer.members]}


@router.get("/team/positions", response_model=TeamPositions)
async def team_positions(caller: LeadDep, deps: DepsDep, team_id: TeamQuery = "") -> Response:
    """Each team member's newest fix: age, accuracy, speed, `stale`, and the current or last visit."""
    return JsonResponse(await _positions(caller, deps, team_id))  # the schema documents it; no re-validation


async def _stream_caller(request: Request, access_token: str) -> tuple[Caller, float]:
    """The caller of the bearer header or, for a browser EventSource (which cannot set headers), of
    `?access_token=`; and when the token expires (the stream ends then)."""
    deps: Deps = request.app.state.deps
    token = access_token or bearer_token(request)
    caller = await authenticate(token, deps.settings, deps.revoked_tokens, deps.active_users)
    request.state.caller = caller
    if caller.role not in ("supervisor", "admin"):
        raise ApiError(403, "forbidden", "this needs the role supervisor or admin", {"role": caller.role})
    return caller, float(access_claims(token, deps.settings).exp)


def sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _changes(before: dict[str, dict[str, Any]], now: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Members whose fix, visit or staleness changed (age alone is not a change)."""
    return [
        item
        for manager, item in now.items()
        if (old := before.get(manager)) is None
        or (old["fix_at"], old["visit"], old["stale"]) != (item["fix_at"], item["visit"], item["stale"])
    ]


async def _events(
    request: Request, caller: Caller, deps: Deps, team_id: str, expires: float, snapshot: dict[str, Any]
) -> AsyncIterator[bytes]:
    yield f"retry: {STREAM_RETRY_MS}\n\n".encode() + sse("snapshot", snapshot)
    known = {item["manager_id"]: item for item in snapshot["items"]}
    last_sent = time.monotonic()
    while not await request.is_disconnected():
        if time.time() >= expires:
            yield sse("expired", {"reason": "access token expired: reconnect with a fresh token"})
            return
        await asyncio.sleep(STREAM_POLL_S)
        try:
            current = await _positions(caller, deps, team_id)
        except ApiError as exc:
            if exc.status < 500:
                yield sse("error", {"code": exc.code, "message": exc.message})
                return
            continue  # checkin unavailable for a moment: keep the stream, try again
        now = {item["manager_id"]: item for item in current["items"]}
        for item in _changes(known, now):
            yield sse("position", item)
            last_sent = time.monotonic()
        known = now
        if time.monotonic() - last_sent >= STREAM_HEARTBEAT_S:
            yield b": keep-alive\n\n"
            last_sent = time.monotonic()


@router.get("/team/positions/stream", include_in_schema=False)
async def team_positions_stream(
    request: Request,
    deps: DepsDep,
    team_id: TeamQuery = "",
    access_token: Annotated[str, Query(max_length=4096)] = "",
) -> StreamingResponse:
    """Server-Sent Events (docs/api.md): `snapshot` first, then `position` per changed member."""
    caller, expires = await _stream_caller(request, access_token)
    snapshot = await _positions(caller, deps, team_id)  # a wrong team is refused before the stream starts
    return StreamingResponse(
        _events(request, caller, deps, team_id, expires, snapshot),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# --- a manager's track ------------------------------------------------------------------------


def _checkin(c: checkin_pb2.ViewCheckin) -> dict[str, Any]:
    return {
        "checkin_id": c.checkin_id,
        "visit_id": c.visit_id,
        "customer_id": c.customer_id,
        "at": c.at,
        "lat": c.lat,
        "lon": c.lon,
        "distance_m": c.distance_m,
        "verdict": c.verdict,
        "verdict_reason": c.verdict_reason,
        "offline": c.offline,
        "mock_location": c.mock_location,
        "late": c.late,
    }


def _gap(g: checkin_pb2.ViewGap) -> dict[str, Any]:
    return {"start": iso_ms(g.start_ms), "end": iso_ms(g.end_ms), "minutes": g.minutes}


def track_body(answer: checkin_pb2.GetTrackDayResponse) -> dict[str, Any]:
    speeds = [None if s != s else s for s in answer.speed_mps]  # NaN: unknown speed
    points = [
        {"ts": fast_iso_ms(t), "lat": lat, "lon": lon, "accuracy_m": acc, "speed_mps": speed}
        for t, lat, lon, acc, speed in zip(answer.t, answer.lat, answer.lon, answer.accuracy_m, speeds, strict=True)
    ]
    return {
        "manager_id": answer.manager_id,
        "date": answer.date,
        "simplified": answer.simplified,
        "tolerance_m": answer.tolerance_m,
        "raw_count": answer.raw_count,
        "point_count": len(points),
        "points": points,
        "distance_m": round(answer.distance_m, 1),
        "jumps_excluded": answer.jumps,
        "stops": [
            {
                "lat": s.lat,
                "lon": s.lon,
                "start": iso_ms(s.start_ms),
                "end": iso_ms(s.end_ms),
                "duration_s": (s.end_ms - s.start_ms) / 1000,
                "points": s.points,
                "customer_id": s.customer_id or None,
            }
            for s in answer.stops
        ],
        "checkins": [_checkin(c) for c in answer.checkins],
        "gaps": [_gap(g) for g in answer.gaps],
    }


@router.get("/team/{manager_id}/track", response_model=TrackDay)
async def manager_track(
    manager_id: Annotated[str, Path(min_length=1, max_length=128)],
    caller: AnyoneDep,
    deps: DepsDep,
    date: DateQuery = "",
    simplify: Annotated[int, Query(ge=0, le=1, description="0: every stored fix")] = 1,
    tolerance_m: Annotated[float, Query(gt=0, le=10_000, description="Douglas-Peucker tolerance")] = 10.0,
) -> Response:
    """One manager's day: points in order (simplified unless simplify=0), distance, stops, check-ins, gaps."""
    day = resolve_date(date, deps.settings.timezone)
    request = checkin_pb2.GetTrackDayRequest(manager_id=manager_id, date=day, tolerance_m=tolerance_m, raw=not simplify)
    answer = await deps.clients.call(deps.clients.checkin.GetTrackDay, request, caller)
    return JsonResponse(track_body(answer))


# --- attendance -------------------------------------------------------------------------------


def attendance_rows(facts: checkin_pb2.GetTeamDayResponse, plans: Any) -> list[dict[str, Any]]:
    """One row per manager known to either service, side by side."""
    days = {m.manager_id: m for m in facts.managers}
    counts = {m.manager_id: m for m in plans.managers}
    rows = []
    for manager in sorted({*days, *counts}):
        d, c = days.get(manager), counts.get(manager)
        checkins = list(d.checkins) if d else []
        gaps = [_gap(g) for g in d.gaps] if d else []
        first, last = _activity(d)
        rows.append(
            {
                "manager_id": manager,
                "first_activity": first,
                "last_activity": last,
                "time_in_field_s": _seconds_between(first, last),
                "visits": {
                    "planned": c.planned if c else 0,
                    "done": c.done if c else 0,
                    "checked_in": c.checked_in if c else 0,
                    "missed": c.missed if c else 0,
                    "late": len({x.visit_id for x in checkins if x.late}),
                    "phone_done": c.phone_done if c else 0,
                },
                "distance_m": round(d.distance_m, 1) if d else 0.0,
                "checkins": len(checkins),
                "gaps": gaps,
                "gap_minutes": round(sum(g["minutes"] for g in gaps), 1),
                "suspect_checkins": [
                    {
                        "checkin_id": x.checkin_id,
                        "customer_id": x.customer_id,
                        "at": x.at,
                        "verdict": x.verdict,
                        "verdict_reason": x.verdict_reason,
                    }
                    for x in checkins
                    if x.verdict != "ok"
                ],
            }
        )
    return rows


def _activity(day: checkin_pb2.ManagerDay | None) -> tuple[str | None, str | None]:
    """First and last fix or check-in of the day (the first is the clock-in of P-002-5)."""
    if day is None:
        return None, None
    moments = [iso_ms(ms) for ms in (day.first_fix_ms, day.last_fix_ms) if ms]
    moments += [_utc(c.at) for c in day.checkins if c.at]
    moments = [m for m in moments if m]
    return (min(moments), max(moments)) if moments else (None, None)


def _utc(text: str) -> str:
    try:
        return iso_ms(round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000))
    except ValueError:
        return ""


def _seconds_between(first: str | None, last: str | None) -> float:
    if not first or not last:
        return 0.0
    a = datetime.fromisoformat(first.replace("Z", "+00:00"))
    b = datetime.fromisoformat(last.replace("Z", "+00:00"))
    return (b - a).total_seconds()


CSV_COLUMNS = (
    "manager_id",
    "first_activity",
    "last_activity",
    "time_in_field_min",
    "planned",
    "done",
    "checked_in",
    "missed",
    "late",
    "phone_done",
    "distance_km",
    "checkins",
    "gaps",
    "gap_minutes",
    "suspect_checkins",
    "suspect_reasons",
)


def attendance_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        v = r["visits"]
        reasons = sorted({s["verdict_reason"] or s["verdict"] for s in r["suspect_checkins"]})
        writer.writerow(
            [
                r["manager_id"],
                r["first_activity"] or "",
                r["last_activity"] or "",
                math.floor(r["time_in_field_s"] / 60),
                v["planned"],
                v["done"],
                v["checked_in"],
                v["missed"],
                v["late"],
                v["phone_done"],
                f"{r['distance_m'] / 1000:.2f}",
                r["checkins"],
                len(r["gaps"]),
                r["gap_minutes"],
                len(r["suspect_checkins"]),
                ";".join(reasons),
            ]
        )
    return out.getvalue()


@router.get(
    "/team/attendance",
    response_model=TeamAttendance,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def team_attendance(
    caller: LeadDep,
    deps: DepsDep,
    date: DateQuery = "",
    team_id: TeamQuery = "",
    format: Annotated[Literal["json", "csv"], Query()] = "json",  # noqa: A002 - the documented parameter name
) -> Response:
    """Per manager: first and last activity, time in the field, visits, distance, gaps, suspect check-ins."""
    day = resolve_date(date, deps.settings.timezone)
    c = deps.clients
    facts, plans = await asyncio.gather(
        c.call(
            c.checkin.GetTeamDay,
            checkin_pb2.GetTeamDayRequest(team_id=team_id, date=day),
            caller,
            timeout=deps.settings.report_timeout_seconds,
        ),
        c.call(
            c.analytics.GetTeamAttendance, analytics_pb2.GetTeamAttendanceRequest(team_id=team_id, date=day), caller
        ),
    )
    rows = attendance_rows(facts, plans)
    team = facts.team_id or plans.team_id or team_id
    if format == "csv":
        # A header is latin-1: any other character of an admin-given team id becomes "_".
        filename = f"attendance-{re.sub(r'[^A-Za-z0-9_.-]', '_', team)}-{day}.csv"
        return Response(
            attendance_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return JsonResponse({"team_id": team, "date": day, "items": rows})
