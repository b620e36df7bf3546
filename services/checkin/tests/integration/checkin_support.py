"""Checkin's integration helpers: places near an outlet, the company's local time, outlets and
visits set up in the real planning service, and a check-in request for an outlet."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from baifang.checkin.v1 import checkin_pb2
from baifang.common.v1 import common_pb2
from baifang_common.qr import sign_qr
from baifang_common.testing.plugin import unique
from checkin.bootstrap import GrpcDeps
from checkin.settings import CheckinSettings
from planning.bootstrap import GrpcDeps as PlanningDeps
from planning.domain.model import Customer, Visit

TZ = ZoneInfo("Asia/Shanghai")
# People's Square, Shanghai, and a point about 1 km north of it.
HERE = (31.2304, 121.4737)
METRES_PER_DEGREE_LAT = 111_195.08


def north(metres: float, origin: tuple[float, float] = HERE) -> tuple[float, float]:
    return origin[0] + metres / METRES_PER_DEGREE_LAT, origin[1]


def now_local() -> datetime:
    return datetime.now(TZ)


@dataclass
class Outlet:
    customer: Customer
    qr: str
    visit_id: str = ""


@dataclass
class World:
    """Planning (real) + checkin deps, and helpers to create outlets and visits in planning."""

    planning: PlanningDeps
    planning_port: int
    checkin: GrpcDeps
    settings: CheckinSettings
    date: str

    def outlet(
        self,
        *,
        manager_id: str = "m001",
        on_list: bool = True,
        location: tuple[float, float] = HERE,
        date: str | None = None,
    ) -> Outlet:
        secret = uuid.uuid4().hex
        customer = Customer(
            id=unique("c"),
            code=unique("C"),
            name="便利店" + unique(""),
            manager_id=manager_id,
            team_id="t01",
            address="上海市黄浦区人民大道",
            lat=location[0],
            lon=location[1],
            star=3,
            terminal_type="便利店",
            qr_secret=secret,
        )
        self.planning.customers.insert_many([customer])
        outlet = Outlet(customer, sign_qr(customer.id, secret))
        if on_list:
            visit = Visit(
                id=unique("v"),
                manager_id=manager_id,
                team_id="t01",
                date=date or self.date,
                customer_id=customer.id,
            )
            self.planning.visits.insert_many([visit])
            outlet.visit_id = visit.id
        return outlet


def checkin_request(
    outlet: Outlet,
    *,
    op_id: str | None = None,
    at: tuple[float, float] = HERE,
    accuracy_m: float = 8.0,
    client_ts: str | None = None,
    mock_location: bool = False,
    qr: str | None = None,
) -> checkin_pb2.RecordCheckinRequest:
    return checkin_pb2.RecordCheckinRequest(
        op=common_pb2.OpMeta(op_id=op_id or str(uuid.uuid4()), client_ts=client_ts or now_local().isoformat()),
        qr=outlet.qr if qr is None else qr,
        lat=at[0],
        lon=at[1],
        accuracy_m=accuracy_m,
        mock_location=mock_location,
    )
