"""The indicators report (GET /indicators): the exact shape analytics answers (docs/api.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Count(BaseModel):
    """Cartons or fen against the target: deviation = actual − target; null without a target."""

    target: int | None
    actual: int | None
    deviation: int | None
    deviation_pct: float | None


class Rate(BaseModel):
    """A percentage against the target (deviation in percentage points)."""

    target: float | None
    actual: float | None
    deviation: float | None
    deviation_pct: float | None


class BrandCount(Count):
    brand: str


class Figures(BaseModel):
    volume: Count
    key_brands: list[BrandCount]
    value_per_carton_fen: Count
    plan_execution_pct: Rate
    amount_fen: int
    planned_visits: int
    completed_visits: int
    forecast_volume: int | None  # cartons the sales forecast expects in forecast_period (null past 9999)


class GroupFigures(Figures):
    managers: int


class TeamFigures(GroupFigures):
    team_id: str


class ManagerFigures(Figures):
    manager_id: str
    team_id: str
    has_target: bool


class IndicatorReport(BaseModel):
    period: Literal["month", "week"]
    month: str | None
    week: str | None
    start: str
    end: str
    manager_id: str
    team_id: str
    key_brands: list[str]
    forecast_period: str | None
    totals: GroupFigures
    teams: list[TeamFigures]
    managers: list[ManagerFigures]
