"""Customers and visits for planning's integration tests (unique ids, a manager's usual outlet)."""

from __future__ import annotations

from typing import Any

from baifang_common.testing.plugin import unique
from planning.domain.model import Customer, Task, Visit, VisitMethod, VisitStatus


def make_customer(manager_id: str = "m001", team_id: str = "t01", **kw: Any) -> Customer:
    cid = kw.pop("id", unique("cu"))
    return Customer(
        id=cid,
        code=kw.pop("code", "C" + cid),
        name=kw.pop("name", "王记便利店"),
        manager_id=manager_id,
        team_id=team_id,
        lat=31.82,
        lon=117.23,
        star=3,
        terminal_type="便利店",
        qr_secret=kw.pop("qr_secret", unique("s")),
        **kw,
    )


def make_visit(customer: Customer, day: str, order: int = 1, **kw: Any) -> Visit:
    vid = kw.pop("id", unique("v"))
    tasks = (
        Task(f"{vid}.t1", "T01", "陈列检查", "basic", "检查卷烟陈列"),
        Task(f"{vid}.t2", "T04", "价库采集", "collection:price_inventory", "采集价格和库存"),
    )
    return Visit(
        id=vid,
        manager_id=customer.manager_id,
        team_id=customer.team_id,
        date=day,
        customer_id=customer.id,
        order=order,
        tasks=kw.pop("tasks", tasks),
        method=kw.pop("method", VisitMethod.ON_SITE),
        status=kw.pop("status", VisitStatus.PLANNED),
        **kw,
    )
