"""The customer value class and the visit-frequency period: pure rules against hand-computed cases."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.domain.value import ValuePolicy, classify, figures, history, judgement_days, tenure_months
from analytics.domain.visit_frequency import compliance_pct, period_days, requirement

POLICY = ValuePolicy(window_months=3, a_min_fen=300, b_min_fen=200, c_min_fen=100, tenure_lift_months=24)


@pytest.mark.parametrize(
    ("first", "today", "months"),
    [
        (None, date(2025, 6, 30), 0),
        (date(2025, 6, 1), date(2025, 6, 30), 0),
        (date(2024, 6, 30), date(2025, 6, 29), 11),  # a day short of the year
        (date(2024, 6, 30), date(2025, 6, 30), 12),
        (date(2025, 7, 1), date(2025, 6, 30), 0),  # dated after today
    ],
)
def test_tenure_counts_whole_months(first: date | None, today: date, months: int) -> None:
    assert tenure_months(first, today) == months


def test_the_class_is_judged_at_every_months_end_from_the_first_order_and_today() -> None:
    assert judgement_days(date(2024, 11, 20), date(2025, 2, 3)) == [
        date(2024, 11, 30), date(2024, 12, 31), date(2025, 1, 31), date(2025, 2, 3),
    ]  # fmt: skip
    assert judgement_days(date(2025, 2, 3), date(2025, 2, 3)) == [date(2025, 2, 3)]
    assert judgement_days(None, date(2025, 2, 3)) == judgement_days(date(2025, 3, 1), date(2025, 2, 3)) == []


def test_the_history_lists_each_change_of_the_class_at_a_months_end() -> None:
    """Window of three months, C ≥ 100, B ≥ 200, A ≥ 300 fen. Nov 150 → C; Dec +100 → 250 B; Jan +100 → 350
    A; Feb (today the 3rd) the window Dec–Feb holds 200 (the 150 of Nov left it): B; an order dated after
    today does not count yet."""
    lines = [
        {"order_date": "2024-11-20", "quantity": 1, "amount_fen": 150},
        {"order_date": "2024-12-01", "quantity": 1, "amount_fen": 100},
        {"order_date": "2025-01-31", "quantity": 1, "amount_fen": 100},
        {"order_date": "2025-02-04", "quantity": 1, "amount_fen": 900},
    ]
    judged = history(lines, date(2025, 2, 3), POLICY)
    assert [(h["value_class"], h["since"], h["month"], h["amount_fen"]) for h in judged] == [
        ("C", "2024-11-30", "2024-11", 150), ("B", "2024-12-31", "2024-12", 250),
        ("A", "2025-01-31", "2025-01", 350), ("B", "2025-02-03", "2025-02", 200),
    ]  # fmt: skip
    assert history(list(reversed(lines)), date(2025, 2, 3), POLICY) == judged
    assert history([], date(2025, 2, 3), POLICY) == []


def test_figures_count_the_window_and_date_the_first_order() -> None:
    lines = [
        {"order_date": "2023-01-05", "quantity": 9, "amount_fen": 900},  # outside April–June: tenure only
        {"order_date": "2025-04-01", "quantity": 1, "amount_fen": 100},
        {"order_date": "2025-06-10", "quantity": 2, "amount_fen": 150},
        {"order_date": "2025-06-30", "quantity": 5, "amount_fen": 500},  # after `today`: not yet
    ]
    got = figures(lines, date(2025, 6, 20), POLICY)
    assert (got["amount_fen"], got["cartons"], got["order_months"]) == (250, 3, 2)
    assert (got["first_order_date"], got["tenure_months"], got["payment_behaviour"]) == ("2023-01-05", 29, None)


@pytest.mark.parametrize(
    ("amount", "tenure", "expected"),
    [(300, 0, "A"), (299, 0, "B"), (200, 0, "B"), (199, 0, "C"), (100, 0, "C"), (99, 0, "D"),
     (299, 24, "A"), (150, 30, "B"), (99, 40, "D"), (300, 40, "A"), (150, 23, "C")],
)  # fmt: skip
def test_class_by_purchases_lifted_by_tenure(amount: int, tenure: int, expected: str) -> None:
    assert classify({"amount_fen": amount, "tenure_months": tenure}, POLICY) == expected


def test_frequency_period_and_compliance() -> None:
    assert period_days("2025-02", 1) == ("2025-02-01", "2025-02-28")
    assert period_days("2025-01", 3) == ("2024-11-01", "2025-01-31")
    # January of year 1 has no months before it: the period is that month alone (not a 500).
    assert period_days("0001-01", 3) == ("0001-01-01", "0001-01-31")
    assert period_days("0001-02", 3) == ("0001-01-01", "0001-02-28")
    assert requirement({"C": (1, 3)}, "C") == (1, 3)
    assert requirement({"C": (1, 3)}, "Z") == (0, 1)
    assert (compliance_pct(3, 1), compliance_pct(0, 0)) == (66.7, None)
