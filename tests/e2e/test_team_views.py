"""Supervisor views through the public API of the running stack: live positions and their stream, a
constructed day's track (out-of-order, resent and late points), attendance in JSON and CSV, and who
may read what.

The constructed day is laid out in metres on the local projection the views use (1° of latitude =
π·6371008.8/180 m, 1° of longitude that times cos(latitude)), so every expected figure is arithmetic
on the layout below, done by hand.
"""

from __future__ import annotations

import csv
import io
import math
import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest

from baifang_common.demo import demo_org
from baifang_common.testing.wait import wait_until
from checkin.demo import ShelfItem, demo_batches
from collection.demo import demo_catalogue, scanner_outlets

pytestmark = pytest.mark.e2e

TZ = ZoneInfo("Asia/Shanghai")
LAT0, LON0 = 31.80, 117.20
KY = math.pi * 6_371_008.8 / 180
KX = KY * math.cos(math.radians(LAT0))
# Team t02 (supervisor s02): accounts the other end-to-end tests do not write for.
DAY_MANAGER, JUMP_MANAGER, LIVE_MANAGER, SUSPECT_MANAGER, OWN_MANAGER = "m017", "m018", "m014", "m015", "m016"
StackRun = Any  # tests/e2e/conftest.py's StackRun (conftest modules are not importable here)


def _yesterday() -> str:
    return (datetime.now(TZ).date() - timedelta(days=1)).isoformat()


def _fix(day: str, clock: str, x_m: float, y_m: float, speed: float = 0.0) -> dict:
    """A fix x metres east and y metres north of (LAT0, LON0), at company-local `clock` of `day`."""
    ts = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=TZ)
    return {
        "lat": LAT0 + y_m / KY,
        "lon": LON0 + x_m / KX,
        "accuracy_m": 8.0,
        "speed_mps": speed,
        "ts": ts.isoformat(),
    }


def _clock(start: str, seconds: int) -> str:
    moment = datetime.fromisoformat(f"2000-01-01T{start}") + timedelta(seconds=seconds)
    return moment.strftime("%H:%M:%S")


def _day_batches(day: str) -> tuple[list[dict], list[dict], list[dict]]:
    """A 09:00-09:10 stay at A (0, 0), east 1200 m to B by 09:20, a stay at B to 09:30; then (batch
    two) a stay at C (1200, 1200) 10:00-10:10; the late batch: 09:40 at B, north 1200 m to C by 09:50.
    Every 30 s; legs of 60 m (2 m/s)."""
    first = [_fix(day, _clock("09:00:00", 30 * i), 0, 0) for i in range(21)]
    first += [_fix(day, _clock("09:10:30", 30 * i), 60 * (i + 1), 0, 2.0) for i in range(20)]
    first += [_fix(day, _clock("09:20:30", 30 * i), 1200, 0) for i in range(20)]
    second = [_fix(day, _clock("10:00:00", 30 * i), 1200, 1200) for i in range(21)]
    late = [_fix(day, "09:40:00", 1200, 0)]
    late += [_fix(day, _clock("09:40:30", 30 * i), 1200, 60 * (i + 1), 2.0) for i in range(20)]
    return first, second, late


def _utc(day: str, clock: str) -> str:
    moment = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=TZ).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _post(client: httpx.Client, points: list[dict], batch_id: str | None = None) -> None:
    headers = {"X-Batch-Id": batch_id or f"views-{uuid.uuid4()}"}
    answer = client.post("/tracks", content=orjson.dumps({"points": points}), headers=headers)
    assert answer.status_code == 200 and answer.json()["rejected"] == [], answer.text


