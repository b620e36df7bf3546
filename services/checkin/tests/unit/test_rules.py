"""Pure rules: haversine, every verdict branch, deterministic ids."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from checkin.domain.model import Assessment, Fix, GeoPoint, PreviousFix, Thresholds, Verdict, VerdictReason
from checkin.domain.rules import (
    checkin_id_for,
    distance_m,
    event_id_for,
    remembers_fix,
    speed_kmh,
    verdict_for,
)

OUTLET = GeoPoint(31.2304, 121.4737)
SCAN = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LIMITS = Thresholds()
METRES_PER_DEGREE_LAT = math.pi * 6_371_008.8 / 180


def north_of(point: GeoPoint, metres: float) -> GeoPoint:
    return GeoPoint(point.lat + metres / METRES_PER_DEGREE_LAT, point.lon)


def fix(point: GeoPoint = OUTLET, accuracy: float = 10.0, at: datetime = SCAN, mock: bool = False) -> Fix:
    return Fix(point, accuracy, at, mock)


def judge(f: Fix, previous: PreviousFix | None = None, outlet: GeoPoint | None = OUTLET) -> Assessment:
    return verdict_for(f, outlet=outlet, scanned_at=SCAN, previous=previous, thresholds=LIMITS)


def test_distance_between_identical_points_is_zero() -> None:
    assert distance_m(OUTLET, OUTLET) == 0


def test_distance_matches_known_city_pair() -> None:
    # Shanghai People's Square to Beijing Tiananmen: about 1,067 km.
    assert distance_m(GeoPoint(31.2304, 121.4737), GeoPoint(39.9087, 116.3975)) == pytest.approx(1_067_000, rel=0.01)


def test_one_degree_of_longitude_at_equator_is_about_111_km() -> None:
    assert distance_m(GeoPoint(0, 0), GeoPoint(0, 1)) == pytest.approx(111_195, abs=1)


def test_distance_is_symmetric() -> None:
    a, b = GeoPoint(31.0, 121.0), GeoPoint(31.01, 121.02)
    assert distance_m(a, b) == pytest.approx(distance_m(b, a))


def test_fix_at_the_outlet_is_ok() -> None:
    assessment = judge(fix())
    assert (assessment.verdict, assessment.reason, assessment.distance_m) == (Verdict.OK, VerdictReason.NONE, 0.0)


def test_fix_exactly_at_the_geofence_is_ok() -> None:
    assessment = judge(fix(north_of(OUTLET, 200.0)))
    assert assessment.distance_m == 200.0
    assert assessment.verdict is Verdict.OK


def test_fix_just_beyond_the_geofence_is_too_far() -> None:
    assessment = judge(fix(north_of(OUTLET, 200.2)))
    assert assessment.verdict is Verdict.TOO_FAR
    assert assessment.reason is VerdictReason.NONE


def test_geofence_is_configurable() -> None:
    assessment = verdict_for(
        fix(north_of(OUTLET, 300)), outlet=OUTLET, scanned_at=SCAN, previous=None, thresholds=Thresholds(geofence_m=500)
    )
    assert assessment.verdict is Verdict.OK


def test_mock_location_is_suspect_even_at_the_outlet() -> None:
    assessment = judge(fix(mock=True))
    assert (assessment.verdict, assessment.reason) == (Verdict.SUSPECT, VerdictReason.MOCK_LOCATION)


def test_zero_accuracy_means_no_fix() -> None:
    assessment = judge(fix(accuracy=0))
    assert (assessment.verdict, assessment.reason, assessment.distance_m) == (
        Verdict.SUSPECT,
        VerdictReason.NO_FIX,
        -1.0,
    )


def test_null_island_coordinates_mean_no_fix() -> None:
    assert judge(fix(GeoPoint(0, 0), accuracy=5)).reason is VerdictReason.NO_FIX


def test_accuracy_worse_than_100_m_is_suspect() -> None:
    assessment = judge(fix(accuracy=100.5))
    assert (assessment.verdict, assessment.reason) == (Verdict.SUSPECT, VerdictReason.LOW_ACCURACY)


def test_accuracy_of_exactly_100_m_is_accepted() -> None:
    assert judge(fix(accuracy=100)).verdict is Verdict.OK


def test_fix_older_than_the_scan_by_more_than_two_minutes_is_suspect() -> None:
    assessment = judge(fix(at=SCAN - timedelta(seconds=121)))
    assert (assessment.verdict, assessment.reason) == (Verdict.SUSPECT, VerdictReason.STALE_FIX)


def test_fix_two_minutes_old_is_fresh_enough() -> None:
    assert judge(fix(at=SCAN - timedelta(seconds=120))).verdict is Verdict.OK


def test_travel_faster_than_120_kmh_from_previous_fix_is_suspect() -> None:
    # 5 km in 2 minutes = 150 km/h.
    previous = PreviousFix(north_of(OUTLET, -5_000), SCAN - timedelta(minutes=2))
    assessment = judge(fix(), previous)
    assert (assessment.verdict, assessment.reason) == (Verdict.SUSPECT, VerdictReason.IMPOSSIBLE_TRAVEL)


def test_travel_at_city_speed_from_previous_fix_is_ok() -> None:
    # 5 km in 10 minutes = 30 km/h.
    previous = PreviousFix(north_of(OUTLET, -5_000), SCAN - timedelta(minutes=10))
    assert judge(fix(), previous).verdict is Verdict.OK


def test_previous_fix_at_the_same_instant_and_place_is_not_travel() -> None:
    previous = PreviousFix(OUTLET, SCAN)
    assert speed_kmh(previous, fix()) == 0
    assert judge(fix(), previous).verdict is Verdict.OK


def test_suspect_overrides_too_far() -> None:
    assessment = judge(fix(north_of(OUTLET, 1_000), mock=True))
    assert assessment.verdict is Verdict.SUSPECT
    assert assessment.distance_m == pytest.approx(1_000, abs=0.2)


def test_outlet_without_location_is_suspect_with_unknown_distance() -> None:
    assessment = judge(fix(), outlet=None)
    assert (assessment.verdict, assessment.reason, assessment.distance_m) == (
        Verdict.SUSPECT,
        VerdictReason.OUTLET_UNLOCATED,
        -1.0,
    )


def test_spoofed_missing_or_vague_fixes_are_not_remembered() -> None:
    assert not remembers_fix(fix(mock=True), LIMITS)
    assert not remembers_fix(fix(accuracy=0), LIMITS)
    assert not remembers_fix(fix(accuracy=500), LIMITS)
    assert remembers_fix(fix(north_of(OUTLET, 1_000)), LIMITS)


@pytest.mark.parametrize(
    "f",
    [
        fix(),
        fix(mock=True),
        fix(accuracy=0),
        fix(accuracy=500),
        fix(accuracy=500, mock=True),
        fix(north_of(OUTLET, 1_000)),
        fix(at=SCAN - timedelta(hours=1)),
        fix(GeoPoint(0, 0)),
    ],
)
def test_whether_a_fix_is_remembered_is_known_before_the_previous_fix(f: Fix) -> None:
    """The fix alone decides, whatever the previous fix and its verdict (so one round trip reads and stores)."""
    kept_out = {VerdictReason.MOCK_LOCATION, VerdictReason.NO_FIX, VerdictReason.LOW_ACCURACY}
    far_and_recent = PreviousFix(north_of(OUTLET, 50_000), SCAN - timedelta(seconds=30))
    for previous in (None, far_and_recent):
        assert remembers_fix(f, LIMITS) == (judge(f, previous).reason not in kept_out)


def test_checkin_id_is_deterministic_per_caller_and_op_id() -> None:
    assert checkin_id_for("m001", "op-1") == checkin_id_for("m001", "op-1")
    assert checkin_id_for("m001", "op-1") != checkin_id_for("m002", "op-1")
    assert event_id_for("c1") == event_id_for("c1") != event_id_for("c2")
