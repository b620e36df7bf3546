"""Analytics settings: the shared infrastructure names plus analytics' own knobs (ANALYTICS_*)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from baifang_common.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service: ClassVar[str] = "analytics"
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore", populate_by_name=True, frozen=True)

    # Customer value class (analytics/domain/value.py): purchases over the window, in fen, per class;
    # buying for `value_tenure_lift_months` or longer lifts a class by one.
    value_window_months: int = 12
    value_a_min_fen: int = 5_000_000
    value_b_min_fen: int = 2_000_000
    value_c_min_fen: int = 500_000
    value_tenure_lift_months: int = 24
