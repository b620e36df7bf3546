"""Contacts directory (§1.5.11.2): add a contact to a customer you serve; search what you may see."""

from __future__ import annotations

from dataclasses import dataclass

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from planning.adapters.contact_store import ContactStore
from planning.adapters.customer_store import CustomerStore
from planning.domain import rules
from planning.domain.assistant import text
from planning.domain.contacts import Contact, matches, role_of
from planning.domain.errors import CustomerNotFound
from planning.usecases.events import event_id


@dataclass(frozen=True)
class AddContact:
    caller: Caller
    op_id: str
    customer_id: str
    name: str
    role: str
    phone: str


@dataclass(frozen=True)
class SearchContacts:
    caller: Caller
    q: str = ""
    role: str = ""
    customer_id: str = ""


def add_contact(
    cmd: AddContact, *, contacts: ContactStore, customers: CustomerStore, scope: rules.ServingScope
) -> Contact:
    """A person at an outlet the caller serves (403 otherwise); idempotent by op_id."""
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    customer = customers.get(cmd.customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=cmd.customer_id)
    rules.ensure_may_serve(cmd.caller, customer, scope)
    contact = Contact(
        id="ct-" + event_id("contact", cmd.caller.id, cmd.op_id),
        customer_id=customer.id,
        manager_id=customer.manager_id,
        team_id=customer.team_id,
        name=text(cmd.name, "name", 100),
        role=role_of(cmd.role),
        phone=text(cmd.phone, "phone", 32),
    )
    contacts.insert(contact)
    return contacts.get(contact.id) or contact


def search_contacts(query: SearchContacts, *, contacts: ContactStore, customers: CustomerStore) -> list[Contact]:
    """P-004-15: a manager sees their own customers' contacts, a supervisor their team's, an admin all."""
    caller = query.caller
    if caller.is_admin:
        seen = contacts.scoped("team_id", None)
    elif caller.is_supervisor:
        seen = contacts.scoped("team_id", caller.team_id or "-")
    else:
        seen = contacts.scoped("manager_id", caller.id)
    role = role_of(query.role) if query.role else None
    names = {c.id: c.name for c in customers.get_many(c.customer_id for c in seen).values()}
    return [c for c in seen if matches(c, names.get(c.customer_id, ""), query.q, role, query.customer_id)]
