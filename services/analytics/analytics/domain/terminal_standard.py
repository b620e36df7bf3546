"""The terminal evaluation standard (docs/domain.md §1.6.1, §1.6.6, P-002-T5): weighted criteria over
the terminal resources and terminal information items collection gathers.

A criterion names an item and a test: `true` (a yes/no item is yes), `at_least` (a number item is
at least the threshold) or `one_of` (a choice item is one of the choices). The score is the sum of
the weights of the criteria met, out of the total weight, in percent; a terminal meets the standard
at `PASS_MARK`. The standard is admin-editable and versioned; until an admin sets one, DEFAULT serves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

TESTS = ("true", "at_least", "one_of")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PASS_MARK = 80.0
MAX_CRITERIA = 50


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    item: str
    test: str
    weight: int
    guidance: str
    threshold: float = 0.0
    choices: tuple[str, ...] = ()

    def met(self, values: Mapping[str, Any]) -> bool:
        value = values.get(self.item)
        if self.test == "true":
            return value is True
        if self.test == "at_least":
            return isinstance(value, int | float) and not isinstance(value, bool) and value >= self.threshold
        return value in self.choices

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "choices": list(self.choices)}


# fmt: off
DEFAULT: tuple[Criterion, ...] = (
    Criterion("ledger", "台账", "ledger", "true", 10, "建立经营台账，按日记录进货、销售和库存"),
    Criterion("stock_classification", "库存分类管理", "stock_classification", "true", 10,
              "按品牌和价类分类存放、管理库存"),
    Criterion("display_rails", "轨道槽陈列", "display_rails", "at_least", 15,
              "安装至少一条轨道槽，规范陈列卷烟", threshold=1),
    Criterion("counter", "柜台长度 ≥ 1.2 m", "counter_length", "at_least", 10,
              "设置不短于 1.2 米的卷烟柜台", threshold=1.2),
    Criterion("lightbox", "灯箱或店招", "lightbox", "true", 5, "设置灯箱或规范店招"),
    Criterion("online_ordering", "网上订货", "online_ordering", "true", 15, "开通并使用网上订货"),
    Criterion("e_settlement", "电子结算", "e_settlement", "true", 10, "开通电子结算"),
    Criterion("scanner", "扫码设备", "pos_device", "true", 15, "配备并使用扫码设备（徽映E家）"),
    Criterion("association", "零售商协会会员", "association_member", "true", 5, "加入零售商协会"),
    Criterion("store_tier", "三店", "store_tier", "one_of", 5, "按标准创建旗舰店、加盟店或形象店",
              choices=("旗舰店", "加盟店", "形象店")),
)
# fmt: on


def criteria_problems(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every problem of a submitted standard, by index and field (all at once)."""
    problems: list[dict[str, Any]] = []
    if not 1 <= len(raw) <= MAX_CRITERIA:
        problems.append({"index": None, "field": "criteria", "reason": f"1 to {MAX_CRITERIA} criteria"})
    seen: set[str] = set()
    for index, c in enumerate(raw):
        code, weight, threshold = c.get("code"), c.get("weight"), c.get("threshold")
        checks = {
            "code": isinstance(code, str) and bool(CODE.match(code)) and code not in seen,
            "label": isinstance(c.get("label"), str) and 0 < len(c["label"]) <= 100,
            "item": isinstance(c.get("item"), str) and bool(CODE.match(c["item"])),
            "test": c.get("test") in TESTS,
            "weight": isinstance(weight, int) and not isinstance(weight, bool) and 0 < weight <= 100,
            "threshold": c.get("test") != "at_least" or (isinstance(threshold, int | float) and threshold >= 0),
            "choices": c.get("test") != "one_of" or bool(c.get("choices")),
        }  # fmt: skip
        problems += [
            {"index": index, "field": f, "reason": "missing or malformed"} for f, ok in checks.items() if not ok
        ]
        seen.add(str(code))
    return problems


def criteria_of(raw: Sequence[Mapping[str, Any]]) -> tuple[Criterion, ...]:
    """Checked criteria (criteria_problems returned nothing) as Criterion values."""
    return tuple(
        Criterion(
            code=c["code"],
            label=c["label"],
            item=c["item"],
            test=c["test"],
            weight=int(c["weight"]),
            guidance=str(c.get("guidance", "")),
            threshold=float(c.get("threshold", 0) or 0),
            choices=tuple(str(x) for x in c.get("choices", ()) or ()),
        )
        for c in raw
    )


@dataclass(frozen=True)
class Evaluation:
    score: float
    met: tuple[Criterion, ...]
    failing: tuple[Criterion, ...]

    @property
    def meets_standard(self) -> bool:
        return self.score >= PASS_MARK


def evaluate(criteria: Sequence[Criterion], values: Mapping[str, Any]) -> Evaluation:
    """The score (one decimal) and which criteria are met or failing, in the standard's order."""
    flags = [c.met(values) for c in criteria]  # once each (the summaries evaluate thousands of outlets)
    met = tuple(c for c, ok in zip(criteria, flags, strict=True) if ok)
    failing = tuple(c for c, ok in zip(criteria, flags, strict=True) if not ok)
    total = sum(c.weight for c in criteria)
    score = round(sum(c.weight for c in met) * 100 / total, 1) if total else 0.0
    return Evaluation(score, met, failing)
