"""Request bodies of the checkin routes."""

from __future__ import annotations

from pydantic import Field

from gateway.schemas.common import ClientTs, WriteModel


class CheckinRequest(WriteModel):
    qr: str = Field(min_length=1, max_length=512)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(ge=0, le=1_000_000)
    client_ts: ClientTs
    mock_location: bool = False
    fix_ts: ClientTs | None = None
    # The visit selected before scanning (R-1.5.3-c); a code of another customer is 422 qr_mismatch.
    visit_id: str = Field(default="", max_length=128)