def _track(client: httpx.Client, manager_id: str, day: str, **params) -> dict:
    answer = client.get(f"/team/{manager_id}/track", params={"date": day, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_constructed_day_reads_back_with_its_distance_stops_simplification_and_a_retracted_gap(login) -> None:
    manager, supervisor = login(DAY_MANAGER), login("s02")
    day = _yesterday()
    first, second, late = _day_batches(day)
    shuffled = list(first)
    random.Random(11).shuffle(shuffled)  # out of order within the batch: the views sort by device time
    _post(manager, shuffled)
    _post(manager, first[30:45])  # the same fixes resent under another batch id: read once
    _post(manager, second)

    before = wait_until(
        lambda: (t := _track(supervisor, DAY_MANAGER, day, simplify=0))["raw_count"] == 82 and t["gaps"] and t,
        timeout=20,
        what="the first two batches and their gap",
    )
    assert before["gaps"] == [{"start": _utc(day, "09:30:00"), "end": _utc(day, "10:00:00"), "minutes": 30.0}]
    assert before["distance_m"] == pytest.approx(2400.0, abs=0.5)  # 1200 east, then B to C 1200 north

    _post(manager, list(reversed(late)))  # the late upload fills the gap
    raw = wait_until(
        lambda: (t := _track(supervisor, DAY_MANAGER, day, simplify=0))["raw_count"] == 103 and not t["gaps"] and t,
        timeout=20,
        what="the late batch stored and the gap retracted",
    )
    times = [p["ts"] for p in raw["points"]]
    assert (raw["point_count"], raw["simplified"], raw["jumps_excluded"]) == (103, False, 0)
    assert times == sorted(times) and len(set(times)) == 103
    assert (times[0], times[-1]) == (_utc(day, "09:00:00"), _utc(day, "10:10:00"))
    assert raw["distance_m"] == pytest.approx(2400.0, abs=0.5)
    assert [(s["start"], s["end"], s["duration_s"], s["points"]) for s in raw["stops"]] == [
        (_utc(day, "09:00:00"), _utc(day, "09:10:00"), 600.0, 21),
        (_utc(day, "09:20:00"), _utc(day, "09:40:00"), 1200.0, 22),
        (_utc(day, "09:50:00"), _utc(day, "10:10:00"), 1200.0, 22),
    ]
    b_stop = raw["stops"][1]
    assert (b_stop["lat"], b_stop["lon"]) == (pytest.approx(LAT0), pytest.approx(LON0 + 1200 / KX))

    line = _track(supervisor, DAY_MANAGER, day)  # simplified by default (10 m): A, the corner B, C
    assert (line["simplified"], line["tolerance_m"], line["raw_count"], line["point_count"]) == (True, 10.0, 103, 3)
    assert [p["ts"] for p in line["points"]] == [_utc(day, c) for c in ("09:00:00", "09:20:00", "10:10:00")]
    assert line["distance_m"] == raw["distance_m"] and line["stops"] == raw["stops"]

    attendance = supervisor.get("/team/attendance", params={"date": day}).json()
    row = next(r for r in attendance["items"] if r["manager_id"] == DAY_MANAGER)
    assert (row["first_activity"], row["last_activity"]) == (_utc(day, "09:00:00"), _utc(day, "10:10:00"))
    assert (row["time_in_field_s"], row["distance_m"], row["gaps"], row["gap_minutes"]) == (4200.0, 2400.0, [], 0.0)
    progress = supervisor.get("/team/progress", params={"date": day, "limit": 100}).json()["items"]
    planned = next((p for p in progress if p["manager_id"] == DAY_MANAGER), None)
    if planned is not None:
        assert (row["visits"]["planned"], row["visits"]["done"]) == (
            planned["planned_customers"],
            planned["completed_customers"],
        )


def test_an_impossible_jump_is_left_out_of_the_distance(login) -> None:
    manager, supervisor = login(JUMP_MANAGER), login("s02")
    day = _yesterday()
    line = [_fix(day, _clock("11:00:00", 30 * i), 60 * i, 0, 2.0) for i in range(10)]  # 9 legs of 60 m
    glitch = _fix(day, "11:02:15", 300, 5000)  # 5 km off for one fix, 15 s after the 11:02:00 fix
    _post(manager, [*line, glitch])
    track = wait_until(
        lambda: (t := _track(supervisor, JUMP_MANAGER, day, simplify=0))["raw_count"] == 11 and t,
        timeout=20,
        what="the jump day",
    )
    assert (track["distance_m"], track["jumps_excluded"]) == (pytest.approx(540.0, abs=0.5), 1)


def _outlet(manager: httpx.Client, admin: httpx.Client) -> tuple[str, dict]:
    visits = [
        v for v in manager.get("/visits").json()["items"] if v["method"] == "on_site" and v["status"] == "planned"
    ]
    assert visits, "the manager has no planned on-site visit today"
    customer = visits[0]["customer"]
    return admin.get(f"/admin/customers/{customer['id']}/qr").json()["qr"], customer


def _checkin(manager: httpx.Client, qr: str, where: dict, **extra) -> dict:
    body = {"op_id": str(uuid.uuid4()), "qr": qr, "accuracy_m": 10.0, "client_ts": datetime.now(TZ).isoformat()}
    answer = manager.post("/checkins", json={**body, "lat": where["lat"], "lon": where["lon"], **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _here(where: dict, seconds_ago: int = 0) -> dict:
    ts = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return {"lat": where["lat"], "lon": where["lon"], "accuracy_m": 6.0, "speed_mps": 0.5, "ts": ts.isoformat()}


def test_live_positions_show_the_newest_fix_and_the_current_visit_and_attendance_flags_suspect_checkins(
    login,
) -> None:
    admin, supervisor = login("admin"), login("s02")
    live, suspect = login(LIVE_MANAGER), login(SUSPECT_MANAGER)
    qr, outlet = _outlet(live, admin)
    where = outlet["location"]
    _post(live, [_here(where, 20), _here(where, 5)])
    done = _checkin(live, qr, where)
    assert done["verdict"] == "ok"

    def member() -> dict | None:
        items = supervisor.get("/team/positions").json()["items"]
        found = next((i for i in items if i["manager_id"] == LIVE_MANAGER), None)
        return found if found and found["visit"] and found["visit"]["checkin_id"] == done["checkin_id"] else None

    item = wait_until(member, timeout=20, what="the live position with its visit")
    assert (item["lat"], item["lon"]) == (pytest.approx(where["lat"]), pytest.approx(where["lon"]))
    assert (item["accuracy_m"], item["speed_mps"], type(item["stale"])) == (6.0, 0.5, bool)
    assert 0 <= item["age_s"] < 3600
    assert (item["visit"]["customer_id"], item["visit"]["verdict"]) == (outlet["id"], "ok")
    admin_view = admin.get("/team/positions", params={"team_id": "t02"}).json()
    assert LIVE_MANAGER in {i["manager_id"] for i in admin_view["items"]} and admin_view["team_id"] == "t02"

    s_qr, s_outlet = _outlet(suspect, admin)
    # P-003-4: an appointment two minutes from now; a check-in now is later than it minus 5 minutes.
    soon = (datetime.now(TZ) + timedelta(minutes=2)).isoformat()
    booking = {"op_id": str(uuid.uuid4()), "customer_id": s_outlet["id"], "scheduled_at": soon}
    booked = suspect.post("/appointments", json={**booking, "duration_min": 30, "purpose": "stock check"})
    assert booked.status_code == 201, booked.text
    _checkin(suspect, s_qr, s_outlet["location"], mock_location=True)
    today = datetime.now(TZ).date().isoformat()

    def rows() -> dict | None:
        items = supervisor.get("/team/attendance", params={"date": today}).json()["items"]
        by_manager = {r["manager_id"]: r for r in items}
        ready = LIVE_MANAGER in by_manager and by_manager.get(SUSPECT_MANAGER, {}).get("suspect_checkins")
        return by_manager if ready else None

    by_manager = wait_until(rows, timeout=20, what="today's attendance")
    (flagged,) = by_manager[SUSPECT_MANAGER]["suspect_checkins"]
    assert (flagged["verdict"], flagged["verdict_reason"], flagged["customer_id"]) == (
        "suspect",
        "mock_location",
        s_outlet["id"],
    )
    assert by_manager[LIVE_MANAGER]["suspect_checkins"] == [] and by_manager[LIVE_MANAGER]["checkins"] >= 1
    assert (by_manager[SUSPECT_MANAGER]["visits"]["late"], by_manager[LIVE_MANAGER]["visits"]["late"]) == (1, 0)

    exported = supervisor.get("/team/attendance", params={"date": today, "format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    line = next(r for r in table if r["manager_id"] == SUSPECT_MANAGER)
    assert (line["suspect_checkins"], line["suspect_reasons"], line["late"]) == ("1", "mock_location", "1")

    track = _track(live, LIVE_MANAGER, today)  # a manager reads their own track
    (checkin,) = [c for c in track["checkins"] if c["checkin_id"] == done["checkin_id"]]
    assert (checkin["verdict"], checkin["customer_id"], checkin["late"]) == ("ok", outlet["id"], False)


def test_the_stream_pushes_a_new_position_to_a_connected_supervisor(login, stack: str) -> None:
    supervisor, manager = login("s02"), login(LIVE_MANAGER)
    token = supervisor.headers["Authorization"].removeprefix("Bearer ")
    url = f"{stack}/api/v1/team/positions/stream"
    where = {"lat": LAT0 + 0.01, "lon": LON0 + 0.01}
    with httpx.stream("GET", url, params={"access_token": token}, timeout=20) as events:
        assert events.status_code == 200 and events.headers["content-type"].startswith("text/event-stream")
        lines = events.iter_lines()
        kinds = []
        for line in lines:
            if line.startswith("event: "):
                kinds.append(line.removeprefix("event: "))
            if kinds == ["snapshot"] and line.startswith("data: "):
                break
        _post(manager, [_here(where)])
        pushed = None
        for line in lines:
            if line.startswith("data: ") and kinds[-1] == "position":
                data = orjson.loads(line.removeprefix("data: "))
                if data["manager_id"] == LIVE_MANAGER and data["lat"] == pytest.approx(where["lat"]):
                    pushed = data
                    break
            if line.startswith("event: "):
                kinds.append(line.removeprefix("event: "))
    assert pushed is not None and pushed["lon"] == pytest.approx(where["lon"])

    refused = httpx.get(url, params={"access_token": login(LIVE_MANAGER).headers["Authorization"][7:]}, timeout=10)
    assert refused.status_code == 403
    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(url, params={"access_token": "not-a-token"}, timeout=10).status_code == 401


def test_who_may_read_which_view(login) -> None:
    day = _yesterday()
    manager, other_team_lead, admin = login(OWN_MANAGER), login("s01"), login("admin")
    _post(manager, [_fix(day, "18:00:00", 0, 0)])
    wait_until(lambda: _track(admin, OWN_MANAGER, day, simplify=0)["raw_count"] > 0, timeout=20, what="a fix")
    assert manager.get(f"/team/{OWN_MANAGER}/track", params={"date": day}).status_code == 200
    assert manager.get(f"/team/{DAY_MANAGER}/track", params={"date": day}).status_code == 403
    assert other_team_lead.get(f"/team/{OWN_MANAGER}/track", params={"date": day}).status_code == 403
    for path in ("/team/positions", "/team/attendance"):
        assert manager.get(path).status_code == 403
        assert other_team_lead.get(path, params={"team_id": "t02"}).status_code == 403
        assert admin.get(path).status_code == 400  # an admin names the team
    assert other_team_lead.get("/team/attendance", params={"date": "2025-13-01"}).status_code == 400
    assert admin.get(f"/team/{OWN_MANAGER}/track", params={"date": day, "tolerance_m": 0}).status_code == 400


def test_the_seeded_indicators_show_each_managers_targets_against_the_orders(login) -> None:
    """The demo targets (analytics' seed) against the demo orders of last month, complete in the seed."""
    month = (datetime.now(TZ).date().replace(day=1) - timedelta(days=1)).isoformat()[:7]
    report = login("s01").get("/indicators", params={"period": "month", "month": month})
    assert report.status_code == 200, report.text
    body = report.json()
    assert [t["team_id"] for t in body["teams"]] == ["t01"] and len(body["managers"]) == 10
    for manager in body["managers"]:
        volume = manager["volume"]
        assert manager["has_target"] and volume["target"] > 0 and volume["actual"] > 0, manager
        assert volume["deviation"] == volume["actual"] - volume["target"]
        assert manager["value_per_carton_fen"]["actual"] > 0
    assert body["totals"]["volume"]["actual"] == sum(m["volume"]["actual"] for m in body["managers"])
    week = login(OWN_MANAGER).get("/indicators", params={"period": "week"})
    assert week.status_code == 200 and [m["manager_id"] for m in week.json()["managers"]] == [OWN_MANAGER], week.text


def _uploaded_sales(stack_run: StackRun, team_managers: int) -> tuple[date, Counter[tuple[str, str]]]:
    """The demo's sales (packs) per (outlet, company date) of team t01's scanners that the seed had
    uploaded for sure: those sent before it started (checkin/demo.py, the same generator)."""
    seeded_on, (managers, customers) = stack_run.seeded_at.astimezone(TZ).date(), stack_run.demo
    shelf = [ShelfItem(s.sku, s.ref_pack_price_fen, s.ref_carton_price_fen) for s in demo_catalogue() if s.active]
    team = {f"cu{n:06d}" for n in range(1, customers + 1) if (n - 1) % managers < team_managers}
    scanners = [c for c in scanner_outlets(customers, demo_org(managers=managers), seeded_on) if c in team]
    sold: Counter[tuple[str, str]] = Counter()
    for event in demo_batches(scanners, shelf, today=seeded_on, now=stack_run.seeded_at, timezone=TZ.key):
        day = datetime.strptime(event.batch_id.split("-")[2], "%Y%m%d").date().isoformat()
        sold[event.customer_id, day] += sum(s["qty"] for s in event.scans if s["kind"] == "sale")
    return seeded_on, sold


def test_the_seeded_retail_scans_show_in_the_scan_views(login, stack_run: StackRun) -> None:
    """The demo's retail scans (checkin's seed, through scan.batch_accepted into analytics) for team t01:
    yesterday's and today's sales per outlet at least what the seed uploaded (other tests add scans),
    non-zero; a scanning outlet's real-time stock (never negative: nothing is sold off an empty shelf)
    and its profit over the month of its delivery (sold above the wholesale price)."""
    seeded_on, sold = _uploaded_sales(stack_run, team_managers=10)
    supervisor, admin = login("s01"), login("admin")
    yesterday_of = (seeded_on - timedelta(days=1)).isoformat()
    for path, day in (("/scans/yesterday", yesterday_of), ("/scans/live", seeded_on.isoformat())):
        answer = supervisor.get(path, params={"limit": 500})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["date"] == day and body["next_cursor"] is None
        shown = {row["customer_id"]: row["sold_qty"] for row in body["items"]}
        expected = {cid: qty for (cid, on), qty in sold.items() if on == day and qty}
        assert all(shown.get(cid, 0) >= qty for cid, qty in expected.items()), (path, expected, shown)
        assert sum(shown.values()) >= sum(expected.values())
    assert sum(qty for (_, on), qty in sold.items() if on == yesterday_of) > 0
    yesterday = supervisor.get("/scans/yesterday", params={"limit": 500}).json()
    assert yesterday["sold_qty"] > 0 and yesterday["sold_amount"] > 0 and yesterday["total_items"] > 0
    assert admin.get("/scans/yesterday").json()["silent_outlets"]  # scanners gone quiet after their delivery

    outlet = max(yesterday["items"], key=lambda row: row["sold_qty"])["customer_id"]
    stock = supervisor.get("/stock/live", params={"customer_id": outlet})
    assert stock.status_code == 200, stock.text
    demo_skus = [row for row in stock.json()["items"] if row["sku"].startswith("SKU")]  # other tests scan sku-1
    assert demo_skus and all(row["stock"] >= 0 for row in demo_skus)
    assert sum(row["bought_qty"] for row in stock.json()["items"]) > 0
    delivered = (seeded_on - timedelta(days=2)).isoformat()[:7]  # the demo's delivery: the day before yesterday
    profit = supervisor.get("/profit/current", params={"customer_id": outlet, "month": delivered})
    assert profit.status_code == 200, profit.text
    assert profit.json()["revenue"] > 0 and profit.json()["profit"] > 0
