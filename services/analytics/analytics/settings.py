"""Analytics settings: the shared infrastructure names plus analytics' own knobs (ANALYTICS_*)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from baifang_common.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service: ClassVar[str] = "analytics"
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore", populate_by_name=True, frozen=True)
