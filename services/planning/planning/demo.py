"""Demo data (docs/api.md "Demo data"): the base task library, outlets around one city and visit plans
for every working day of the current month and today, written through planning's own stores.

Deterministic for a given seed and `today`; publishes what other services need to mirror it.
"""

from __future__ import annotations

import calendar
import logging
import math
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from baifang_common import mongo as mongo_factory
from baifang_common.demo import SURNAMES, DemoOrg, DemoUser
from baifang_common.events import CustomerAssigned, CustomerUpserted, Event, VisitPlanPublished
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, now_utc
from planning.bootstrap import build_stores
from planning.domain.model import Customer, LibraryTask, Task, TaskStatus, Visit, VisitMethod, VisitStatus
from planning.settings import PlanningSettings
from planning.usecases import events

logger = logging.getLogger(__name__)

CITY_CENTER = (31.82, 117.23)
CITY_RADIUS_KM = 15.0
CLUSTER_SPREAD_KM = 1.2
KM_PER_DEG_LAT = 111.0

TASK_LIBRARY: tuple[LibraryTask, ...] = (
    LibraryTask(
        "T01", "陈列检查", "basic", "检查卷烟陈列是否整齐、品规是否齐全，价签是否与商品对应，发现问题当场协助客户整改。"
    ),
    LibraryTask("T02", "价格检查", "basic", "核对主销品规的零售价格是否明码标价、是否在指导价范围内，记录异常价格。"),
    LibraryTask("T03", "新品推介", "basic", "向客户介绍新上市品规的卖点、定价和目标消费群体，了解客户的订购意向。"),
    LibraryTask(
        "T04",
        "价库采集",
        "collection:price_inventory",
        "逐个品规采集零售价格和实际库存，核对进货量，系统自动计算销量。",
    ),
    LibraryTask(
        "T05", "商定量录入", "collection:agreed_quantity", "与客户商定本月各品规的订购数量并录入，提交后不可修改。"
    ),
    LibraryTask(
        "T06",
        "终端资源采集",
        "collection:terminal_resources",
        "采集门店面积、柜台数量、陈列设施、客流情况等终端资源信息。",
    ),
    LibraryTask("T07", "库存检查", "basic", "查看柜台和仓库的存货情况，提醒客户合理库存，防止断货或积压。"),
    LibraryTask("T08", "政策宣传", "basic", "宣传最新的货源投放政策和诚信经营要求，解答客户疑问。"),
    LibraryTask("T09", "客户回访", "basic", "回访上次拜访时客户提出的问题和诉求，告知处理结果并记录客户反馈。"),
    LibraryTask("T10", "品牌上柜", "basic", "推动重点品牌上柜陈列，确认上柜位置和数量，拍照留存。"),
    LibraryTask(
        "T11",
        "终端信息维护",
        "collection:terminal_info",
        "核对客户的经营信息（地址、联系电话、终端类型等），有变化时及时更新。",
    ),
    LibraryTask("T12", "经营指导", "basic", "结合客户的销售数据，就进货结构、品规搭配和陈列方式提出建议。"),
)

