"""The customer file (P-004-4, P-004-13, P-004-14): what the field team may edit, and the versions.

Every change of a customer record is a version with its author, time and the fields it changed
(before and after); an edit names the version it was made on, and one made on an older version is
refused, so nothing is overwritten silently. Pure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from planning.domain.errors import InvalidText, NotYourCustomer
from planning.domain.model import Customer

# What a manager, their supervisor or an admin may change in the file; the rest comes from the marketing system.
EDITABLE = {"route_id": 64, "area_id": 64, "address": 200, "phone": 32, "short_code": 32}
# Fields that are not the customer's business data.
UNVERSIONED = {"qr_secret", "version"}


@dataclass(frozen=True)
class CustomerVersion:
    customer_id: str
    version: int
    changed_by: str
    changed_at: datetime
    source: str  # import | edit
    changes: tuple[tuple[str, str, str], ...]  # (field, before, after)


def changes_between(old: Customer | None, new: Customer) -> tuple[tuple[str, str, str], ...]:
    """Each business field that differs, as text (a new customer: every field that is set)."""
    before = dataclasses.asdict(old) if old is not None else {}
    found = []
    for name, value in dataclasses.asdict(new).items():
        if name in UNVERSIONED:
            continue
        was = before.get(name, "")
        if was != value:
            found.append((name, "" if was in ("", None) and old is None else str(was), str(value)))
    return tuple(found)


def edited(customer: Customer, fields: dict[str, str]) -> Customer:
    """The record with the edited fields; InvalidText for a field that may not be edited or is too long."""
    for name, value in fields.items():
        if name not in EDITABLE:
            raise InvalidText("editable fields: " + ", ".join(sorted(EDITABLE)), field=name)
        if len(value.strip()) > EDITABLE[name]:
            raise InvalidText(f"at most {EDITABLE[name]} characters", field=name)
    return dataclasses.replace(customer, **{k: v.strip() for k, v in fields.items()})


def ensure_can_edit(caller: Caller, customer: Customer) -> None:
    """The responsible manager, the team's supervisor or an admin."""
    if caller.is_admin or caller.id == customer.manager_id:
        return
    if caller.is_supervisor and caller.team_id and caller.team_id == customer.team_id:
        return
    raise NotYourCustomer(customer_id=customer.id)
