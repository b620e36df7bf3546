"""ContactStore: collection `contacts` (_id = contact id). Indexes: manager_id, team_id."""

from __future__ import annotations

import dataclasses

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, ensure_indexes, store_adapter
from planning.domain.contacts import Contact, ContactRole

_FIELDS = {f.name for f in dataclasses.fields(Contact)} - {"id"}


def _from_doc(doc: Document) -> Contact:
    values = {k: v for k, v in doc.items() if k in _FIELDS}
    values["role"] = ContactRole(doc.get("role", "other"))
    return Contact(id=doc["_id"], **values)


@store_adapter
class ContactStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(
            self.collection,
            [
                IndexModel([("manager_id", ASCENDING)], name="manager"),
                IndexModel([("team_id", ASCENDING)], name="team"),
            ],
        )

    def insert(self, contact: Contact) -> bool:
        doc = {**dataclasses.asdict(contact), "role": contact.role.value}
        doc["_id"] = doc.pop("id")
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def get(self, contact_id: str) -> Contact | None:
        doc = self.collection.find_one({"_id": contact_id})
        return _from_doc(doc) if doc else None

    def scoped(self, field: str, value: str | None) -> list[Contact]:
        """Contacts whose `field` (manager_id or team_id) is `value`; every contact when value is None."""
        docs = self.collection.find({} if value is None else {field: value})
        return sorted((_from_doc(d) for d in docs), key=lambda c: (c.name, c.id))
