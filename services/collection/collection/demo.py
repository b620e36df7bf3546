"""Collection demo data: a cigarette catalogue with reference prices, announced with `sku.upserted`,
three months of orders of the demo outlets, announced with `orders.recorded`, and dated terminal
resources and information of most outlets, announced as their saves are.

Reference pack and carton prices are demo figures in the range of retail prices, not an
official price list. Codes are stable (`SKU001`..) so other demo loaders may refer to them.
The outlets are planning's demo outlets: `cu000001`.. spread over the managers in turn
(outlet n belongs to manager (n − 1) mod managers), as planning's demo loader makes them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from baifang_common.demo import DemoOrg
from collection import bootstrap
from collection.domain.model import OrderLine, Sku, TerminalVersion
from collection.domain.terminal import KINDS
from collection.settings import CollectionSettings
from collection.usecases.catalogue import upsert_skus
from collection.usecases.orders import announce
from collection.usecases.terminal import items_of, version_event

# name, brand, short code, pack price (fen), price class, carton price (fen; None = 10 packs), active
CATALOGUE: tuple[tuple[str, str, str, int, int, int | None, bool], ...] = (
    ("中华(硬)", "中华", "ZHY", 4500, 1, None, True),
    ("中华(软)", "中华", "ZHR", 6500, 1, None, True),
    ("中华(双中支)", "中华", "ZHSZZ", 5000, 1, None, True),
    ("玉溪(软)", "玉溪", "YXR", 2300, 1, None, True),
    ("玉溪(硬)", "玉溪", "YXY", 2000, 1, None, True),
    ("黄山(红方印)", "黄山", "HSHFY", 1500, 2, None, True),
    ("黄山(小红方印)", "黄山", "HSXHFY", 1200, 2, None, True),
    ("黄山(天都)", "黄山", "HSTD", 10000, 1, None, True),
    ("黄山(徽商新概念)", "黄山", "HSHSXGN", 3000, 1, None, True),
    ("黄山(新制皖烟)", "黄山", "HSXZWY", 1800, 2, None, True),
    ("云烟(紫)", "云烟", "YYZ", 1100, 3, None, True),
    ("云烟(软珍品)", "云烟", "YYRZP", 2200, 1, None, True),
    ("利群(新版)", "利群", "LQXB", 1400, 2, None, True),
    ("芙蓉王(硬)", "芙蓉王", "FRWY", 2500, 1, None, True),
    ("南京(炫赫门)", "南京", "NJXHM", 1800, 2, None, True),
    ("南京(红)", "南京", "NJH", 1200, 2, None, True),
    ("黄鹤楼(硬金砂)", "黄鹤楼", "HHLYJS", 1900, 2, None, True),
    ("黄鹤楼(软蓝)", "黄鹤楼", "HHLRL", 2000, 1, None, True),
    ("红塔山(经典)", "红塔山", "HTSJD", 750, 3, None, True),
    ("红塔山(软经典)", "红塔山", "HTSRJD", 700, 4, None, False),
    ("白沙(精品)", "白沙", "BSJP", 1000, 3, None, True),
    ("白沙(和天下)", "白沙", "BSHTX", 10000, 1, None, True),
    ("七匹狼(通仙)", "七匹狼", "QPLTX", 1500, 2, None, True),
    ("泰山(红将军)", "泰山", "TSHJJ", 1100, 3, None, True),
    ("红双喜(硬)", "红双喜", "HSXY", 700, 4, None, True),
    ("双喜(硬经典)", "双喜", "SXYJD", 900, 3, None, True),
    ("娇子(宽窄好运)", "娇子", "JZKZHY", 1500, 2, None, True),
    ("长白山(777)", "长白山", "CBS777", 1200, 2, None, True),
    ("真龙(起源)", "真龙", "ZLQY", 2000, 1, None, True),
    ("苏烟(五星红杉树)", "苏烟", "SYWXHSS", 2000, 1, None, True),
    ("红河(软甲)", "红河", "HHRJ", 500, 4, None, True),
    ("大前门(短支)", "大前门", "DQMDZ", 600, 4, None, True),
    ("哈德门(精品)", "哈德门", "HDMJP", 500, 4, None, True),
    ("红金龙(硬爱你)", "红金龙", "HJLYAN", 1000, 3, None, True),
    ("兰州(硬珍品)", "兰州", "LZYZP", 1800, 2, None, True),
    ("贵烟(跨越)", "贵烟", "GYKY", 2500, 1, None, True),
    ("黄金叶(天叶)", "黄金叶", "HJYTY", 10000, 1, None, True),
    ("黄金叶(乐途)", "黄金叶", "HJYLT", 1500, 2, None, True),
    ("钻石(荷花)", "钻石", "ZSHH", 3500, 1, None, True),
    ("金圣(滕王阁)", "金圣", "JSTWG", 1000, 3, None, True),
    ("红梅(软黄)", "红梅", "HMRH", 500, 5, 4800, True),
    ("都宝(红)", "都宝", "DBH", 300, 5, 2800, True),
    ("猴王(硬)", "猴王", "HWY", 450, 5, 4400, True),
)


def demo_catalogue(size: int | None = None) -> list[Sku]:
    """The first `size` entries (all by default), with stable codes SKU001, SKU002, …"""
    rows = CATALOGUE if size is None else CATALOGUE[:size]
    return [
        Sku(
            sku=f"SKU{index:03d}",
            name=name,
            brand=brand,
            short_code=short_code,
            price_class=price_class,
            ref_pack_price_fen=pack,
            ref_carton_price_fen=carton if carton is not None else pack * 10,
            packs_per_carton=10,
            active=active,
        )
        for index, (name, brand, short_code, pack, price_class, carton, active) in enumerate(rows, start=1)
    ]


ORDER_DAYS = 91


def demo_orders(customers: int, catalogue: Sequence[Sku], today: date, seed: int = 2014) -> list[OrderLine]:
    """Each outlet orders every 2–4 weeks over the last three months (up to yesterday): 1–3 of a
    preferred handful of active SKUs, 1–5 cartons each, at the reference carton price. About six
    lines per outlet and month: the store takes ~20,000 lines for the 3,000 demo outlets in seconds."""
    rng = random.Random(seed)
    active = [s for s in catalogue if s.active]
    lines: list[OrderLine] = []
    for n in range(1, customers + 1):
        customer_id = f"cu{n:06d}"
        preferred = rng.sample(active, min(5, len(active)))
        day = today - timedelta(days=ORDER_DAYS - rng.randrange(14))
        while day < today:
            order_id = f"DO{n:06d}{day:%Y%m%d}"
            for line_no, sku in enumerate(rng.sample(preferred, rng.randint(1, 3)), start=1):
                cartons = rng.randint(1, 5)
                lines.append(
                    OrderLine(
                        order_id, line_no, customer_id, sku.sku, cartons, cartons * sku.ref_carton_price_fen, f"{day}"
                    )
                )
            day += timedelta(days=rng.randint(14, 28))
    return lines


DEMO_OP = "demo"
TERMINAL_NS = uuid.UUID("0f9b6c2e-5a41-4d8e-9c3b-7e2a1d4f6b80")


def _improved(values: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A later collection: each missing yes/no item set up with even odds, maybe one more rail."""
    better = {k: (True if v is False and rng.random() < 0.5 else v) for k, v in values.items()}
    better["display_rails"] = values["display_rails"] + rng.randint(0, 1)
    return better


