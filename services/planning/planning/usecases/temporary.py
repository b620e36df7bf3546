"""Change customer (§1.5.2): look a scanned outlet up, and add it to today's list as a temporary visit."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.idempotency import OpStore
from baifang_common.publisher import EventPublisher
from baifang_common.qr import qr_customer_id, qr_signature_ok
from baifang_common.timeutil import parse_date
from planning.adapters.customer_store import CustomerStore
from planning.adapters.task_library_store import TaskLibraryStore
from planning.adapters.visit_store import VisitStore
from planning.domain import rules
from planning.domain.errors import CustomerNotFound, InvalidQr, ManagersOnly
from planning.domain.model import Customer, Visit, visit_from_dict, visit_to_dict
from planning.usecases import events

OP_KIND = "visit.temporary"


@dataclass(frozen=True)
class LookupCustomer:
    caller: Caller
    qr: str
    # YYYY-MM-DD; empty = today in the company time zone.
    date: str = ""


@dataclass(frozen=True)
class CustomerLookup:
    """The scanned outlet, its visit on the caller's list that day (if any), and whether it may be added."""

    customer: Customer
    visit: Visit | None
    may_add: bool


@dataclass(frozen=True)
class AddTemporaryVisit:
    caller: Caller
    op_id: str
    task_codes: tuple[str, ...]
    qr: str = ""
    customer_id: str = ""


@dataclass(frozen=True)
class TemporaryVisitResult:
    visit: Visit
    customer: Customer
    # False when the customer was on the day's list already: the existing visit is the answer (R-1.5.2-e).
    created: bool
    replayed: bool = False


def lookup_customer(
    query: LookupCustomer,
    *,
    visits: VisitStore,
    customers: CustomerStore,
    scope: rules.ServingScope,
    today: Callable[[], date],
) -> CustomerLookup:
    """Verify the signed code, then the outlet summary and whether it is on the caller's list that day."""
    customer = scanned_customer(query.qr, customers)
    rules.ensure_may_serve(query.caller, customer, scope)
    day = (parse_date(query.date) if query.date else today()).isoformat()
    visit = visits.find(query.caller.id, day, customer.id)
    return CustomerLookup(customer, visit, may_add=query.caller.is_manager and visit is None)


def scanned_customer(qr: str, customers: CustomerStore) -> Customer:
    """The outlet a QR payload names, when its signature holds (422 invalid_qr otherwise)."""
    customer_id = qr_customer_id(qr)
    if customer_id is None:
        raise InvalidQr(reason="malformed")
    customer = customers.get(customer_id)
    if customer is None:
        raise InvalidQr(reason="unknown_customer")
    if not qr_signature_ok(qr, customer.qr_secret):
        raise InvalidQr(reason="bad_signature")
    return customer


def add_temporary_visit(
    cmd: AddTemporaryVisit,
    *,
    visits: VisitStore,
    customers: CustomerStore,
    library: TaskLibraryStore,
    ops: OpStore,
    publisher: EventPublisher,
    scope: rules.ServingScope,
    today: Callable[[], date],
) -> TemporaryVisitResult:
    """R-1.5.2-a..e: a temporary visit on today's list (online only), idempotent by op_id.

    The same customer twice on one day answers the visit already there (created=False).
    """
    if not cmd.caller.is_manager:
        raise ManagersOnly(role=cmd.caller.role)
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    stored = ops.get(cmd.caller.id, cmd.op_id)
    if stored is not None:
        return _decode(stored, customers, replayed=True)
    customer = _chosen_customer(cmd, customers)
    rules.ensure_may_serve(cmd.caller, customer, scope)
    tasks = rules.choose_tasks(cmd.task_codes, library.list_all())
    day = today().isoformat()
    visit, created = _existing(visits, cmd.caller.id, day, customer.id), False
    if visit is None:
        order = max((v.order for v in visits.for_day(cmd.caller.id, day)), default=0) + 1
        fresh = rules.temporary_visit(
            _visit_id(cmd.caller.id, day, customer.id), cmd.caller, customer, day, tasks, order
        )
        created = visits.insert_new(fresh)
        visit = fresh if created else _existing(visits, cmd.caller.id, day, customer.id) or fresh
    if visit.temporary:
        # Published again on a repeat: the event id is deterministic, analytics deduplicates.
        publisher.publish(events.visit_temporary_added(visit, source="qr" if cmd.qr else "customer_id"))
    raw = ops.put(cmd.caller.id, cmd.op_id, OP_KIND, _encode(visit, created))
    return _decode(raw, customers, replayed=False)


def _chosen_customer(cmd: AddTemporaryVisit, customers: CustomerStore) -> Customer:
    if cmd.qr:
        return scanned_customer(cmd.qr, customers)
    if not cmd.customer_id:
        raise InvalidArgument("qr or customer_id is required", field="qr")
    customer = customers.get(cmd.customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=cmd.customer_id)
    return customer


def _existing(visits: VisitStore, manager_id: str, day: str, customer_id: str) -> Visit | None:
    return visits.find(manager_id, day, customer_id)


def _visit_id(manager_id: str, day: str, customer_id: str) -> str:
    """Deterministic, so two racing requests for the same slot make one visit."""
    return "tv-" + events.event_id("visit.temporary", manager_id, day, customer_id)


def _encode(visit: Visit, created: bool) -> bytes:
    return json.dumps({"visit": visit_to_dict(visit), "created": created}, default=str).encode()


def _decode(raw: bytes, customers: CustomerStore, *, replayed: bool) -> TemporaryVisitResult:
    data = json.loads(raw)
    visit = visit_from_dict(data["visit"])
    customer = customers.get(visit.customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=visit.customer_id)
    return TemporaryVisitResult(visit, customer, bool(data["created"]), replayed)
