"""The targets import file (`POST /admin/import/targets`): one row per manager and period (P-002-T1).

Columns / keys: manager_id, period (a month YYYY-MM or an ISO week YYYY-Www), and at least one of
volume (cartons), key_brands, value_per_carton_fen (integer fen), plan_execution_pct (0–1000).
key_brands is an object {brand: cartons} in JSON lines, or `brand:cartons` pairs separated by `;`
in a CSV cell (`黄山:120;中华:80`). Rows are read as every import reads them (`gateway.imports`);
the manager must be a manager account (its team goes with the target), and analytics refuses a
brand that is not one of its configured key brands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gateway.imports import RowProblem, integer, number, text

COLUMNS = "manager_id, period, volume, key_brands, value_per_carton_fen, plan_execution_pct"
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2]|W\d{2})$")
MAX_CARTONS = 10**9


@dataclass
class TargetRow:
    manager_id: str
    period: str
    volume: int | None = None
    key_brands: list[list[Any]] = field(default_factory=list)
    value_per_carton_fen: int | None = None
    plan_execution_pct: float | None = None
    team_id: str = ""  # the manager account's, set when the chunk is applied

    def as_dict(self) -> dict[str, Any]:
        return {
            "manager_id": self.manager_id,
            "team_id": self.team_id,
            "period": self.period,
            "volume": self.volume,
            "key_brands": self.key_brands,
            "value_per_carton_fen": self.value_per_carton_fen,
            "plan_execution_pct": self.plan_execution_pct,
        }


def _optional(record: dict[str, Any], name: str, convert: Any) -> Any:
    raw = record.get(name)
    if raw is None or raw == "":
        return None
    try:
        return convert(raw)
    except ValueError as exc:
        raise RowProblem(name, str(exc)) from exc


def _brands(value: Any) -> list[list[Any]]:
    """{brand: cartons} or the CSV cell `brand:cartons;…` → [[brand, cartons], …]."""
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, str):
        pairs = []
        for part in (p.strip() for p in value.split(";")):
            if part:
                brand, sep, cartons = part.rpartition(":")
                if not sep:
                    raise RowProblem("key_brands", "brand:cartons pairs separated by ';'")
                pairs.append((brand, cartons))
    else:
        raise RowProblem("key_brands", "an object {brand: cartons}")
    out: list[list[Any]] = []
    for brand, cartons in pairs:
        name = str(brand).strip()
        if not name or len(name) > 64:
            raise RowProblem("key_brands", "a brand name of 1 to 64 characters")
        try:
            out.append([name, integer(cartons, 0, MAX_CARTONS)])
        except ValueError as exc:
            raise RowProblem("key_brands", f"cartons of {name}: {exc}") from exc
    return out


def target_row(record: dict[str, Any]) -> TargetRow:
    """One row as a target; RowProblem names the first field that is wrong."""
    period = text(record, "period", required=True, limit=8)
    if not PERIOD.match(period):
        raise RowProblem("period", "a month YYYY-MM or an ISO week YYYY-Www")
    row = TargetRow(
        manager_id=text(record, "manager_id", required=True, limit=64),
        period=period,
        volume=_optional(record, "volume", lambda v: integer(v, 0, MAX_CARTONS)),
        key_brands=_brands(record.get("key_brands")),
        value_per_carton_fen=_optional(record, "value_per_carton_fen", lambda v: integer(v, 0, 10**10)),
        plan_execution_pct=_optional(record, "plan_execution_pct", _pct),
    )
    figures = (row.volume, row.value_per_carton_fen, row.plan_execution_pct)
    if not row.key_brands and all(figure is None for figure in figures):
        raise RowProblem("volume", "at least one target figure is required")
    return row


def _pct(value: Any) -> float:
    result = number(value)
    if not 0 <= result <= 1000:
        raise ValueError("from 0 to 1000")
    return result
