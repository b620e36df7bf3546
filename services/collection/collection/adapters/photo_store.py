"""PhotoStore: the GridFS bucket `photos` (collections `photos.files`, `photos.chunks`).

    files: _id (photo_id), length, filename (= photo_id), uploadDate,
           metadata {customer_id, visit_id, owner_id, kind, content_type, width, height, uploaded_at (ISO UTC)}
    indexes: GridFS's own; `metadata.customer_id` for the references check

The id derives from the uploader, the outlet and the content, so a retried upload finds the stored
photo instead of storing it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gridfs import GridFSBucket
from gridfs.errors import NoFile
from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

from baifang_common.mongo import Document, store_adapter
from baifang_common.timeutil import iso
from collection.domain.model import Photo

BUCKET = "photos"


def _photo(doc: dict[str, Any]) -> Photo:
    meta = doc.get("metadata") or {}
    return Photo(
        photo_id=str(doc["_id"]),
        customer_id=str(meta.get("customer_id", "")),
        visit_id=str(meta.get("visit_id", "")),
        owner_id=str(meta.get("owner_id", "")),
        kind=str(meta.get("kind", "")),
        content_type=str(meta.get("content_type", "")),
        width=int(meta.get("width", 0)),
        height=int(meta.get("height", 0)),
        size=int(doc.get("length", 0)),
        uploaded_at=datetime.fromisoformat(str(meta.get("uploaded_at"))),
    )


@store_adapter
class PhotoStore:
    def __init__(self, db: Database[Document]) -> None:
        self.files = db[f"{BUCKET}.files"]
        self.bucket = GridFSBucket(db, bucket_name=BUCKET)

    def ensure_indexes(self) -> None:
        self.files.create_indexes([IndexModel([("metadata.customer_id", ASCENDING)])])

    def put(self, photo: Photo, data: bytes) -> Photo:
        """Store once: an id already stored answers the stored photo."""
        stored = self.get(photo.photo_id)
        if stored is not None:
            return stored
        metadata = {
            "customer_id": photo.customer_id,
            "visit_id": photo.visit_id,
            "owner_id": photo.owner_id,
            "kind": photo.kind,
            "content_type": photo.content_type,
            "width": photo.width,
            "height": photo.height,
            # Our own time as ISO text: NX-27017 keeps GridFS's uploadDate as a naive string.
            "uploaded_at": iso(photo.uploaded_at),
        }
        self.bucket.upload_from_stream_with_id(photo.photo_id, photo.photo_id, data, metadata=metadata)
        kept = self.get(photo.photo_id)
        return kept if kept is not None else photo

    def get(self, photo_id: str) -> Photo | None:
        doc = self.files.find_one({"_id": photo_id})
        return _photo(doc) if doc else None

    def content(self, photo_id: str) -> bytes | None:
        try:
            return self.bucket.open_download_stream(photo_id).read()
        except NoFile:
            return None

    def many(self, photo_ids: Sequence[str]) -> dict[str, Photo]:
        """The stored photos among these ids (one query; none without ids)."""
        if not photo_ids:
            return {}
        return {str(doc["_id"]): _photo(doc) for doc in self.files.find({"_id": {"$in": list(set(photo_ids))}})}
