"""Analytics settings: the shared infrastructure names plus analytics' own knobs (ANALYTICS_*)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from baifang_common.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service: ClassVar[str] = "analytics"
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore", populate_by_name=True, frozen=True)

    # Batched consumers (baifang_common.batching): larger batches than the other services'. A batch's
    # store work grows slower than its events (one write per manager-day, visit day share, outlet,
    # roster or order key it touches, one read of each roster), so 1,000 events per batch cost the
    # store ~30 % less CPU than 200 (loadtests/bench_analytics.py --backlog --reset); the wait lets
    # a backlog fill a batch (reading 1,000 messages off the socket takes ~0.2 s), and bounds the
    # delay a lone event adds.
    consumer_batch_max: int = 1000
    consumer_batch_wait_ms: float = 250.0

    # Customer value class (analytics/domain/value.py): purchases over the window, in fen, per class;
    # buying for `value_tenure_lift_months` or longer lifts a class by one.
    value_window_months: int = 12
    value_a_min_fen: int = 5_000_000
    value_b_min_fen: int = 2_000_000
    value_c_min_fen: int = 500_000
    value_tenure_lift_months: int = 24

    # Visit frequency per tier (the card's value class) → [visits, months]: at least that many completed
    # visits within that many months ending with the report month (P-004-1). JSON in ANALYTICS_VISIT_FREQUENCY.
    visit_frequency: dict[str, tuple[int, int]] = Field(
        default_factory=lambda: {"A": (1, 1), "B": (1, 1), "C": (1, 3), "D": (0, 1)}
    )

    # Indicators (P-002-8): the key brands (重点品牌) whose cartons the weekly and monthly indicators
    # count and whose targets the import accepts, as the catalogue names the brand. JSON list in
    # ANALYTICS_KEY_BRANDS.
    key_brands: tuple[str, ...] = ("黄山", "中华")