def _resources(rng: random.Random) -> dict[str, Any]:
    yes = {"ledger": 0.6, "stock_classification": 0.5, "lightbox": 0.7, "pos_device": 0.55, "online_ordering": 0.6,
           "e_settlement": 0.5, "smart_terminal": 0.3}  # fmt: skip
    return {
        "shop_area": round(rng.uniform(10, 80), 1), "counter_length": rng.choice((0.8, 1.0, 1.2, 1.5, 1.8)),
        "cabinets": rng.randint(1, 4), "display_rails": rng.randint(0, 3),
        **{item: rng.random() < odds for item, odds in yes.items()},
    }  # fmt: skip


def _info(rng: random.Random) -> dict[str, Any]:
    yes = {"functional_terminal": 0.25, "quality_terminal": 0.2, "collection_point": 0.15,
           "brand_cultivation_point": 0.2, "association_member": 0.4}  # fmt: skip
    tier = rng.choices(("旗舰店", "加盟店", "形象店", "无"), weights=(5, 10, 15, 70))[0]
    return {**{item: rng.random() < odds for item, odds in yes.items()}, "store_tier": tier}


def demo_terminals(customers: int, org: DemoOrg, today: date, seed: int = 2015) -> list[TerminalVersion]:
    """Terminal resources of most outlets collected two to three months ago, improved for about half of
    them since; terminal information of most outlets: what the terminal analyses (§1.6) show."""
    rng, owners = random.Random(seed), _owners(org, customers)
    versions: list[TerminalVersion] = []

    def version(cid: str, kind: str, number: int, days_ago: int, values: dict[str, Any]) -> None:
        at = datetime.combine(today - timedelta(days=days_ago), time(2, 0), tzinfo=UTC)
        version_id = str(uuid.uuid5(TERMINAL_NS, f"{kind}:{cid}:{number}"))
        versions.append(TerminalVersion(version_id, cid, kind, number, values, owners[cid][0], at, DEMO_OP))

    for cid in owners:
        if rng.random() < 0.85:
            first = _resources(rng)
            version(cid, "terminal_resources", 1, rng.randint(60, 88), first)
            if rng.random() < 0.45:
                version(cid, "terminal_resources", 2, rng.randint(1, 50), _improved(first, rng))
        if rng.random() < 0.7:
            version(cid, "terminal_info", 1, rng.randint(30, 85), _info(rng))
    return versions


