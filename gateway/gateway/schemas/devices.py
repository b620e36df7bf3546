"""Request bodies of the admin device routes."""

from __future__ import annotations

from pydantic import Field

from gateway.schemas.common import ApiModel


class CreateDeviceRequest(ApiModel):
    customer_id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=200)
