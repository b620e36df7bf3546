"""Document library (§1.5.11.4–5, §1.10): admins upload, everyone reads, by category."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.timeutil import now_utc
from planning.adapters.document_store import DocumentStore
from planning.domain.assistant import MAX_BODY, MAX_TITLE, text
from planning.domain.documents import Document, category_of
from planning.domain.errors import AdminsOnly
from planning.usecases.events import event_id


@dataclass(frozen=True)
class UploadDocument:
    caller: Caller
    op_id: str
    category: str
    title: str
    body: str


def upload_document(
    cmd: UploadDocument, *, documents: DocumentStore, now: Callable[[], datetime] = now_utc
) -> Document:
    """Admins only; idempotent by op_id."""
    if not cmd.caller.is_admin:
        raise AdminsOnly(role=cmd.caller.role)
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    at = now()
    document = Document(
        id="doc-" + event_id("document", cmd.caller.id, cmd.op_id),
        category=category_of(cmd.category),
        title=text(cmd.title, "title", MAX_TITLE),
        body=text(cmd.body, "body", MAX_BODY * 10),
        uploaded_by=cmd.caller.id,
        uploaded_at=at.replace(microsecond=at.microsecond // 1000 * 1000),
    )
    documents.insert(document)
    return documents.get(document.id) or document


def list_documents(caller: Caller, category: str, *, documents: DocumentStore) -> list[Document]:
    """Every authenticated user reads the library; newest first, optionally one category."""
    return documents.in_category(category_of(category) if category else None)
