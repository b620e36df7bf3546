"""Contacts directory of the visit assistant (§1.5.11.2): people at the outlets, searchable. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from planning.domain.errors import InvalidText


class ContactRole(StrEnum):
    """Who the person is at the outlet; `payment` is the payment contact of the customer file (P-004-4)."""

    OWNER = "owner"
    MANAGER = "manager"
    CLERK = "clerk"
    PAYMENT = "payment"
    OTHER = "other"


@dataclass(frozen=True)
class Contact:
    id: str
    customer_id: str
    # The customer's manager and team, copied so the directory is read by ownership alone.
    manager_id: str
    team_id: str
    name: str
    role: ContactRole
    phone: str


def role_of(value: str) -> ContactRole:
    try:
        return ContactRole(value or "other")
    except ValueError as exc:
        raise InvalidText("role must be one of " + ", ".join(r.value for r in ContactRole), field="role") from exc


def matches(contact: Contact, customer_name: str, q: str, role: ContactRole | None, customer_id: str) -> bool:
    """Search by name, phone or customer name (substring, case-insensitive), and filter by role and customer."""
    if role is not None and contact.role != role:
        return False
    if customer_id and contact.customer_id != customer_id:
        return False
    needle = q.strip().lower()
    return not needle or any(needle in text.lower() for text in (contact.name, contact.phone, customer_name))
