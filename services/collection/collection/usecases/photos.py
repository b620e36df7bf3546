"""Photos (§1.2): upload by the customer's manager, read by those who may read the customer (P-004-15),
and the check that referenced photos exist and show the same customer.

The photo id is uuid5(uploader, customer, visit, kind, sha-256 of the bytes): a retried upload
answers the stored photo.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.timeutil import now_utc
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.photo_store import PhotoStore
from collection.adapters.planning_client import PlanningClient
from collection.domain import photos as rules
from collection.domain.agreed_quantity import ensure_can_write
from collection.domain.errors import CustomerNotFound, Forbidden, PhotoNotFound
from collection.domain.model import Photo
from collection.usecases.price_inventory import readable_owner

NAMESPACE = uuid.UUID("9a4d7c1e-5b3f-4e2a-8c6d-1f0e2b3a4c5d")


@dataclass(frozen=True)
class UploadPhoto:
    caller: Caller
    customer_id: str
    visit_id: str
    kind: str
    data: bytes


@dataclass(frozen=True)
class PhotoQuery:
    caller: Caller
    photo_id: str


def upload_photo(
    cmd: UploadPhoto,
    *,
    owners: CustomerOwnerStore,
    planning: PlanningClient,
    photos: PhotoStore,
    max_bytes: int,
    now: Callable[[], datetime] = now_utc,
) -> Photo:
    """Only the customer's manager; a visit, when named, must be theirs at this customer."""
    kind = cmd.kind or "other"
    if kind not in rules.KINDS:
        raise InvalidArgument(f"kind must be one of {', '.join(sorted(rules.KINDS))}", field="kind")
    info = rules.inspect(cmd.data, max_bytes)
    owner = owners.get(cmd.customer_id)
    if owner is None:
        raise CustomerNotFound(customer_id=cmd.customer_id)
    ensure_can_write(cmd.caller, owner)
    if cmd.visit_id:
        visit = planning.visit(cmd.visit_id)
        if visit.customer_id != cmd.customer_id or visit.manager_id != cmd.caller.id:
            raise Forbidden(visit_id=cmd.visit_id)
    digest = hashlib.sha256(cmd.data).hexdigest()
    photo_id = str(uuid.uuid5(NAMESPACE, f"{cmd.caller.id}:{cmd.customer_id}:{cmd.visit_id}:{kind}:{digest}"))
    moment = now()
    photo = Photo(
        photo_id=photo_id,
        customer_id=cmd.customer_id,
        visit_id=cmd.visit_id,
        owner_id=cmd.caller.id,
        kind=kind,
        content_type=info.content_type,
        width=info.width,
        height=info.height,
        size=len(cmd.data),
        uploaded_at=moment.replace(microsecond=moment.microsecond // 1000 * 1000),
    )
    return photos.put(photo, cmd.data)


def get_photo(query: PhotoQuery, *, owners: CustomerOwnerStore, photos: PhotoStore) -> tuple[Photo, bytes]:
    """The photo and its bytes for the customer's manager, that team's supervisor, admins (others 403)."""
    photo = photos.get(query.photo_id)
    data = photos.content(query.photo_id) if photo else None
    if photo is None or data is None:
        raise PhotoNotFound(photo_id=query.photo_id)
    readable_owner(query.caller, photo.customer_id, owners)
    return photo, data
