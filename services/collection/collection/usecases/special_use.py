"""Special-use reports (docs/domain.md §1.5.9.2): filed by the customer's manager, P-002-T9 price guidance warned.

Not tied to a visit (§3.5 item 7). Replay-safe: the report id derives from caller and op_id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.events import SpecialUseReported
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, now_utc
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.photo_store import PhotoStore
from collection.adapters.sku_store import SkuStore
from collection.adapters.special_use_store import SpecialUseStore
from collection.domain import agreed_quantity as agreed_rules
from collection.domain import special_use as rules
from collection.domain.errors import CustomerNotFound
from collection.domain.model import AgreedLine, SpecialUseReport
from collection.domain.photos import checked_references
from collection.usecases.price_inventory import CustomerQuery, readable_owner

NAMESPACE = uuid.UUID("7e4b1c2d-8f9a-4e3b-a1c6-5d2f0b9e8a74")


@dataclass(frozen=True)
class FileReport:
    caller: Caller
    customer_id: str
    op_id: str
    consumer_name: str
    phone: str
    occasion: str
    area: str
    event_date: str
    lines: Sequence[AgreedLine]
    note: str = ""
    photo_ids: Sequence[str] = ()


def file_report(
    cmd: FileReport,
    *,
    owners: CustomerOwnerStore,
    skus: SkuStore,
    reports: SpecialUseStore,
    photos: PhotoStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> tuple[SpecialUseReport, bool]:
    """The stored report and whether it is a replay of the same op_id."""
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    report_id = str(uuid.uuid5(NAMESPACE, f"{cmd.caller.id}:{cmd.op_id}"))
    stored = reports.get(report_id)
    if stored is not None:
        return stored, True
    owner = owners.get(cmd.customer_id)
    if owner is None:
        raise CustomerNotFound(customer_id=cmd.customer_id)
    agreed_rules.ensure_can_write(cmd.caller, owner)
    catalogue = {s.sku: s for s in skus.list(include_inactive=True)}
    lines = rules.check_report(
        cmd.consumer_name, cmd.phone, cmd.occasion, cmd.area, cmd.event_date, cmd.lines, catalogue
    )
    photo_ids = checked_references(cmd.customer_id, cmd.photo_ids, photos.many(cmd.photo_ids))
    at = now()
    report = reports.add(
        SpecialUseReport(
            report_id=report_id,
            customer_id=cmd.customer_id,
            manager_id=owner.manager_id,
            team_id=owner.team_id,
            consumer_name=cmd.consumer_name.strip(),
            phone=cmd.phone.strip(),
            occasion=cmd.occasion,
            area=cmd.area,
            event_date=cmd.event_date,
            lines=lines,
            note=cmd.note.strip(),
            warnings=rules.price_warnings(cmd.occasion, cmd.area, lines, catalogue),
            filed_at=at.replace(microsecond=at.microsecond // 1000 * 1000),
            op_id=cmd.op_id,
            photo_ids=photo_ids,
        )
    )
    publisher.publish(_event(report))
    return report, False


def list_reports(
    query: CustomerQuery, *, owners: CustomerOwnerStore, reports: SpecialUseStore
) -> list[SpecialUseReport]:
    readable_owner(query.caller, query.customer_id, owners)
    return reports.for_customer(query.customer_id)


def _event(r: SpecialUseReport) -> SpecialUseReported:
    """Consumer name and phone stay in collection: analytics gets the occasion, the lines and the warnings."""
    return SpecialUseReported(
        event_id=str(uuid.uuid5(NAMESPACE, f"event:{r.report_id}")),
        report_id=r.report_id,
        customer_id=r.customer_id,
        manager_id=r.manager_id,
        team_id=r.team_id,
        occasion=r.occasion,
        area=r.area,
        event_date=r.event_date,
        lines=[{"sku": line.sku, "qty": line.qty} for line in r.lines],
        warnings=len(r.warnings),
        filed_at=iso(r.filed_at),
    )
