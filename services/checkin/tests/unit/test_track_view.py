"""Pure geometry of the supervisor views, on hand-built tracks laid out in metres.

Points are placed with the local projection the rules use (metres east and north of the first
fix), so every expected figure below is plain arithmetic on the layout.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checkin.domain.track_view import (
    Projection,
    TrackFix,
    ViewRules,
    day_bounds_ms,
    is_stale,
    segment_distance,
    simplify,
    stops,
    travel,
)

LAT0, LON0 = 31.82, 117.22
T0 = 1_741_000_000_000  # an epoch ms; the rules only look at differences
ORIGIN = Projection(LAT0, LON0)


def at(x_m: float, y_m: float, seconds: float, accuracy: float = 8.0) -> TrackFix:
    """A fix x metres east and y metres north of the origin, `seconds` after T0."""
    return TrackFix(T0 + round(seconds * 1000), LAT0 + y_m / ORIGIN.ky, LON0 + x_m / ORIGIN.kx, accuracy)


def test_segment_distance_is_to_the_nearest_point_of_the_segment() -> None:
    assert segment_distance(50, 3, 0, 0, 100, 0) == pytest.approx(3.0)
    assert segment_distance(130, 40, 0, 0, 100, 0) == pytest.approx(50.0)  # beyond B: distance to B
    assert segment_distance(3, 4, 0, 0, 0, 0) == pytest.approx(5.0)  # a degenerate segment


def test_douglas_peucker_keeps_corners_and_drops_what_lies_within_the_tolerance() -> None:
    line = [at(0, 0, 0), at(50, 3, 30), at(100, 0, 60), at(100, 100, 90), at(100, 150, 120)]
    # (50, 3) is 3 m off the 0→100 leg; (100, 100) lies on the northward leg; (100, 0) is the corner
    assert simplify(line, 5.0) == [0, 2, 4]
    assert simplify(line, 2.0) == [0, 1, 2, 4]
    assert simplify(line, 0.0) == [0, 1, 2, 3, 4]  # no tolerance: every fix
    assert simplify(line[:2], 5.0) == [0, 1]
    assert simplify([], 5.0) == []


def test_a_parked_manager_collapses_to_the_ends_of_the_stay() -> None:
    parked = [at(0, 0, 30 * i) for i in range(100)]
    assert simplify(parked, 10.0) == [0, 99]


def test_distance_sums_the_legs() -> None:
    east = [at(60 * i, 0, 30 * i) for i in range(11)]  # 10 legs of 60 m in 30 s (2 m/s)
    result = travel(east, max_speed_mps=120 / 3.6)
    assert result.distance_m == pytest.approx(600.0, abs=0.01)
    assert result.jumps == []


def test_a_glitch_is_left_out_and_the_distance_continues_from_the_last_good_fix() -> None:
    track = [at(0, 0, 0), at(60, 0, 30), at(60, 5000, 45), at(120, 0, 60), at(180, 0, 90)]
    result = travel(track, max_speed_mps=120 / 3.6)  # 5 km in 15 s is impossible; back again too
    assert result.distance_m == pytest.approx(180.0, abs=0.01)
    assert result.jumps == [2]


def test_an_impossible_jump_the_next_fixes_confirm_is_left_out_but_travel_goes_on_from_there() -> None:
    # 10 km in 30 s, then 60 m on from there: the manager is really there (the phone had no fix on the way)
    track = [at(0, 0, 0), at(60, 0, 30), at(10_060, 0, 60), at(10_120, 0, 90), at(10_180, 0, 120)]
    result = travel(track, max_speed_mps=120 / 3.6)
    assert result.distance_m == pytest.approx(60.0 + 60.0 + 60.0, abs=0.01)
    assert result.jumps == [2]


def test_two_fixes_at_the_same_instant_count_one_second_apart() -> None:
    assert travel([at(0, 0, 0), at(20, 0, 0)], max_speed_mps=30).distance_m == pytest.approx(20.0, abs=0.01)
    assert travel([at(0, 0, 0), at(40, 0, 0)], max_speed_mps=30).jumps == [1]


def test_a_stay_longer_than_five_minutes_within_the_radius_is_a_stop() -> None:
    stay = [at((i % 3) * 10, (i % 2) * 10, 30 * i) for i in range(13)]  # 0..360 s, jitter within 15 m
    walk = [at(200 + 60 * i, 0, 390 + 30 * i) for i in range(5)]
    short = [at(600, 0, 540 + 30 * i) for i in range(11)]  # exactly 300 s: not longer than 5 minutes
    found = stops([*stay, *walk, *short], min_s=300, radius_m=50)
    assert len(found) == 1
    (stop,) = found
    assert (stop.start_ms, stop.end_ms, stop.points, stop.duration_s) == (T0, T0 + 360_000, 13, 360.0)
    assert stop.lat == pytest.approx(sum(p.lat for p in stay) / 13)
    assert stop.lon == pytest.approx(sum(p.lon for p in stay) / 13)


def test_a_fix_outside_the_radius_ends_the_stop() -> None:
    track = [at(0, 0, 30 * i) for i in range(8)] + [at(51, 0, 240)] + [at(0, 0, 270 + 30 * i) for i in range(8)]
    assert stops(track, min_s=300, radius_m=50) == []  # 210 s and 210 s: two short stays


def _shanghai_ms(text: str) -> int:
    return int(datetime.fromisoformat(text + "+08:00").timestamp() * 1000)


@pytest.mark.parametrize(
    ("fix", "now", "stale"),
    [
        ("2025-03-03T09:00:00", "2025-03-03T09:14:59", False),
        ("2025-03-03T09:00:00", "2025-03-03T09:15:01", True),
        ("2025-03-02T18:00:00", "2025-03-03T08:10:00", False),  # only 10 minutes of today's working time
        ("2025-03-02T18:00:00", "2025-03-03T08:16:00", True),
        ("2025-03-03T18:50:00", "2025-03-03T22:00:00", False),  # 10 working minutes before 19:00
        ("2025-03-03T18:00:00", "2025-03-03T22:00:00", True),
        ("2025-03-02T12:00:00", "2025-03-03T07:30:00", False),  # before the working day
    ],
)
def test_a_position_is_stale_after_fifteen_minutes_of_working_time_without_a_fix(
    fix: str, now: str, stale: bool
) -> None:
    assert is_stale(_shanghai_ms(fix), _shanghai_ms(now), ViewRules()) is stale


def test_a_company_day_starts_at_local_midnight() -> None:
    start, end = day_bounds_ms("2025-03-03", "Asia/Shanghai")
    assert start == int(datetime(2025, 3, 2, 16, tzinfo=UTC).timestamp() * 1000)
    assert end - start == 24 * 3600 * 1000