def scanner_outlets(customers: int, org: DemoOrg, today: date) -> list[str]:
    """The outlets whose latest demo terminal resources have a scanner (`pos_device`): the ones
    checkin's demo has scanning (§1.9), so the functional analysis (§1.6.4) sees them scan."""
    latest: dict[str, TerminalVersion] = {}
    for v in demo_terminals(customers, org, today):
        if v.kind == "terminal_resources" and v.version > getattr(latest.get(v.customer_id), "version", 0):
            latest[v.customer_id] = v
    return sorted(cid for cid, v in latest.items() if v.values.get("pos_device"))


def _owners(org: DemoOrg, customers: int) -> dict[str, tuple[str, str]]:
    managers = org.managers
    return {
        f"cu{n:06d}": (managers[(n - 1) % len(managers)].id, managers[(n - 1) % len(managers)].team_id)
        for n in range(1, customers + 1)
    }


def load_demo(
    settings: CollectionSettings,
    org: DemoOrg,
    *,
    today: date,
    reset: bool = False,
    skus: int | None = None,
    customers: int = 0,
    **_: Any,
) -> dict[str, int]:
    """Write the catalogue and the outlets' orders, publish `sku.upserted` and `orders.recorded`;
    reset drops the catalogue and the orders first.

    Other services' size knobs are accepted and ignored. Reset leaves `customer_owners` alone:
    that cache is rebuilt only from planning's events.
    """
    deps = bootstrap.build_grpc(settings)
    try:
        if reset:
            deps.skus.drop()
            deps.orders.drop()
        catalogue = demo_catalogue(skus)
        count = upsert_skus(catalogue, skus=deps.skus, publisher=deps.publisher)
        orders = demo_orders(customers, catalogue, today) if org.managers else []
        deps.orders.upsert_many(orders)
        announce(orders, _owners(org, customers), publisher=deps.publisher)
        if reset:
            deps.terminals.drop_saved_by_op(DEMO_OP)
        versions = demo_terminals(customers, org, today) if org.managers else []
        deps.terminals.add_many(versions)
        items = {kind: items_of(kind, deps.terminals) for kind in KINDS}
        deps.publisher.publish_many(version_event(v, items[v.kind]) for v in versions)
    finally:
        deps.close()
    return {"skus": count, "order lines": len(orders), "terminal versions": len(versions)}
