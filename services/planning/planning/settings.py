"""Planning's knobs on top of the shared settings (env prefix PLANNING_)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic_settings import SettingsConfigDict

from baifang_common.settings import ServiceSettings


class PlanningSettings(ServiceSettings):
    service: ClassVar[str] = "planning"
    model_config = SettingsConfigDict(env_prefix="PLANNING_", extra="ignore", populate_by_name=True, frozen=True)

    # End-of-day sweep: how often the worker looks for past visits still planned, and how many per tick.
    missed_sweep_seconds: float = 60.0
    missed_batch_size: int = 500
    # Who a manager may serve outside their plan (temporary visits, customer lookup; §3.5.9):
    # "own" = their own customers only; "team" = also their team's customers (covering for a colleague).
    serving_scope: Literal["own", "team"] = "team"
    # R-1.3.3-c: days after a visit's date during which offline work of that day still revives a missed visit.
    late_upload_days: int = 3
