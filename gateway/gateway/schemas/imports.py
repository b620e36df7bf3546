"""Admin imports: the file body and the report (documentation: the routes answer plain JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


def import_body(columns: str) -> dict[str, Any]:
    """openapi_extra: the body is a file, JSON lines (default) or CSV with a header row."""
    text = {"type": "string", "description": f"one record per line; {columns}"}
    return {
        "requestBody": {
            "required": True,
            "content": {"application/x-ndjson": {"schema": text}, "text/csv": {"schema": text}},
        }
    }


class ImportRejection(BaseModel):
    row: int
    field: str
    reason: str


class ImportAnswer(BaseModel):
    """A finished import: rows applied, rows equal to the stored record, refused rows by line number."""

    applied: int
    unchanged: int
    rejected: list[ImportRejection]


class ImportFailure(BaseModel):
    code: str
    message: str


class ImportJob(BaseModel):
    """A background import (202, and GET /admin/imports/{job_id})."""

    job_id: str
    kind: Literal["users", "customers", "plans", "tasks", "targets"]
    status: Literal["running", "done", "failed"]
    started_by: str
    started_at: str
    finished_at: str | None
    total: int
    processed: int
    report: ImportAnswer
    error: ImportFailure | None = None
