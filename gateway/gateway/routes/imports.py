"""Admin imports from the marketing system: accounts, customers, visit plans, the base task library
and the managers' targets.

Each takes JSON lines or CSV (gateway.imports) and answers {applied, unchanged, rejected: [{row,
field, reason}]}, or 202 with a job to poll when the file is large. Accounts live here in the
gateway; the next three are planning's (ImportCustomers, ImportPlans, ImportTasks), targets are
analytics' (ImportTargets). A customer's, a plan's or a target's manager must be an account already
(import users first): its team comes from there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from baifang.analytics.v1 import analytics_pb2
from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2 as pb
from baifang_common.context import Caller
from gateway.auth import require_roles
from gateway.deps import Deps, get_deps
from gateway.errors import ApiError
from gateway.imports import ChunkResult, RowProblem, flag, integer, number, read_file, run_import, text
from gateway.routes import API_PREFIX
from gateway.schemas.imports import ImportAnswer, ImportJob, import_body
from gateway.target_import import COLUMNS as TARGET_COLUMNS
from gateway.target_import import TargetRow, target_row
from gateway.users import ROLES, User

router = APIRouter(prefix=API_PREFIX, tags=["admin"])

AdminDep = Annotated[Caller, Depends(require_roles("admin"))]
DepsDep = Annotated[Deps, Depends(get_deps)]
JobId = Annotated[str, Path(min_length=1, max_length=64)]
ACCOUNT_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MIN_PASSWORD = 8
# Planning's import calls may take a while on a full chunk.
IMPORT_CALL_SECONDS = 60.0
CUSTOMER_COLUMNS = (
    "id, code, name, manager_id, lat, lon, short_code, licence_no, address, star, terminal_type,"
    " credit_grade, value_class, order_type, settlement_method, phone, route_id, area_id"
)
RESPONSES: dict[int | str, dict[str, Any]] = {202: {"model": ImportJob, "description": "a background job"}}


def _cell(record: dict[str, Any], name: str, convert: Any, default: Any = None) -> Any:
    raw = record.get(name)
    if raw is None or raw == "":
        if default is None:
            raise RowProblem(name, "required")
        return default
    try:
        return convert(raw)
    except ValueError as exc:
        raise RowProblem(name, str(exc)) from exc


@dataclass(frozen=True)
class AccountRow:
    id: str
    name: str
    role: str
    team_id: str
    active: bool
    password: str


def account_row(record: dict[str, Any]) -> AccountRow:
    user_id = text(record, "id", limit=64) or text(record, "username", required=True, limit=64)
    if not ACCOUNT_ID.fullmatch(user_id):
        raise RowProblem("id", "letters, digits, '_', '.' or '-' only")
    role = text(record, "role", required=True)
    if role not in ROLES:
        raise RowProblem("role", "manager, supervisor or admin")
    team_id = text(record, "team_id", required=role != "admin", limit=64)
    password = text(record, "password", limit=200)
    if password and len(password) < MIN_PASSWORD:
        raise RowProblem("password", f"at least {MIN_PASSWORD} characters")
    name = text(record, "name", required=True)
    return AccountRow(user_id, name, role, team_id, _cell(record, "active", flag, True), password)


async def _apply_accounts(rows: Sequence[AccountRow], deps: Deps) -> ChunkResult:
    """New accounts need a password; a given password is set unless it already is the account's."""
    stored = await deps.users.get_many(r.id for r in rows)
    rejected: list[tuple[int, str, str]] = []
    writes: list[tuple[User, bool]] = []
    unchanged = 0
    for index, row in enumerate(rows):
        old = stored.get(row.id)
        if old is None and not row.password:
            rejected.append((index, "password", "required for a new account"))
            continue
        same_password = not row.password or (
            old is not None and await deps.passwords.verify(old.password_hash, row.password, shed=False)
        )
        fields = (row.name, row.role, row.team_id, row.active)
        if old is not None and same_password and fields == (old.name, old.role, old.team_id, old.active):
            unchanged += 1
            continue
        hashed = old.password_hash if same_password and old else await deps.passwords.hash(row.password, shed=False)
        writes.append((User(row.id, *fields[:3], hashed, row.active), bool(old and old.active)))
    await deps.users.write_imported(writes)
    for user, _ in writes:
        deps.active_users.forget(user.id)
    return ChunkResult(len(writes), unchanged, rejected)