TERMINAL_TYPES = (("便利店", 35), ("食杂店", 30), ("超市", 12), ("烟酒店", 18), ("娱乐服务类", 5))
CREDIT_GRADES = (("A", 30), ("B", 40), ("C", 22), ("D", 8))
VALUE_CLASSES = (("A", 10), ("B", 25), ("C", 50), ("D", 15))  # the A/B/C/D tiers (价值分类) that set visit frequency
ORDER_TYPES = (("网上订货", 60), ("电话订货", 25), ("访销", 15))
SETTLEMENTS = (("电子结算", 80), ("现金", 20))
PLACES = (
    "长江",
    "望湖",
    "金桥",
    "明珠",
    "和平",
    "翠竹",
    "清溪",
    "南湖",
    "东风",
    "云梦",
    "天鹅湖",
    "桂花园",
    "杏林",
    "青年",
    "梅山",
    "枫林",
    "振兴",
    "双岗",
    "三里",
    "花园",
)
ROADS = (
    "人民路",
    "解放路",
    "建设路",
    "中山路",
    "新华路",
    "文化路",
    "胜利路",
    "和平路",
    "青年路",
    "团结路",
    "光明路",
    "幸福路",
)
SUFFIXES = {"便利店": "便利店", "食杂店": "食杂店", "超市": "超市", "烟酒店": "烟酒店", "娱乐服务类": "休闲会所"}


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _offset(lat: float, lon: float, rng: random.Random, km: float, uniform_disc: bool) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * math.pi)
    dist = km * math.sqrt(rng.random()) if uniform_disc else abs(rng.gauss(0, km))
    dlat = dist * math.cos(angle) / KM_PER_DEG_LAT
    dlon = dist * math.sin(angle) / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def make_customers(org: DemoOrg, count: int, rng: random.Random) -> list[Customer]:
    """Outlets spread over the managers evenly; each manager's cluster sits somewhere in the city."""
    managers = org.managers
    centres = {m.id: _offset(*CITY_CENTER, rng, CITY_RADIUS_KM, True) for m in managers}
    result = []
    for n in range(1, count + 1):
        manager = managers[(n - 1) % len(managers)]
        lat, lon = _offset(*centres[manager.id], rng, CLUSTER_SPREAD_KM, False)
        terminal_type = _pick(rng, TERMINAL_TYPES)
        owner = rng.choice(SURNAMES)
        if terminal_type in ("便利店", "食杂店") and rng.random() < 0.6:
            name = f"{owner}记{SUFFIXES[terminal_type]}"
        else:
            name = f"{rng.choice(PLACES)}{SUFFIXES[terminal_type]}"
        result.append(
            Customer(
                id=f"cu{n:06d}",
                code=f"C{n:06d}",
                short_code=f"{rng.randrange(100000, 999999)}",
                name=f"{name}({n})" if rng.random() < 0.1 else name,
                licence_no=f"10{rng.randrange(10**9, 10**10)}",
                address=f"{rng.choice(ROADS)}{rng.randint(1, 999)}号",
                lat=lat,
                lon=lon,
                star=rng.choices((1, 2, 3, 4, 5), weights=(10, 25, 35, 20, 10))[0],
                terminal_type=terminal_type,
                credit_grade=_pick(rng, CREDIT_GRADES),
                value_class=_pick(rng, VALUE_CLASSES),
                order_type=_pick(rng, ORDER_TYPES),
                settlement_method=_pick(rng, SETTLEMENTS),
                phone=f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
                manager_id=manager.id,
                team_id=manager.team_id,
                qr_secret=f"{rng.getrandbits(128):032x}",
            )
        )
    return result


def plan_days(today: date) -> list[date]:
    """Every working day (Mon–Fri) of today's month, and today whatever weekday it is."""
    last = calendar.monthrange(today.year, today.month)[1]
    days = [today.replace(day=d) for d in range(1, last + 1)]
    return [d for d in days if d.weekday() < 5 or d == today]


def make_visits(
    manager: DemoUser, own: Sequence[Customer], days: Sequence[date], today: date, tz: ZoneInfo, rng: random.Random
) -> list[Visit]:
    visits = []
    for day in days:
        chosen = rng.sample(list(own), min(len(own), rng.randint(15, 25)))
        for order, customer in enumerate(chosen, start=1):
            visit_id = f"v{day:%Y%m%d}-{manager.id}-{order:02d}"
            method = VisitMethod.PHONE if rng.random() < 0.05 else VisitMethod.ON_SITE
            entries = rng.sample(TASK_LIBRARY, rng.randint(2, 4))
            tasks = [Task(f"{visit_id}.t{i}", e.code, e.name, e.kind, e.method) for i, e in enumerate(entries, start=1)]
            visit = Visit(
                id=visit_id,
                manager_id=manager.id,
                team_id=manager.team_id,
                date=day.isoformat(),
                customer_id=customer.id,
                method=method,
                order=order,
                tasks=tuple(tasks),
            )
            if day < today:
                visit = _history(visit, day, order, tz, rng)
            visits.append(visit)
    return visits


def _history(visit: Visit, day: date, order: int, tz: ZoneInfo, rng: random.Random) -> Visit:
    """A past visit: mostly completed with most tasks done, sometimes missed."""
    if rng.random() < 0.08:
        return Visit(**{**_fields(visit), "status": VisitStatus.MISSED})
    start = datetime(day.year, day.month, day.day, 8, 40, tzinfo=tz) + timedelta(
        minutes=22 * order + rng.randint(0, 10)
    )
    end = start + timedelta(minutes=rng.randint(8, 20))
    tasks = tuple(
        Task(
            **{
                **_fields(t),
                "status": TaskStatus.DONE,
                "completed_at": iso(end - timedelta(minutes=2)),
                "done_at": (end - timedelta(minutes=2)).astimezone(UTC),
            }
        )
        if rng.random() < 0.92
        else t
        for t in visit.tasks
    )
    on_site = visit.method == VisitMethod.ON_SITE
    return Visit(
        **{
            **_fields(visit),
            "status": VisitStatus.COMPLETED,
            "tasks": tasks,
            "checkin_id": events.event_id("demo-checkin", visit.id) if on_site else "",
            "checked_in_at": start.astimezone(UTC) if on_site else None,
            "completed_at": end.astimezone(UTC),
            "completed_client_ts": iso(end),
            "summary": rng.choice(("客户经营正常", "陈列已整改", "客户对新品有兴趣", "库存偏高，已提醒", "")),
        }
    )


