"""The supervisor console in a real browser: headless Chromium from Debian's `chromium` package, driven by
Playwright (no browser download), against the running stack. Screenshots of every step are kept under
var/test-artifacts/console/. Team t01 (s01) is used with managers no other module moves: m008 and m009.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from baifang_common.testing.wait import wait_until

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "console"
CHROMIUM = os.environ.get("BAIFANG_CHROMIUM", "/usr/bin/chromium")
PASSWORD = os.environ.get("BAIFANG_DEMO_PASSWORD", "baifang-demo")
MOVER, REPLAYED = "m008", "m009"
# Where the two managers are: Hefei, a few hundred metres apart.
HOME = {MOVER: (31.8200, 117.2300), REPLAYED: (31.8300, 117.2400)}
WAIT_MS = 15_000
# Map tiles (the configured OpenStreetMap URL): refused, as when no tile server is reachable.
TILES = "**/tile.openstreetmap.org/**"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; a machine without it fails here, loudly (never a skip)."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package (scripts/bootstrap.sh does) "
            "or point BAIFANG_CHROMIUM at a Chromium binary"
        )
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, stack: str) -> Iterator[Page]:
    """A tablet-sized page with no tile server reachable: tiles are refused, the points must still show."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=stack)
    context.route(TILES, lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()


def shot(page: Page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, username: str) -> None:
    page.goto("/console/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")


def fix(lat: float, lon: float, at: datetime) -> dict[str, Any]:
    return {"lat": lat, "lon": lon, "accuracy_m": 6.0, "speed_mps": 0.0, "ts": at.isoformat()}


def post_points(manager: httpx.Client, points: list[dict[str, Any]]) -> None:
    answer = manager.post("/tracks", json={"points": points}, headers={"X-Batch-Id": f"console-{uuid.uuid4()}"})
    assert answer.status_code == 200 and answer.json()["accepted"] == len(points), answer.text


def member_marker(page: Page, manager_id: str) -> Any:
    return page.locator(f'.member-icon[data-manager="{manager_id}"]')


def test_a_lead_sees_the_team_and_a_marker_moves_live(page: Page, login: Callable[[str], httpx.Client]) -> None:
    now = datetime.now(UTC)
    for manager_id, (lat, lon) in HOME.items():
        post_points(login(manager_id), [fix(lat, lon, now - timedelta(seconds=30))])
    lead = login("s01")
    wait_until(
        lambda: {m["manager_id"] for m in lead.get("/team/positions").json()["items"]} >= set(HOME),
        timeout=30,
        what="both fixes in the team's positions",
    )

    page.goto("/console/")
    shot(page, "01-login")
    log_in(page, "s01")
    for manager_id in HOME:
        expect(member_marker(page, manager_id)).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#progress tbody tr")).to_have_count(10, timeout=WAIT_MS)  # m001-m010
    expect(page.locator("path.outlet-dot").first).to_be_attached(timeout=WAIT_MS)
    expect(page.locator("#stream-state")).to_have_text("live", timeout=WAIT_MS)
    shot(page, "02-team-markers")

    moved = (31.8250, 117.2350)
    before = member_marker(page, MOVER).get_attribute("style")
    post_points(login(MOVER), [fix(*moved, datetime.now(UTC))])
    expect(member_marker(page, MOVER)).to_have_attribute("data-lat", str(moved[0]), timeout=WAIT_MS)
    expect(member_marker(page, MOVER)).to_have_attribute("data-lon", str(moved[1]), timeout=WAIT_MS)
    assert member_marker(page, MOVER).get_attribute("style") != before  # the marker itself moved on the map
    shot(page, "03-marker-moved")

    page.click("button[data-tab=progress]")
    expect(page.locator(f'#progress tr[data-manager="{MOVER}"]')).to_be_visible()
    page.click("button[data-tab=attendance]")
    expect(page.locator("#attendance tbody tr").first).to_be_visible(timeout=WAIT_MS)
    with page.expect_download() as download:
        page.click("#attendance-csv")
    assert download.value.suggested_filename.endswith(".csv")
    shot(page, "04-attendance")


def _replayed_day(login: Callable[[str], httpx.Client]) -> dict[str, Any]:
    """REPLAYED's last minutes: a 6-minute stop at the first planned outlet with a check-in there, then a walk
    (within the company's day unless the test runs in its first 11 minutes)."""
    manager, admin = login(REPLAYED), login("admin")
    outlet = next(v["customer"] for v in manager.get("/visits").json()["items"] if v["customer"]["location"])
    lat, lon = outlet["location"]["lat"], outlet["location"]["lon"]
    start = datetime.now(UTC) - timedelta(minutes=11)
    stop = [fix(lat, lon, start + timedelta(seconds=30 * i)) for i in range(13)]  # 6 minutes standing
    walk_start = start + timedelta(minutes=6)
    walk = [fix(lat + 0.0005 * i, lon + 0.0005 * i, walk_start + timedelta(seconds=30 * i)) for i in range(1, 9)]
    post_points(manager, stop + walk)
    qr = admin.get(f"/admin/customers/{outlet['id']}/qr").json()["qr"]
    checkin = manager.post(
        "/checkins",
        json={
            "op_id": str(uuid.uuid4()),
            "qr": qr,
            "lat": lat,
            "lon": lon,
            "accuracy_m": 6.0,
            "client_ts": (start + timedelta(minutes=2)).isoformat(),
        },
    )
    assert checkin.status_code in (200, 201), checkin.text
    track: dict[str, Any] = {}

    def stored() -> bool:
        track.update(login("s01").get(f"/team/{REPLAYED}/track").json())
        return bool(track.get("stops")) and bool(track.get("checkins"))

    wait_until(stored, timeout=30, what="the replayed day's stop and check-in in the track view")
    return track


def test_a_lead_replays_a_managers_day(page: Page, login: Callable[[str], httpx.Client]) -> None:
    track = _replayed_day(login)
    log_in(page, "s01")
    row = page.locator(f'#positions tr[data-manager="{REPLAYED}"]')
    expect(row).to_be_visible(timeout=WAIT_MS)
    row.locator(".replay-button").click()
    expect(page.locator("#replay")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("path.track-line")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("path.track-stop")).to_have_count(len(track["stops"]))
    expect(page.locator("path.track-checkin")).to_have_count(len(track["checkins"]))
    verdict = track["checkins"][0]["verdict"]
    expect(page.locator(f"path.track-checkin.verdict-{verdict}")).to_have_count(1)
    expect(page.locator("#replay-stops li.stop")).to_have_count(len(track["stops"]))
    expect(page.locator("#replay-checkins li.checkin").first).to_contain_text(verdict)
    shot(page, "05-replay")
    page.click("#replay-close")
    expect(member_marker(page, REPLAYED)).to_have_count(1)


def test_a_manager_account_is_refused(page: Page) -> None:
    data_calls: list[str] = []
    page.on("request", lambda r: data_calls.append(r.url) if "/api/v1/" in r.url and "/auth/" not in r.url else None)
    log_in(page, "m001")
    expect(page.locator("#login-error")).to_contain_text("team leads", timeout=WAIT_MS)
    expect(page.locator("#console-view")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    assert data_calls == []
    shot(page, "06-manager-refused")