def customer_row(record: dict[str, Any]) -> pb.Customer:
    location = record.get("location") if isinstance(record.get("location"), dict) else {}
    assert isinstance(location, dict)
    lat = _cell({**record, **location}, "lat", number)
    lon = _cell({**record, **location}, "lon", number)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RowProblem("location", "latitude or longitude out of range")
    return pb.Customer(
        id=text(record, "id", required=True, limit=64),
        code=text(record, "code", required=True, limit=64),
        name=text(record, "name", required=True),
        manager_id=text(record, "manager_id", required=True, limit=64),
        short_code=text(record, "short_code", limit=32),
        licence_no=text(record, "licence_no", limit=64),
        address=text(record, "address"),
        location=common_pb2.GeoPoint(lat=lat, lon=lon),
        star=_cell(record, "star", lambda v: integer(v, 0, 5), 0),
        terminal_type=text(record, "terminal_type", limit=64),
        credit_grade=text(record, "credit_grade", limit=16),
        value_class=text(record, "value_class", limit=64),
        order_type=text(record, "order_type", limit=64),
        settlement_method=text(record, "settlement_method", limit=64),
        phone=text(record, "phone", limit=32),
        route_id=text(record, "route_id", limit=64),
        area_id=text(record, "area_id", limit=64),
    )


def _task_codes(value: Any) -> list[str]:
    codes = value if isinstance(value, list) else re.split(r"[;|,\s]+", str(value))
    return [str(code).strip() for code in codes if str(code).strip()]


def plan_row(record: dict[str, Any]) -> pb.PlanRow:
    codes = _task_codes(record.get("task_codes") or record.get("tasks") or "")
    if not codes:
        raise RowProblem("task_codes", "required")
    return pb.PlanRow(
        manager_id=text(record, "manager_id", required=True, limit=64),
        date=text(record, "date", required=True, limit=10),
        customer_id=text(record, "customer_id", required=True, limit=64),
        order=_cell(record, "order", lambda v: integer(v, 0, 10_000), 0),
        method=text(record, "method", limit=16) or "on_site",
        task_codes=codes,
    )


def task_row(record: dict[str, Any]) -> pb.LibraryTask:
    return pb.LibraryTask(
        code=text(record, "code", required=True, limit=32),
        name=text(record, "name", required=True),
        kind=text(record, "kind", limit=64) or "basic",
        method=text(record, "method", limit=2000),
    )


async def _managers(deps: Deps, rows: Sequence[Any]) -> tuple[list[Any], list[tuple[int, str, str]]]:
    """Rows whose manager is a manager account, with the account's team; the others refused."""
    accounts = await deps.users.get_many(r.manager_id for r in rows)
    sound, rejected = [], []
    for index, row in enumerate(rows):
        account = accounts.get(row.manager_id)
        if account is None or account.role != "manager":
            rejected.append((index, "manager_id", "no such manager account"))
            continue
        row.team_id = account.team_id
        sound.append((index, row))
    return sound, rejected


async def _apply_planning(deps: Deps, caller: Caller, kind: str, rows: Sequence[Any]) -> ChunkResult:
    """Send one chunk to planning; refusals come back by index into what was sent."""
    sent: list[tuple[int, Any]] = list(enumerate(rows))
    rejected: list[tuple[int, str, str]] = []
    if kind in ("customers", "plans"):
        sent, rejected = await _managers(deps, rows)
    values = [row for _, row in sent]
    planning = deps.clients.planning
    method: Any
    request: Any
    if kind == "customers":
        method, request = planning.ImportCustomers, pb.ImportCustomersRequest(customers=values)
    elif kind == "plans":
        method, request = planning.ImportPlans, pb.ImportPlansRequest(visits=values)
    else:
        method, request = planning.ImportTasks, pb.ImportTasksRequest(tasks=values)
    answer = await deps.clients.call(method, request, caller, write=True, timeout=IMPORT_CALL_SECONDS)
    rejected += [(sent[p.index][0], p.field, p.reason) for p in answer.rejected]
    return ChunkResult(answer.applied, answer.unchanged, rejected)