def _fields(obj: object) -> dict[str, object]:
    return dict(vars(obj))


def load_demo(
    settings: PlanningSettings,
    org: DemoOrg,
    *,
    today: date,
    reset: bool,
    customers: int = 3000,
    seed: int = 20141,
    publish: bool = True,
    month: bool = True,
) -> dict[str, int]:
    """Write the demo records and publish customer, plan and history events; returns counts.

    `month=False` plans today only (the morning-peak data set: thousands of managers, no history).
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    tz = ZoneInfo(settings.timezone)
    mongo = mongo_factory.client(settings)
    try:
        if reset:
            mongo.drop_database(settings.mongo_db)
        stores = build_stores(mongo_factory.database(settings, mongo))
        stores.library.put_many(TASK_LIBRARY)
        outlets = make_customers(org, customers, rng)
        if reset:
            stores.customers.insert_many(outlets)
        else:
            stores.customers.upsert_many(outlets)
        by_manager: dict[str, list[Customer]] = {}
        for c in outlets:
            by_manager.setdefault(c.manager_id, []).append(c)
        days = plan_days(today) if month else [today]
        visits = [
            v
            for m in org.managers
            if by_manager.get(m.id)
            for v in make_visits(m, by_manager[m.id], days, today, tz, rng)
        ]
        inserted = stores.visits.insert_many(visits)
        out = _events(outlets, visits) if publish else []
        if out:
            _publish(settings.amqp_uri, out)
    finally:
        mongo.close()
    counts = {
        "task_library": len(TASK_LIBRARY),
        "customers": len(outlets),
        "managers": len(by_manager),
        "days": len(days),
        "visits": len(visits),
        "visits_inserted": inserted,
        "visits_completed": sum(1 for v in visits if v.status == VisitStatus.COMPLETED),
        "visits_missed": sum(1 for v in visits if v.status == VisitStatus.MISSED),
        "events": len(out),
    }
    logger.info("planning demo loaded in %.1fs: %s", time.perf_counter() - started, counts)
    return counts


def _events(outlets: Sequence[Customer], visits: Sequence[Visit]) -> list[Event]:
    now = iso(now_utc())
    out: list[Event] = []
    for c in outlets:
        out.append(
            CustomerUpserted(
                event_id=events.event_id("customer.upserted", c.id, "1"),
                customer_id=c.id,
                code=c.code,
                short_code=c.short_code,
                name=c.name,
                licence_no=c.licence_no,
                address=c.address,
                location={"lat": c.lat, "lon": c.lon},
                star=c.star,
                terminal_type=c.terminal_type,
                credit_grade=c.credit_grade,
                value_class=c.value_class,
                order_type=c.order_type,
                settlement_method=c.settlement_method,
                status=c.status,
            )
        )
        out.append(
            CustomerAssigned(
                event_id=events.event_id("customer.assigned", c.id, c.manager_id),
                customer_id=c.id,
                manager_id=c.manager_id,
                team_id=c.team_id,
                effective_from=now,
            )
        )
    plans: dict[tuple[str, str], list[Visit]] = {}
    for v in visits:
        plans.setdefault((v.manager_id, v.date), []).append(v)
    for (manager_id, day), day_visits in plans.items():
        out.append(
            VisitPlanPublished(
                event_id=events.event_id("visit_plan.published", manager_id, day),
                manager_id=manager_id,
                team_id=day_visits[0].team_id,
                date=day,
                visits=[
                    {
                        "visit_id": v.id,
                        "customer_id": v.customer_id,
                        "order": v.order,
                        "method": v.method.value,
                        "task_count": v.tasks_total,
                    }
                    for v in day_visits
                ],
                planned_tasks=sum(v.tasks_total for v in day_visits),
            )
        )
    for v in visits:
        if v.status == VisitStatus.COMPLETED:
            out.append(events.visit_completed(v))
        elif v.status == VisitStatus.MISSED:
            out.append(events.visit_missed(v))
    return out


def _publish(amqp_uri: str, out: Sequence[Event], threads: int = 2) -> None:
    """Confirmed in bulk (pipelined confirms), over a couple of connections in parallel (order across
    types is not needed): tens of thousands of events in seconds."""
    publisher = EventPublisher(amqp_uri)
    size = max(1, math.ceil(len(out) / threads))
    chunks = [out[i : i + size] for i in range(0, len(out), size)]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="demo-publish") as pool:
        for future in [pool.submit(publisher.publish_bulk, chunk) for chunk in chunks]:
            future.result()
