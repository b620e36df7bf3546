"""The morning peak: thousands of account managers' tablets start their day at once.

A `Tablet` is signed in as its own manager (`make seed-peak` creates one per tablet: m001..m2000,
BAIFANG_DEMO_MANAGERS; with fewer accounts than tablets, tablets share them), fetches today's
visit list, and then ticks every 10 s. It starts as a real tablet starts its day: by refreshing
the session it remembered (loadtests/peak_sessions.py logs every manager in once before the run;
the first tablet of each account takes that session), and logs in with the password only when it
has none. So the ramp does not hash 2,000 passwords in 3 minutes, which no real morning does.
Every tick sends the GPS fixes buffered since the previous one;
the task picked for the tick adds at most one piece of visit work: check in at the next
outlet of the plan, tick a basic task, complete the visit, or now and then upload an
offline batch that also replays an operation already sent.

What counts as a failure (the run must end with none):
* transport errors, timeouts, any 5xx, 429 and 503, and 401/403/404/422: every id and QR
  comes from the API itself, so none of these is a legitimate answer;
* a 2xx whose body breaks the contract (no checkin_id, the wrong customer, accepted +
  rejected != points sent, a point rejected for anything but being a duplicate, a sync
  result missing, a replayed op not answered `duplicate`);
* a 409 other than the plan-state conflicts of `common.EXPECTED_CONFLICTS`.
Those plan-state 409s (another tablet of the same account completed the visit, the
outlet left today's list) are successes recorded under their own name, e.g.
`POST /api/v1/checkins [409 visit_closed]`, so they stay visible without counting as failures.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from typing import Any

import gevent.lock
import orjson
from locust import FastHttpUser, constant_pacing, task

from common import (
    ADMIN,
    API,
    CITY_CENTER,
    EXPECTED_CONFLICTS,
    JSON_HEADERS,
    MANAGERS,
    MAX_TRACK_POINTS,
    GpsWalk,
    auth_headers,
    basic_open_tasks,
    checkin_body,
    error_code,
    jitter,
    location_of,
    login_body,
    manager_for,
    offline_completion_ops,
    offline_visit_ops,
    workable,
    write_body,
)

GPS_PERIOD_S = float(os.environ.get("PEAK_GPS_SECONDS", "10"))  # one POST /tracks per tablet every 10 s
FIX_SECONDS = float(os.environ.get("PEAK_FIX_SECONDS", "2"))  # a GPS fix every 2 s → ~5 points per batch
# Per 10-s tick: 60 GPS only, 24 one step of visit work, 1 offline upload. A visit is about five
# steps (check-in, 2-4 tasks, completion), so a tablet checks in every ~3 minutes and syncs
# every ~14 minutes.
W_TRACK, W_VISIT, W_SYNC = 60, 24, 1

N_LOGIN = f"POST {API}/auth/login"
N_REFRESH = f"POST {API}/auth/refresh"
N_VISITS = f"GET {API}/visits"
N_VISIT = f"GET {API}/visits/{{visit_id}}"
N_QR = f"GET {API}/admin/customers/{{customer_id}}/qr"
N_TRACKS = f"POST {API}/tracks"
N_CHECKIN = f"POST {API}/checkins"
N_TASK = f"POST {API}/visits/{{visit_id}}/tasks/{{task_id}}/complete"
N_COMPLETE = f"POST {API}/visits/{{visit_id}}/complete"
N_SYNC = f"POST {API}/sync"

_tablet_numbers = itertools.count()
SESSIONS_FILE = os.environ.get(
    "PEAK_SESSIONS_FILE", os.path.join(os.path.dirname(os.path.dirname(__file__)), "reports", "peak_sessions.json")
)


def _remembered() -> tuple[dict[str, str], dict[str, str]]:
    """Refresh tokens by username and the outlets' printed QR codes, from peak_sessions.py; none when it
    was not run."""
    try:
        with open(SESSIONS_FILE, encoding="utf-8") as f:
            data = json.load(f)
        return dict(data["sessions"]), dict(data["qr"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}, {}


class _ProcessState:
    """Shared by the tablets of one locust process: one admin token, and QR payloads (static per outlet)."""

    def __init__(self) -> None:
        self.admin_token = ""
        self.admin_lock = gevent.lock.Semaphore()
        # Each remembered session is handed out once (refresh tokens rotate: a second use is a replay).
        self.sessions, self.qr = _remembered()
        self.qr_locks: dict[str, gevent.lock.Semaphore] = {}


_shared = _ProcessState()


def _short(text: str | None, limit: int = 160) -> str:
    return (text or "").replace("\n", " ")[:limit]


def _result_code(result: dict[str, Any]) -> str | None:
    if result.get("error_code"):
        return str(result["error_code"])
    err = result.get("error")
    if isinstance(err, dict):
        return err.get("code")
    return err if isinstance(err, str) else None


class Tablet(FastHttpUser):
    """One account manager's tablet during the morning peak."""

    wait_time = constant_pacing(GPS_PERIOD_S)
    network_timeout = 30.0
    connection_timeout = 10.0

    # --- lifecycle ------------------------------------------------------------------------

    def on_start(self) -> None:
        self.number = next(_tablet_numbers)
        self.username = manager_for(self.number)
        self.address = f"10.{self.number >> 16 & 255}.{self.number >> 8 & 255}.{self.number & 255}"
        self.rng = random.Random()
        self.token = ""
        self.refresh_token = _shared.sessions.pop(self.username, "")
        self.token_expires = 0.0
        self.plan: list[dict[str, Any]] = []
        self.plan_loaded = False
        self.cursor = 0
        self.visit: dict[str, Any] | None = None  # checked in and being worked
        self.open_tasks: list[str] = []
        self.pending: list[dict[str, Any]] = []  # GPS fixes not yet acknowledged
        self.synced: list[dict[str, Any]] = []  # ops applied through /sync: candidates for a replay
        lat, lon = jitter(*CITY_CENTER, 8_000.0, self.rng)
        self.walk = GpsWalk(lat, lon, self.rng, fix_seconds=FIX_SECONDS)
        self.walk.last_fix -= self.rng.uniform(0, GPS_PERIOD_S)
        if self._ensure_session():
            self._load_plan()

    def _ensure_session(self) -> bool:
        """Refresh the remembered session (at start, or a token about to expire), else log in (no session
        or after a 401); False when it failed."""
        if self.token and time.time() < self.token_expires - 60:
            return True
        if self.refresh_token:
            body = orjson.dumps({"refresh_token": self.refresh_token})
            with self.client.post(
                f"{API}/auth/refresh", data=body, headers=self._headers(), name=N_REFRESH, catch_response=True
            ) as resp:
                if resp.status_code == 200 and self._take_tokens(resp):
                    resp.success()
                    return True
                resp.failure(f"{resp.status_code} {_short(resp.text)}")
                if resp.status_code != 401:
                    return False  # no answer or a busy gateway: the session may still be good, try next tick
                self.refresh_token = ""
        with self.client.post(
            f"{API}/auth/login",
            data=login_body(self.username, remember=True),
            headers=self._headers(),
            name=N_LOGIN,
            catch_response=True,
        ) as resp:
            if resp.status_code == 200 and self._take_tokens(resp):
                resp.success()
                return True
            resp.failure(f"{resp.status_code} {_short(resp.text)}")
            self.token = ""
            return False

    def _headers(self, token: str = "") -> dict[str, str]:
        """JSON headers with the token, from this tablet's own address (the gateway trusts X-Forwarded-For
        from loopback, as it does from its proxy): the per-address login throttle sees 2,000 tablets, not one."""
        return {**(auth_headers(token) if token else JSON_HEADERS), "X-Forwarded-For": self.address}

    def _take_tokens(self, resp: Any) -> bool:
        try:
            data = orjson.loads(resp.content)
            self.token = data["access_token"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return False
        self.refresh_token = data.get("refresh_token") or self.refresh_token
        self.token_expires = time.time() + float(data.get("expires_in", 900))
        return True

    def _load_plan(self) -> None:
        with self.client.get(
            f"{API}/visits?limit=500", headers=self._headers(self.token), name=N_VISITS, catch_response=True
        ) as resp:
            if self._judge(resp, (200,)) != "ok":
                return
            try:
                items = orjson.loads(resp.content)["items"]
            except (orjson.JSONDecodeError, KeyError, TypeError):
                resp.failure(f"not a visit list: {_short(resp.text)}")
                return
        self.plan = [v for v in items if workable(v)]
        self.plan_loaded = True
        if not self.plan:
            return
        # Tablets sharing an account start at different outlets so that they spread over its plan.
        self.cursor = (self.number // len(MANAGERS)) % len(self.plan)
        lat, lon = location_of(self.plan[self.cursor]["customer"])
        self.walk.jump_to(*jitter(lat, lon, 800.0, self.rng))
        self.walk.head_to(lat, lon)
        # The QR payload of an outlet is fetched at its check-in (in real life the tablet scans
        # the printed code there), not all at start: 2,000 tablets would send 30,000 at once.

    # --- the answers ------------------------------------------------------------------------

    def _judge(self, resp: Any, ok: tuple[int, ...], *, own_token: bool = True) -> str:
        """'ok', 'expected' (a plan-state 409, recorded under its own name) or 'failed'; marks resp."""
        if resp.status_code in ok:
            resp.success()
            return "ok"
        code = error_code(resp.content)
        if resp.status_code == 409 and code in EXPECTED_CONFLICTS:
            resp.request_meta["name"] = f"{resp.request_meta['name']} [409 {code}]"
            resp.success()
            return "expected"
        if resp.status_code == 401 and own_token:
            self.token = ""  # log in again on the next tick
        resp.failure(f"{resp.status_code} {code or ''} {_short(resp.text)}".strip())
        return "failed"

    def _post(self, path: str, body: dict[str, Any], name: str) -> Any:
        return self.client.post(
            path, data=orjson.dumps(body), headers=self._headers(self.token), name=name, catch_response=True
        )

    # --- admin (QR payloads) ----------------------------------------------------------------

    def _admin_token(self) -> str:
        with _shared.admin_lock:
            if _shared.admin_token:
                return _shared.admin_token
            with self.client.post(
                f"{API}/auth/login",
                data=login_body(ADMIN),
                headers=self._headers(),
                name=f"{N_LOGIN} [admin]",
                catch_response=True,
            ) as resp:
                try:
                    _shared.admin_token = orjson.loads(resp.content)["access_token"] if resp.status_code == 200 else ""
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    _shared.admin_token = ""
                if _shared.admin_token:
                    resp.success()
                else:
                    resp.failure(f"admin login: {resp.status_code} {_short(resp.text)}")
            return _shared.admin_token

    def _qr(self, customer_id: str) -> str | None:
        if customer_id in _shared.qr:
            return _shared.qr[customer_id]
        lock = _shared.qr_locks.setdefault(customer_id, gevent.lock.Semaphore())
        with lock:
            if customer_id in _shared.qr:
                return _shared.qr[customer_id]
            token = self._admin_token()
            if not token:
                return None
            with self.client.get(
                f"{API}/admin/customers/{customer_id}/qr", headers=self._headers(token), name=N_QR, catch_response=True
            ) as resp:
                if resp.status_code == 401:
                    _shared.admin_token = ""
                if self._judge(resp, (200,), own_token=False) != "ok":
                    return None
                try:
                    _shared.qr[customer_id] = orjson.loads(resp.content)["qr"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    resp.failure(f"no qr in {_short(resp.text)}")
                    return None
        return _shared.qr[customer_id]

    # --- GPS ----------------------------------------------------------------------------------

    def _send_gps(self) -> None:
        self.pending.extend(self.walk.fixes_until())
        self.pending = self.pending[-MAX_TRACK_POINTS:]  # the tablet's buffer keeps the newest fixes
        if not self.pending:
            return
        sent = len(self.pending)
        with self._post(f"{API}/tracks", {"points": self.pending}, N_TRACKS) as resp:
            if self._judge(resp, (200, 201, 202)) != "ok":
                return  # keep the buffer: the device resends until a 2xx
            self.pending = []
            try:
                data = orjson.loads(resp.content)
                accepted, rejected = int(data["accepted"]), list(data.get("rejected") or [])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                resp.failure(f"not a track answer: {_short(resp.text)}")
                return
            odd = [r for r in rejected if "duplicate" not in str(r.get("reason", ""))]
            if accepted + len(rejected) != sent:
                resp.failure(f"accepted {accepted} + rejected {len(rejected)} != {sent} sent")
            elif odd:
                resp.failure(f"valid points rejected: {odd[:3]}")

    # --- the plan -----------------------------------------------------------------------------

    def _next_visit(self) -> dict[str, Any] | None:
        if not self.plan:
            return None
        visit = self.plan[self.cursor % len(self.plan)]
        self.cursor += 1
        return visit

    def _head_to_next(self) -> None:
        if self.plan:
            self.walk.head_to(*location_of(self.plan[self.cursor % len(self.plan)]["customer"]))

    def _visit_tasks(self, visit_id: str) -> list[str] | None:
        with self.client.get(
            f"{API}/visits/{visit_id}", headers=self._headers(self.token), name=N_VISIT, catch_response=True
        ) as resp:
            if self._judge(resp, (200,)) != "ok":
                return None
            try:
                return basic_open_tasks(orjson.loads(resp.content))
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
                resp.failure(f"not a visit: {_short(resp.text)}")
                return None

    def _check_in(self) -> None:
        visit = self._next_visit()
        if visit is None:
            return
        customer = visit["customer"]
        qr = self._qr(customer["id"])
        if qr is None:
            return
        lat, lon = location_of(customer)
        self.walk.jump_to(*jitter(lat, lon, 20.0, self.rng))  # arrived: the walk headed here since the last visit
        with self._post(f"{API}/checkins", checkin_body(qr, lat, lon, self.rng), N_CHECKIN) as resp:
            if self._judge(resp, (201,)) != "ok":
                return
            try:
                data = orjson.loads(resp.content)
                ok = bool(data["checkin_id"]) and data["customer_id"] == customer["id"]
            except (orjson.JSONDecodeError, KeyError, TypeError):
                ok = False
            if not ok:
                resp.failure(f"check-in answer for {customer['id']}: {_short(resp.text)}")
                return
        tasks = self._visit_tasks(visit["visit_id"])
        if tasks is not None:
            self.visit, self.open_tasks = visit, tasks

    def _work(self) -> None:
        """One step of the current visit: tick the next basic task, or complete the visit."""
        assert self.visit is not None
        visit_id = self.visit["visit_id"]
        if self.open_tasks:
            task_id = self.open_tasks.pop(0)
            path = f"{API}/visits/{visit_id}/tasks/{task_id}/complete"
            with self._post(path, write_body(note=""), N_TASK) as resp:
                if self._judge(resp, (200, 201)) == "expected":
                    self.open_tasks = []
            return
        with self._post(f"{API}/visits/{visit_id}/complete", write_body(summary="客户经营正常"), N_COMPLETE) as resp:
            self._judge(resp, (200, 201))
        self.visit = None
        self._head_to_next()

    # --- the tasks (one per 10-s tick) --------------------------------------------------------

    def _tick(self) -> bool:
        if not self._ensure_session():
            return False
        if not self.plan_loaded:
            self._load_plan()
        self._send_gps()
        return True

    @task(W_TRACK)
    def track(self) -> None:
        """A tick with nothing but GPS."""
        self._tick()

    @task(W_VISIT)
    def visit_step(self) -> None:
        """GPS, then the next step at the outlets: check in at the next one, tick a task, or complete."""
        if not self._tick():
            return
        if self.visit is None:
            self._check_in()
        else:
            self._work()

    @task(W_SYNC)
    def replay_offline(self) -> None:
        """GPS, then an offline batch: one visit's work done without signal, plus a replayed op."""
        if not self._tick() or not self.plan:
            return
        if self.visit is not None:  # the signal dropped in the middle of the current visit
            ops = offline_completion_ops(self.visit["visit_id"], self.open_tasks, self.rng)
            self.visit, self.open_tasks = None, []
        else:
            visit = self._next_visit()
            assert visit is not None
            qr = self._qr(visit["customer"]["id"])
            tasks = self._visit_tasks(visit["visit_id"])  # the tablet cached the visit while online
            if qr is None or tasks is None:
                return
            ops = offline_visit_ops(visit["visit_id"], qr, location_of(visit["customer"]), tasks, self.rng)
        self._head_to_next()
        replay = self.rng.choice(self.synced) if self.synced else None
        applied = self._sync(ops, replay)
        if replay is None and applied:
            # The first upload of this tablet: its answer is "lost" and one op goes up again.
            self._sync([], self.rng.choice(applied))

    def _sync(self, ops: list[dict[str, Any]], replay: dict[str, Any] | None) -> list[dict[str, Any]]:
        """POST /sync; returns the fresh ops applied (replay candidates). Judges every per-op result."""
        batch = ops + ([replay] if replay else [])
        with self._post(f"{API}/sync", {"ops": batch}, N_SYNC) as resp:
            if self._judge(resp, (200, 201)) != "ok":
                return []
            try:
                results = {r["op_id"]: r for r in orjson.loads(resp.content)["results"]}
            except (orjson.JSONDecodeError, KeyError, TypeError):
                resp.failure(f"not a sync answer: {_short(resp.text)}")
                return []
            problems: list[str] = []
            applied: list[dict[str, Any]] = []
            for op in ops:
                result = results.get(op["op_id"])
                if result is None:
                    problems.append(f"{op['type']}: no result")
                elif result.get("status") == "applied":
                    applied.append(op)
                elif result.get("status") == "duplicate":
                    continue  # another tablet of the account did the same work
                elif result.get("status") == "rejected" and _result_code(result) in EXPECTED_CONFLICTS:
                    continue
                else:
                    problems.append(f"{op['type']}: {result.get('status')} {_result_code(result) or ''}")
            if replay is not None:
                status = (results.get(replay["op_id"]) or {}).get("status")
                if status != "duplicate":
                    problems.append(f"replayed {replay['type']} answered {status}, not duplicate")
            if problems:
                resp.failure("; ".join(problems)[:300])
            self.synced = (self.synced + applied)[-20:]
            return applied
