"""Field types every write shares: op_id (a client UUID) and client_ts (ISO 8601 with offset)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from baifang_common.errors import InvalidArgument
from baifang_common.timeutil import parse_ts


def _op_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise ValueError("op_id must be a UUID") from exc


def _client_ts(value: str) -> str:
    try:
        parse_ts(value)
    except InvalidArgument as exc:
        raise ValueError("must be an ISO 8601 time with a UTC offset") from exc
    return value


# The formats document the values (and let a schema-driven fuzzer generate accepted ones).
OpId = Annotated[str, Field(min_length=32, max_length=64, json_schema_extra={"format": "uuid"}), AfterValidator(_op_id)]
ClientTs = Annotated[
    str, Field(min_length=10, max_length=64, json_schema_extra={"format": "date-time"}), AfterValidator(_client_ts)
]


class ApiModel(BaseModel):
    """Request bodies: no NaN/Infinity, unknown fields ignored (clients may be newer than us)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, str_max_length=10_000)


class WriteModel(ApiModel):
    op_id: OpId
