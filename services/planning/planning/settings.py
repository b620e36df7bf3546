"""Planning's knobs on top of the shared settings (env prefix PLANNING_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from baifang_common.settings import ServiceSettings


class PlanningSettings(ServiceSettings):
    service: ClassVar[str] = "planning"
    model_config = SettingsConfigDict(env_prefix="PLANNING_", extra="ignore", populate_by_name=True, frozen=True)

    # End-of-day sweep: how often the worker looks for past visits still planned, and how many per tick.
    missed_sweep_seconds: float = 60.0
    missed_batch_size: int = 500
