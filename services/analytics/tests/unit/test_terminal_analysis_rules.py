"""Pure rules of the terminal analyses (§1.6.4, §1.6.5) and the sales forecast (P-002-8, P-003-10)."""

from __future__ import annotations

from datetime import date

from analytics.domain import forecast
from analytics.domain import terminal_analysis as ta


def test_P_003_10_the_forecast_is_a_3_2_1_weighted_average_of_the_three_months_before() -> None:
    months = forecast.basis_months("2025-01")
    assert months == ["2024-12", "2024-11", "2024-10"]
    assert forecast.weighted({"2024-12": 10, "2024-11": 8, "2024-10": 3}, months) == 8  # 49 / 6 = 8.17
    assert forecast.weighted({"2024-12": 7}, months) == 4  # 21 / 6 = 3.5: half up
    assert forecast.weighted({}, months) == 0
    # Before year 1 there are no months: the weights of those that exist.
    assert forecast.basis_months("0001-03") == ["0001-02", "0001-01"]
    assert forecast.weighted({"0001-02": 5, "0001-01": 2}, ["0001-02", "0001-01"]) == 4  # 19 / 5 = 3.8
    assert forecast.basis_months("0001-01") == [] and forecast.weighted({}, []) == 0


def test_P_003_10_the_difference_to_the_agreed_quantity() -> None:
    assert forecast.difference_pct(8, 10) == -20.0
    assert forecast.difference_pct(4, 3) == 33.3
    assert forecast.difference_pct(4, None) is None and forecast.difference_pct(4, 0) is None


def test_1_6_5_the_values_at_a_months_end_are_the_latest_version_of_each_kind_saved_by_then() -> None:
    doc = {"versions": {
        "000000001": {"saved_at": "2025-05-31T15:30:00Z", "values": {"ledger": True, "pos_device": False}},
        "000000002": {"saved_at": "2025-06-30T16:00:00Z", "values": {"ledger": True, "pos_device": True}},
        "000000003": {"saved_at": "", "values": {"ledger": False}},
    }}  # fmt: skip
    resources = ta.versions_of(doc, "Asia/Shanghai")
    # 2025-05-31 15:30 UTC is 23:30 in Shanghai (May); 2025-06-30 16:00 UTC is 1 July; v3 has no date.
    assert [(v.number, v.saved_on) for v in resources] == [(1, date(2025, 5, 31)), (2, date(2025, 7, 1))]
    info = [ta.Version(1, date(2025, 6, 15), {"store_tier": "旗舰店"})]
    histories = {"resources": resources, "info": info}
    assert ta.values_on(histories, ta.month_end("2025-05")) == {"ledger": True, "pos_device": False}
    assert ta.values_on(histories, ta.month_end("2025-06")) == {"ledger": True, "pos_device": False,
                                                                "store_tier": "旗舰店"}  # fmt: skip
    assert ta.numbers_on(histories, ta.month_end("2025-07")) == (2, 1)
    assert ta.numbers_on(histories, date(2025, 1, 1)) == (0, 0)
    assert ta.month_end("2024-02") == date(2024, 2, 29) and ta.month_end("2024-12") == date(2024, 12, 31)


def test_1_6_4_and_1_6_5_functions_tiers_shares_and_gaps() -> None:
    assert ta.has_function({"pos_device": True}, "pos_device")
    assert not ta.has_function({"pos_device": "yes"}, "pos_device") and not ta.has_function({}, "pos_device")
    assert ta.tier_of({"store_tier": "形象店"}) == "形象店" and ta.tier_of({"store_tier": "无"}) is None
    assert (ta.share_pct(1, 3), ta.share_pct(0, 0)) == (33.3, None)
    assert ta.ranked_gaps({"a": 1, "b": 3, "c": 1, "d": 0}, ["d", "c", "b", "a"]) == ["b", "c", "a"]
    assert ta.last_days(date(2025, 3, 1), 3) == ["2025-02-27", "2025-02-28", "2025-03-01"]
