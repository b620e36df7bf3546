"""Admin file imports, shared by every `POST /admin/import/<kind>` route.

A file is JSON lines, or CSV with a header row when the content type says `csv`. Each kind supplies
a row reader (record → value, or RowProblem) and an applier (a chunk of values → ChunkResult); this
module reads the rows with their 1-based line numbers, refuses a malformed file as a whole (422
`invalid_import` naming the rows), sends the sound rows in chunks and sums the per-row report
{applied, unchanged, rejected: [{row, field, reason}]}. Files with more rows than
`import_sync_rows` run as a background job whose progress is kept in Redis
(`import_job:<job_id>`, readable by `GET /admin/imports/{job_id}` from any gateway process).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson
import redis.asyncio as aioredis

from baifang_common.redis import key
from baifang_common.timeutil import iso, now_utc
from gateway.errors import ApiError
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

T = TypeVar("T")
TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"0", "false", "no", "n", "f"}
# At most this many malformed rows are named in a 422 (the file is refused whole anyway).
MAX_MALFORMED_LISTED = 100
# At most this many refused rows are kept in a job's report (the counts stay exact).
MAX_REJECTED_KEPT = 10_000


class RowProblem(ValueError):
    """A row that can be read but is not sound: reported, the rest of the file goes on."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def read_rows(body: bytes, content_type: str, strict: bool = False) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(line number, record) per non-blank row; record None when the row is not an object (or, when
    strict, a CSV row with more cells than the header, which are otherwise ignored).

    Raises UnicodeDecodeError when the file is not UTF-8 (a BOM is allowed).
    """
    text = body.decode("utf-8-sig")
    return _csv_rows(text, strict) if "csv" in content_type.casefold() else _json_lines(text)


def _json_lines(text: str) -> Iterator[tuple[int, dict[str, Any] | None]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield number, None
            continue
        yield number, record if isinstance(record, dict) else None


def _csv_rows(text: str, strict: bool) -> Iterator[tuple[int, dict[str, Any] | None]]:
    reader = csv.DictReader(io.StringIO(text))
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a NUL byte, an unterminated quote at the end: the row cannot be read
            yield reader.line_num, None
            continue
        if any((v or "").strip() for v in record.values() if isinstance(v, str)):
            # Cells beyond the header land under the key None.
            overlong = strict and None in record
            yield reader.line_num, None if overlong else {k.strip(): v for k, v in record.items() if isinstance(k, str)}


def integer(value: Any, low: int = -(10**12), high: int = 10**12) -> int:
    """Integers only: a float (even 45.0) or a decimal string is refused."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    if not low <= value <= high:
        raise ValueError("out of range")
    return value


def number(value: Any) -> float:
    """A finite decimal number, from JSON or CSV text."""
    if isinstance(value, bool):
        raise ValueError("must be a number")
    try:
        result = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError("must be a number") from exc
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError("must be a number")
    return result


