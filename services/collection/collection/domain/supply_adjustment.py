"""Pure rules of the supply adjustment (docs/domain.md §1.5.9.1, R-1.5.9.1-a…e)."""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Iterable, Sequence
from datetime import datetime
from typing import Any

from baifang_common.context import Caller
from collection.domain.errors import AlreadyDecided, Forbidden, InvalidSupplyAdjustment
from collection.domain.model import AgreedLine, AgreedQuantity, SupplyAdjustment

PENDING = "pending"
# action → (status it leads to, who may take it)
ACTIONS = {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn"}
MAX_REASON = 1000


def check_request(lines: Sequence[AgreedLine], reason: str, catalogue: Container[str]) -> tuple[AgreedLine, ...]:
    """R-1.5.9.1-a: increases only (every extra quantity > 0), catalogue SKUs once; R-e: a reason."""
    failures: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.sku not in catalogue or line.sku in seen:
            reason_text = "listed twice" if line.sku in seen else "not in the catalogue"
            failures.append({"index": index, "sku": line.sku, "field": "sku", "reason": reason_text})
        if line.qty <= 0:
            failures.append({"index": index, "sku": line.sku, "field": "extra_qty", "reason": "must be positive"})
        seen.add(line.sku)
    details: dict[str, Any] = {}
    if failures or not lines:
        details["lines"] = failures or [{"index": -1, "sku": "", "field": "lines", "reason": "at least one line"}]
    if not reason.strip() or len(reason) > MAX_REASON:
        details["reason"] = f"required, at most {MAX_REASON} characters"
    if details:
        raise InvalidSupplyAdjustment(**details)
    return tuple(lines)


def ensure_may_act(caller: Caller, adjustment: SupplyAdjustment, action: str) -> None:
    """R-1.5.9.1-d: the requester's supervisor decides (never the requester); the requester withdraws."""
    if action == "withdraw":
        allowed = caller.id == adjustment.manager_id
    else:
        allowed = caller.is_supervisor and bool(caller.team_id) and caller.team_id == adjustment.team_id
    if not allowed or (action != "withdraw" and caller.id == adjustment.manager_id):
        raise Forbidden(adjustment_id=adjustment.adjustment_id, action=action)


def transition(
    adjustment: SupplyAdjustment, action: str, caller: Caller, at: datetime, note: str = ""
) -> SupplyAdjustment:
    """R-1.5.9.1-b: pending → approved | rejected | withdrawn; decided requests are final (409)."""
    ensure_may_act(caller, adjustment, action)
    if adjustment.status != PENDING:
        raise AlreadyDecided(adjustment_id=adjustment.adjustment_id, status=adjustment.status)
    return dataclasses.replace(adjustment, status=ACTIONS[action], decided_by=caller.id, decided_at=at, note=note)


def effective_quantities(agreed: AgreedQuantity | None, adjustments: Iterable[SupplyAdjustment]) -> dict[str, int]:
    """R-1.5.9.1-c: per SKU, the agreed quantity plus approved increases; pending or rejected change nothing."""
    quantities: dict[str, int] = {line.sku: line.qty for line in agreed.lines} if agreed else {}
    for adjustment in adjustments:
        if adjustment.status == "approved":
            for line in adjustment.lines:
                quantities[line.sku] = quantities.get(line.sku, 0) + line.qty
    return quantities
