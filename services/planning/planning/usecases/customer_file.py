"""The customer file (P-004-4, P-004-13, P-004-14, P-001-2): read with its contacts and responsible
manager, edited on a named version, every change kept with its author and time."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import now_utc
from planning.adapters.assignment_store import AssignmentStore
from planning.adapters.contact_store import ContactStore
from planning.adapters.customer_store import CustomerStore
from planning.adapters.customer_version_store import CustomerVersionStore
from planning.domain import rules
from planning.domain.contacts import Contact
from planning.domain.customer_file import CustomerVersion, changes_between, edited, ensure_can_edit
from planning.domain.errors import CustomerNotFound, StaleVersion
from planning.domain.model import Customer
from planning.usecases import events


@dataclass(frozen=True)
class CustomerFileView:
    customer: Customer
    # Since when the responsible manager is; None when no assignment was ever recorded.
    responsible_since: datetime | None
    contacts: list[Contact]


@dataclass(frozen=True)
class UpdateCustomerFile:
    caller: Caller
    customer_id: str
    expected_version: int
    fields: dict[str, str]


def _readable(caller: Caller, customer_id: str, customers: CustomerStore) -> Customer:
    customer = customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=customer_id)
    rules.ensure_can_read(caller, customer.manager_id, customer.team_id)
    return customer


def _view(customer: Customer, assignments: AssignmentStore, contacts: ContactStore) -> CustomerFileView:
    history = assignments.of_customer(customer.id)
    since = history[-1].effective_from if history and history[-1].manager_id == customer.manager_id else None
    listed = list(contacts.scoped("customer_id", customer.id))
    return CustomerFileView(customer, since, listed)


def get_customer_file(
    caller: Caller, customer_id: str, *, customers: CustomerStore, assignments: AssignmentStore, contacts: ContactStore
) -> CustomerFileView:
    """The responsible manager, the team's supervisor and admins read it; others 403."""
    return _view(_readable(caller, customer_id, customers), assignments, contacts)


def update_customer_file(
    cmd: UpdateCustomerFile,
    *,
    customers: CustomerStore,
    versions: CustomerVersionStore,
    assignments: AssignmentStore,
    contacts: ContactStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> CustomerFileView:
    """Apply an edit made on the current version (409 version_conflict otherwise) and record it."""
    customer = customers.get(cmd.customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=cmd.customer_id)
    ensure_can_edit(cmd.caller, customer)
    if cmd.expected_version != customer.version:
        raise StaleVersion(customer_id=customer.id, version=customer.version)
    changed = edited(customer, cmd.fields)
    changes = changes_between(customer, changed)
    if not changes:
        return _view(customer, assignments, contacts)
    changed = dataclasses.replace(changed, version=customer.version + 1)
    if not customers.save_if_version(changed, customer.version):
        raise StaleVersion(customer_id=customer.id)
    at = now()
    at = at.replace(microsecond=at.microsecond // 1000 * 1000)
    versions.insert_many([CustomerVersion(customer.id, changed.version, cmd.caller.id, at, "edit", changes)])
    publisher.publish(events.customer_upserted(changed))
    return _view(changed, assignments, contacts)


def list_customer_versions(
    caller: Caller, customer_id: str, *, customers: CustomerStore, versions: CustomerVersionStore
) -> list[CustomerVersion]:
    """Every recorded change of the customer, oldest first; read as the file is."""
    _readable(caller, customer_id, customers)
    return versions.of_customer(customer_id)
