"""Pure rules of terminal resources (§1.5.8.3) and terminal information (§1.5.8.4 = §1.6.2).

Both are re-collectable: every save is a new version, reads answer the latest for prefill. The
item lists are configuration (admin); the defaults below serve until an admin sets one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from collection.domain.errors import InvalidTerminalItems, InvalidTerminalValues
from collection.domain.model import TerminalItem

KINDS = ("terminal_resources", "terminal_info")
TYPES = ("text", "number", "bool", "choice")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT = 500

DEFAULT_ITEMS: dict[str, tuple[TerminalItem, ...]] = {
    "terminal_resources": (
        TerminalItem("shop_area", "店铺面积", "number", "m²"),
        TerminalItem("counter_length", "柜台长度", "number", "m"),
        TerminalItem("cabinets", "卷烟柜数量", "number", "个"),
        TerminalItem("display_rails", "轨道槽", "number", "条"),
        TerminalItem("lightbox", "灯箱或店招", "bool"),
        TerminalItem("location_type", "位置类型", "choice", choices=("社区", "商业街", "学校周边", "交通枢纽", "农村")),
        TerminalItem("foot_traffic", "人流量", "choice", choices=("高", "中", "低")),
        TerminalItem("non_tobacco_goods", "非烟商品", "text"),
        TerminalItem("pos_device", "POS 或扫码设备", "bool"),
        TerminalItem("online_ordering", "可网上订货", "bool"),
        # P-002-T5 terminal network building items
        TerminalItem("smart_terminal", "智能终端", "bool"),
        TerminalItem("e_settlement", "电子结算", "bool"),
        TerminalItem("ledger", "台账", "bool"),
        TerminalItem("stock_classification", "库存分类管理", "bool"),
    ),
    "terminal_info": (
        TerminalItem(
            "terminal_type",
            "终端类型",
            "choice",
            choices=("便利店", "超市", "烟酒店", "食杂店", "娱乐服务类", "其他"),
            card_field="terminal_type",
        ),
        TerminalItem("business_format", "业态", "text"),
        TerminalItem("opening_hours", "营业时间", "text"),
        TerminalItem("owner_name", "负责人", "text"),
        TerminalItem("contact_phone", "联系电话", "text", card_field="phone"),
        TerminalItem("functional_terminal", "功能终端", "bool"),
        TerminalItem("quality_terminal", "优质终端", "bool"),
        # §1.6.4 designated functions: an information-collection point, a brand-cultivation point
        TerminalItem("collection_point", "信息采集点", "bool"),
        TerminalItem("brand_cultivation_point", "品牌培育点", "bool"),
        # P-002-T8: retailer association membership and the "三店" tier, changeable over time
        TerminalItem("association_member", "零售商协会会员", "bool"),
        TerminalItem("store_tier", "三店类别", "choice", choices=("旗舰店", "加盟店", "形象店", "无")),
    ),
}


def _value_problem(item: TerminalItem, value: Any) -> str | None:
    if value is None:
        return None  # an item left empty
    if item.type == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
        return None if ok else "must be a number ≥ 0"
    if item.type == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        return f"must be text of at most {MAX_TEXT} characters"
    if item.type == "choice" and value not in item.choices:
        return "must be one of: " + ", ".join(item.choices)
    return None


def check_values(values: Mapping[str, Any], items: Sequence[TerminalItem]) -> dict[str, Any]:
    """R-1.5.8.3-a / R-1.5.8.4-a: values of configured items only, each of its type; all problems at once."""
    by_code = {item.code: item for item in items}
    problems: dict[str, str] = {}
    for code, value in values.items():
        item = by_code.get(code)
        reason = "not a configured item" if item is None else _value_problem(item, value)
        if reason:
            problems[code] = reason
    if problems:
        raise InvalidTerminalValues(fields=problems)
    return {code: value for code, value in values.items() if value is not None}


def check_items(items: Sequence[TerminalItem]) -> tuple[TerminalItem, ...]:
    """An admin's item list: snake_case codes once each, a label, a known type, choices for a choice."""
    problems: dict[str, str] = {}
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not CODE.match(item.code) or item.code in seen:
            problems[str(index)] = "code must be snake_case and unique"
        elif not item.label.strip():
            problems[str(index)] = "label is required"
        elif item.type not in TYPES:
            problems[str(index)] = "type must be one of: " + ", ".join(TYPES)
        elif item.type == "choice" and not item.choices:
            problems[str(index)] = "a choice item needs its choices"
        seen.add(item.code)
    if problems or not items:
        raise InvalidTerminalItems(items=problems or {"": "at least one item"})
    return tuple(items)


def card_fields(values: Mapping[str, Any], items: Sequence[TerminalItem]) -> dict[str, Any]:
    """The values that belong on the customer card, by card field (planning keeps the card)."""
    return {item.card_field: values[item.code] for item in items if item.card_field and item.code in values}