async def _apply_targets(deps: Deps, caller: Caller, rows: Sequence[TargetRow]) -> ChunkResult:
    """Targets of manager accounts (with their team) to analytics; its refusals mapped back by index."""
    sent, rejected = await _managers(deps, rows)
    if not sent:
        return ChunkResult(0, 0, rejected)
    request = analytics_pb2.BusinessViewRequest(body_json=orjson.dumps([row.as_dict() for _, row in sent]))
    answer = await deps.clients.call(
        deps.clients.analytics.ImportTargets, request, caller, write=True, timeout=IMPORT_CALL_SECONDS
    )
    report = orjson.loads(answer.json)
    rejected += [(sent[index][0], name, reason) for index, name, reason in report["rejected"]]
    return ChunkResult(int(report["applied"]), int(report["unchanged"]), rejected)


def _answer(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)


@router.post(
    "/admin/import/users",
    response_model=ImportAnswer,
    responses=RESPONSES,
    openapi_extra=import_body("id, name, role, team_id, active, password"),
)
async def import_users(request: Request, caller: AdminDep, deps: DepsDep) -> JSONResponse:
    """Accounts by id: name, role, team_id, active, password (required for new accounts only)."""
    rows = read_file(await request.body(), request.headers.get("content-type", ""), account_row)

    async def apply(chunk: Sequence[AccountRow]) -> ChunkResult:
        return await _apply_accounts(chunk, deps)

    return _answer(*await run_import(deps.imports, "users", rows, apply, caller.id))


async def _import_planning(kind: str, request: Request, caller: Caller, deps: Deps, reader: Any) -> JSONResponse:
    rows = read_file(await request.body(), request.headers.get("content-type", ""), reader)

    async def apply(chunk: Sequence[Any]) -> ChunkResult:
        return await _apply_planning(deps, caller, kind, chunk)

    return _answer(*await run_import(deps.imports, kind, rows, apply, caller.id))


@router.post(
    "/admin/import/customers",
    response_model=ImportAnswer,
    responses=RESPONSES,
    openapi_extra=import_body(CUSTOMER_COLUMNS),
)
async def import_customers(request: Request, caller: AdminDep, deps: DepsDep) -> JSONResponse:
    """Customers by id; a new or changed manager is an audited assignment (customer.assigned)."""
    return await _import_planning("customers", request, caller, deps, customer_row)


@router.post(
    "/admin/import/plans",
    response_model=ImportAnswer,
    responses=RESPONSES,
    openapi_extra=import_body("manager_id, date, customer_id, order, method, task_codes"),
)
async def import_plans(request: Request, caller: AdminDep, deps: DepsDep) -> JSONResponse:
    """Planned visits by (manager, date, customer); each day touched is published again."""
    return await _import_planning("plans", request, caller, deps, plan_row)


@router.post(
    "/admin/import/tasks",
    response_model=ImportAnswer,
    responses=RESPONSES,
    openapi_extra=import_body("code, name, kind, method"),
)
async def import_tasks(request: Request, caller: AdminDep, deps: DepsDep) -> JSONResponse:
    """Base task library entries by code."""
    return await _import_planning("tasks", request, caller, deps, task_row)


@router.post(
    "/admin/import/targets",
    response_model=ImportAnswer,
    responses=RESPONSES,
    openapi_extra=import_body(TARGET_COLUMNS + " (key_brands: {brand: cartons}, or brand:cartons;… in CSV)"),
)
async def import_targets(request: Request, caller: AdminDep, deps: DepsDep) -> JSONResponse:
    """Targets by (manager, period) (P-002-T1); a row equal to the stored target is unchanged."""
    rows = read_file(await request.body(), request.headers.get("content-type", ""), target_row)

    async def apply(chunk: Sequence[TargetRow]) -> ChunkResult:
        return await _apply_targets(deps, caller, chunk)

    return _answer(*await run_import(deps.imports, "targets", rows, apply, caller.id))


@router.get("/admin/imports/{job_id}", response_model=ImportJob)
async def import_job(job_id: JobId, caller: AdminDep, deps: DepsDep) -> dict[str, Any]:
    """A background import's progress, and its report so far (complete once `status` is done)."""
    job = await deps.imports.get(job_id)
    if job is None:
        raise ApiError(404, "not_found", "no such import job", {"job_id": job_id})
    return job
