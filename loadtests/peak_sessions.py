"""Remembered sessions of the peak's tablets: one password login per manager, before the timed run.

    .venv/bin/python loadtests/peak_sessions.py                  # BAIFANG_DEMO_MANAGERS accounts
    .venv/bin/python loadtests/peak_sessions.py --concurrency 2

A real tablet logs in with its password once ("remember password") and starts each morning by
refreshing the session it kept, not by hashing the password again. So the morning peak starts the
same way: this script logs every manager in with `remember: true` at a bounded concurrency (argon2
costs tens of milliseconds of gateway CPU per login, so 2,000 logins in the 3-minute ramp alone take
a core), and writes each refresh token to loadtests/reports/peak_sessions.json. Each `Tablet` then
starts with POST /auth/refresh (rotated, one use each), and logs in with its password only when it
has no session. The file is one run's worth: refresh tokens rotate, so `run_peak.sh` writes a new
one before each run. Nothing in the gateway's checks changes.

It also keeps the QR payloads of the first outlets of each manager's plan for today (`--qr-per-tablet`,
6: a tablet reaches about four in ten minutes). Those codes are printed on the outlets and scanned at
the check-in; fetching them through the admin API during the run would add requests that no real
morning makes. A tablet that goes further fetches the rest as before.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import orjson
from bench_ingest import gather_limited, qr_codes_of

from common import API, BASE_URL, JSON_HEADERS, MANAGERS, auth_headers, login_body, workable

SESSIONS = Path(__file__).resolve().parent / "reports" / "peak_sessions.json"


async def remembered(client: httpx.AsyncClient, username: str, qr_per_tablet: int) -> tuple[str, list[str]]:
    """The refresh token of a password login with `remember`, and the customers of the first visits
    on today's list (the ones whose printed codes the tablet will scan first)."""
    resp = await client.post(f"{API}/auth/login", content=login_body(username, remember=True), headers=JSON_HEADERS)
    if resp.status_code != 200:
        raise SystemExit(f"peak_sessions: login as {username} answered {resp.status_code}: {resp.text[:200]}")
    tokens = orjson.loads(resp.content)
    if qr_per_tablet <= 0:
        return str(tokens["refresh_token"]), []
    plan = await client.get(f"{API}/visits?limit=500", headers=auth_headers(tokens["access_token"]))
    if plan.status_code != 200:
        raise SystemExit(f"peak_sessions: GET /visits as {username} answered {plan.status_code}: {plan.text[:200]}")
    visits = [v for v in orjson.loads(plan.content)["items"] if workable(v)]
    return str(tokens["refresh_token"]), [v["customer"]["id"] for v in visits[:qr_per_tablet]]


async def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=BASE_URL, help="the gateway (env BAIFANG_URL)")
    p.add_argument("--out", type=Path, default=SESSIONS, help=f"where to write the tokens (default {SESSIONS})")
    p.add_argument("--concurrency", type=int, default=4, help="logins in flight (default 4)")
    p.add_argument("--qr-per-tablet", type=int, default=6, help="outlets per plan whose QR is kept (default 6)")
    args = p.parse_args(argv)
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=args.url, timeout=60.0) as client:
        answers = await gather_limited(
            [remembered(client, m, args.qr_per_tablet) for m in MANAGERS], limit=args.concurrency
        )
        codes = await qr_codes_of(client, {cid for _, first in answers for cid in first})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sessions = {m: refresh for m, (refresh, _) in zip(MANAGERS, answers, strict=True)}
    args.out.write_text(json.dumps({"sessions": sessions, "qr": codes}))
    print(
        f"peak_sessions: {len(sessions)} sessions and {len(codes)} outlet codes"
        f" in {time.perf_counter() - start:.0f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
