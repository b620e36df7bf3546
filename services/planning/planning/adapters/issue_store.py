"""IssueStore: collection `issues` (customer requests and complaints, _id = issue id). Indexes: manager_id, team_id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, ensure_indexes, store_adapter
from planning.domain.issues import Change, Issue, IssueKind, IssueStatus


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def to_doc(issue: Issue) -> Document:
    return {
        "_id": issue.id,
        "kind": issue.kind.value,
        "customer_id": issue.customer_id,
        "manager_id": issue.manager_id,
        "team_id": issue.team_id,
        "text": issue.text,
        "status": issue.status.value,
        "opened_at": issue.opened_at,
        "reply_due_at": issue.reply_due_at,
        "history": [{"status": c.status.value, "at": c.at, "by": c.by, "note": c.note} for c in issue.history],
        "version": issue.version,
    }


def from_doc(doc: Document) -> Issue:
    history = tuple(
        Change(IssueStatus(c["status"]), _aware(c["at"]), c.get("by", ""), c.get("note", ""))
        for c in doc.get("history", [])
    )
    return Issue(
        id=doc["_id"],
        kind=IssueKind(doc["kind"]),
        customer_id=doc["customer_id"],
        manager_id=doc["manager_id"],
        team_id=doc.get("team_id", ""),
        text=doc.get("text", ""),
        status=IssueStatus(doc["status"]),
        opened_at=_aware(doc["opened_at"]),
        reply_due_at=_aware(doc["reply_due_at"]),
        history=history,
        version=int(doc.get("version", 0)),
    )


@store_adapter
class IssueStore:
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

    def insert(self, issue: Issue) -> bool:
        try:
            self.collection.insert_one(to_doc(issue))
        except DuplicateKeyError:
            return False
        return True

    def get(self, issue_id: str) -> Issue | None:
        doc = self.collection.find_one({"_id": issue_id})
        return from_doc(doc) if doc else None

    def scoped(self, field: str, value: str | None) -> list[Issue]:
        """Issues whose `field` (manager_id or team_id) is `value`; all when value is None; oldest due first."""
        docs = self.collection.find({} if value is None else {field: value})
        return sorted((from_doc(d) for d in docs), key=lambda i: (i.reply_due_at, i.id))

    def save_if_version(self, issue: Issue, expected_version: int) -> bool:
        doc = to_doc(issue)
        del doc["_id"]
        doc["version"] = expected_version + 1
        result = self.collection.update_one({"_id": issue.id, "version": expected_version}, {"$set": doc})
        return result.modified_count == 1
