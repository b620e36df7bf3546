"""AppointmentStore: collection `appointments` (_id = appointment id). Indexes: `day_key` ("<manager>:<date>")."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, ensure_indexes, store_adapter
from planning.domain.appointments import Appointment


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _from_doc(doc: Document) -> Appointment:
    values = {k: v for k, v in doc.items() if k in _FIELDS}
    values.update(booked_at=_aware(doc["booked_at"]), scheduled_at=_aware(doc["scheduled_at"]))
    return Appointment(id=doc["_id"], **values)


_FIELDS = {f.name for f in dataclasses.fields(Appointment)} - {"id"}


@store_adapter
class AppointmentStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("day_key", ASCENDING)], name="day_key")])

    def insert(self, appointment: Appointment) -> bool:
        """False when this id exists already (a replayed booking)."""
        doc = dataclasses.asdict(appointment)
        doc["_id"] = doc.pop("id")
        doc["day_key"] = f"{appointment.manager_id}:{appointment.date}"
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def get(self, appointment_id: str) -> Appointment | None:
        doc = self.collection.find_one({"_id": appointment_id})
        return _from_doc(doc) if doc else None

    def for_day(self, manager_id: str, day: str) -> list[Appointment]:
        docs = self.collection.find({"day_key": f"{manager_id}:{day}"})
        return sorted((_from_doc(d) for d in docs), key=lambda a: (a.scheduled_at, a.id))
