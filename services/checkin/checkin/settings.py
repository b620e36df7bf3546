"""Checkin's own knobs (env prefix CHECKIN_), beside the shared infrastructure settings."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from baifang_common.settings import ServiceSettings


class CheckinSettings(ServiceSettings):
    service: ClassVar[str] = "checkin"
    model_config = SettingsConfigDict(env_prefix="CHECKIN_", extra="ignore", populate_by_name=True, frozen=True)

    # Geofence verdict thresholds (DOMAIN.md §3.5 decision 11).
    geofence_m: float = 200.0
    max_accuracy_m: float = 100.0
    max_fix_age_s: float = 120.0
    max_speed_kmh: float = 120.0
    # Deadlines of the calls to planning, in seconds.
    planning_resolve_timeout_s: float = 1.0
    planning_mark_timeout_s: float = 2.0