def flag(value: Any) -> bool:
    """true/false, yes/no, 1/0; empty means true."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in TRUE or text == "":
        return True
    if text in FALSE:
        return False
    raise ValueError("must be true or false")


def text(record: dict[str, Any], name: str, *, required: bool = False, limit: int = 200) -> str:
    """A text cell, trimmed; RowProblem when required and empty, or too long."""
    value = record.get(name)
    if isinstance(value, dict | list):
        raise RowProblem(name, "must be text")
    result = "" if value is None else str(value).strip()
    if required and not result:
        raise RowProblem(name, "required")
    if len(result) > limit:
        raise RowProblem(name, f"at most {limit} characters")
    return result


@dataclass
class Rows(Generic[T]):
    """The sound rows of a file (with their line numbers) and the refused ones."""

    values: list[T] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.values) + len(self.rejected)


def read_file(body: bytes, content_type: str, reader: Callable[[dict[str, Any]], T]) -> Rows[T]:
    """Every row through `reader`; 400 when not UTF-8, 422 invalid_import naming rows that are not records."""
    try:
        rows = list(read_rows(body, content_type, strict=True))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_request", "the file is not UTF-8 text", {"body": "not UTF-8"}) from exc
    malformed = [line for line, record in rows if record is None]
    if malformed or not rows:
        listed = malformed[:MAX_MALFORMED_LISTED]
        reason = "not a JSON object" if "csv" not in content_type.casefold() else "more cells than the header"
        details = {"rows": [{"row": line, "reason": reason} for line in listed], "malformed": len(malformed)}
        raise ApiError(422, "invalid_import", "the file has malformed rows; nothing was imported", details)
    result: Rows[T] = Rows()
    for line, record in rows:
        assert record is not None
        try:
            value = reader(record)
        except RowProblem as problem:
            result.rejected.append({"row": line, "field": problem.field, "reason": problem.reason})
            continue
        result.values.append(value)
        result.lines.append(line)
    return result


@dataclass(frozen=True)
class ChunkResult:
    """What the applier did with one chunk: refused rows by their index within the chunk."""

    applied: int
    unchanged: int
    rejected: Sequence[tuple[int, str, str]] = ()


Applier = Callable[[Sequence[T]], Awaitable[ChunkResult]]


@dataclass
class ImportReport:
    applied: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        rejected = sorted(self.rejected, key=lambda r: r["row"])
        return {"applied": self.applied, "unchanged": self.unchanged, "rejected": rejected}


async def apply_rows(
    rows: Rows[T],
    apply: Applier[T],
    chunk: int,
    progress: Callable[[int, ImportReport], Awaitable[None]] | None = None,
    parallel: int = 1,
) -> ImportReport:
    """Send the sound rows chunk by chunk, `parallel` chunks at a time; each refusal mapped back to its line."""
    report = ImportReport(rejected=list(rows.rejected))
    starts = list(range(0, len(rows.values), chunk))
    for wave in range(0, len(starts), parallel):
        firsts = starts[wave : wave + parallel]
        results = await asyncio.gather(*(apply(rows.values[first : first + chunk]) for first in firsts))
        for first, done in zip(firsts, results, strict=True):
            report.applied += done.applied
            report.unchanged += done.unchanged
            report.rejected += [
                {"row": rows.lines[first + index], "field": name, "reason": reason}
                for index, name, reason in done.rejected
            ]
        if progress is not None:
            await progress(min(firsts[-1] + chunk, len(rows.values)) + len(rows.rejected), report)
    return report


@dataclass(frozen=True)
class ImportJobs:
    """Background imports: their progress and report in Redis, the work in this process's event loop."""

    redis: aioredis.Redis
    settings: GatewaySettings
    running: set[asyncio.Task[None]] = field(default_factory=set)

    def _key(self, job_id: str) -> str:
        return key(self.settings, "import_job", job_id)

    async def _save(self, job: dict[str, Any]) -> None:
        await self.redis.set(self._key(job["job_id"]), orjson.dumps(job), ex=self.settings.import_job_ttl_seconds)

    async def get(self, job_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self._key(job_id))
        job: dict[str, Any] | None = orjson.loads(raw) if raw else None
        return job

    async def start(self, kind: str, rows: Rows[T], apply: Applier[T], started_by: str) -> dict[str, Any]:
        """Record the job as running, run it in the background; the job as first recorded."""
        job: dict[str, Any] = {
            "job_id": secrets.token_urlsafe(12),
            "kind": kind,
            "status": "running",
            "started_by": started_by,
            "started_at": iso(now_utc()),
            "finished_at": None,
            "total": rows.total,
            "processed": len(rows.rejected),
            "report": ImportReport(rejected=list(rows.rejected)).as_dict(),
        }
        await self._save(job)
        task = asyncio.create_task(self._run(job, rows, apply))
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return job

    async def _run(self, job: dict[str, Any], rows: Rows[T], apply: Applier[T]) -> None:
        async def progress(processed: int, report: ImportReport) -> None:
            await self._save({**job, "processed": processed, "report": _kept(report)})

        try:
            s = self.settings
            report = await apply_rows(rows, apply, s.import_chunk_rows, progress, s.import_parallel_chunks)
            job.update(status="done", processed=rows.total, report=_kept(report))
        except ApiError as exc:
            logger.warning("import job %s failed: %s", job["job_id"], exc.message)
            job.update(status="failed", error={"code": exc.code, "message": exc.message})
        except Exception:
            logger.exception("import job %s failed", job["job_id"])
            job.update(status="failed", error={"code": "internal", "message": "the import stopped; run it again"})
        job["finished_at"] = iso(now_utc())
        await self._save(job)


def _kept(report: ImportReport) -> dict[str, Any]:
    answer = report.as_dict()
    answer["rejected"] = answer["rejected"][:MAX_REJECTED_KEPT]
    return answer


async def run_import(
    jobs: ImportJobs, kind: str, rows: Rows[T], apply: Applier[T], started_by: str
) -> tuple[int, dict[str, Any]]:
    """(200, report) for a small file; (202, job) for a large one, which runs in the background."""
    if rows.total > jobs.settings.import_sync_rows:
        return 202, await jobs.start(kind, rows, apply, started_by)
    report = await apply_rows(
        rows, apply, jobs.settings.import_chunk_rows, parallel=jobs.settings.import_parallel_chunks
    )
    return 200, report.as_dict()
