"""Route suggestion: nearest neighbour + 2-opt on great-circle distances, against the exact optimum."""

import random

import pytest

from planning.domain.route import (
    Point,
    distances,
    exact_route_m,
    great_circle_m,
    nearest_neighbour,
    path_length,
    plan_route,
)

HEFEI = Point(31.82, 117.23)


def test_great_circle_distance_of_one_degree_of_latitude():
    assert great_circle_m(Point(31.0, 117.0), Point(32.0, 117.0)) == pytest.approx(111_195, rel=1e-3)


def test_stops_on_a_line_are_visited_in_line_order_whatever_the_input_order():
    stops = [Point(31.82, 117.23 + 0.01 * k) for k in (3, 1, 4, 2)]
    plan = plan_route(HEFEI, stops)
    assert plan.order == (1, 3, 0, 2)
    assert plan.total_m == pytest.approx(great_circle_m(HEFEI, stops[2]), rel=1e-6)
    assert len(plan.legs) == 4


def test_two_opt_never_makes_nearest_neighbour_longer_and_stays_near_the_optimum():
    rng = random.Random(7)
    for _ in range(20):
        stops = [Point(31.8 + rng.random() * 0.1, 117.2 + rng.random() * 0.1) for _ in range(8)]
        dist = distances([HEFEI, *stops])
        greedy = path_length(nearest_neighbour(dist), dist)
        plan = plan_route(HEFEI, stops)
        assert sorted(plan.order) == list(range(8))
        assert plan.total_m <= greedy + 1e-6
        assert plan.total_m >= exact_route_m(HEFEI, stops) - 1e-6


def test_no_stops_no_route():
    assert plan_route(HEFEI, []).total_m == 0
