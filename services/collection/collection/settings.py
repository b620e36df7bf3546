"""Collection settings: the shared infrastructure names plus collection's own knobs (COLLECTION_*)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from baifang_common.settings import ServiceSettings


class CollectionSettings(ServiceSettings):
    service: ClassVar[str] = "collection"
    model_config = SettingsConfigDict(env_prefix="COLLECTION_", extra="ignore", populate_by_name=True, frozen=True)

    # §1.2: the largest photo stored (the gateway refuses larger uploads first, with the same figure).
    photo_max_bytes: int = 5 * 1024 * 1024
