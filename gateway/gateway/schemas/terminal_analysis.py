"""Functional and quality terminal analysis and the sales forecast: the exact shapes analytics answers
(docs/api.md: GET /terminals/functional, /terminals/quality, /forecast, /customers/{id}/forecast)."""

from __future__ import annotations

from pydantic import BaseModel


class FunctionFigures(BaseModel):
    """One designated function: outlets that have it, their share, and how many were active in the window."""

    code: str
    label: str
    item: str
    outlets: int
    coverage_pct: float | None
    visited: int
    collected: int
    scanned: int
    ordered: int
    active: int
    active_pct: float | None


class GroupFunction(BaseModel):
    code: str
    outlets: int
    coverage_pct: float | None
    active: int


class FunctionalGroup(BaseModel):
    value: str | None
    outlets: int
    functions: list[GroupFunction]


class FunctionalReport(BaseModel):
    days: int
    since: str
    until: str
    by: str
    outlets: int
    functions: list[FunctionFigures]
    items: list[FunctionalGroup]


class QualityFigures(BaseModel):
    """Outlets, those with terminal facts (evaluated), those meeting the standard, their mean score."""

    outlets: int
    evaluated: int
    meeting_standard: int
    avg_score: float | None


class TierFigures(QualityFigures):
    store_tier: str | None


class QualityGroup(QualityFigures):
    value: str | None


class TrendMonth(BaseModel):
    month: str
    evaluated: int
    meeting_standard: int
    avg_score: float | None


class Gap(BaseModel):
    code: str
    label: str
    weight: int
    failing: int
    failing_pct: float | None
    guidance: str


class QualityReport(QualityFigures):
    months: int
    standard_version: int
    pass_mark: float
    meeting_pct: float | None
    designated_quality: int
    designated_meeting_standard: int
    store_tiers: list[TierFigures]
    by: str
    items: list[QualityGroup]
    trend: list[TrendMonth]
    gaps: list[Gap]


class ForecastTotals(BaseModel):
    customers: int
    forecast: int
    agreed_customers: int
    agreed: int
    forecast_of_agreed: int
    difference: int | None
    difference_pct: float | None


class ManagerForecast(ForecastTotals):
    manager_id: str
    team_id: str


class CustomerForecastLine(BaseModel):
    customer_id: str
    name: str
    manager_id: str
    basis: list[int]
    forecast: int
    agreed: int | None
    difference: int | None
    difference_pct: float | None


class ForecastReport(ForecastTotals):
    month: str
    method: str
    weights: list[int]
    basis_months: list[str]
    manager_id: str
    team_id: str
    managers: list[ManagerForecast]
    items: list[CustomerForecastLine]
    next_cursor: str | None
    total_items: int


class BasisMonth(BaseModel):
    month: str
    ordered: int
    weight: int


class CustomerForecast(BaseModel):
    customer_id: str
    name: str
    manager_id: str
    month: str
    method: str
    basis: list[BasisMonth]
    forecast: int
    agreed: int | None
    difference: int | None
    difference_pct: float | None
