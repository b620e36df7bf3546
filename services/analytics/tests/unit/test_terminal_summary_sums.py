"""A terminal summary brought up to date by adding the rows that came and taking away those that went
(domain/terminal_summary.combined) equals the rows summed again, whatever the changes."""

from __future__ import annotations

import random
from typing import Any

from analytics.domain import terminal_analysis as ta
from analytics.domain import terminal_standard as std
from analytics.domain import terminal_summary as ts
from analytics.usecases.terminal_views import outlet_row

ITEMS = ("ledger", "lightbox", "online_ordering", "e_settlement", "pos_device", "smart_terminal", "collection_point")


def _versions(rng: random.Random, values: Any) -> dict[str, Any]:
    return {f"{n:09d}": {"saved_at": f"2025-0{rng.randint(1, 6)}-1{rng.randint(0, 9)}T0{rng.randint(0, 9)}:00:00Z",
                         "values": values()} for n in range(1, rng.randint(1, 3) + 1)}  # fmt: skip


def _row(rng: random.Random, customer_id: str) -> dict[str, Any]:
    """An outlet with random card groups, terminal values and history, and activity dates (some empty)."""
    card = {"terminal_type": rng.choice(("便利店", "超市", "")), "area_id": rng.choice(("a1", "a2", None))}
    current = {i: rng.random() < 0.5 for i in ITEMS} | {"store_tier": rng.choice((*ta.STORE_TIERS, "无", ""))}
    history: dict[str, Any] = {}
    if rng.random() < 0.7:
        history["resources"] = {"versions": _versions(rng, lambda: {i: rng.random() < 0.6 for i in ITEMS})}
    if rng.random() < 0.5:
        history["info"] = {"versions": _versions(rng, lambda: {"quality_terminal": rng.random() < 0.5,
                                                               "store_tier": rng.choice(ta.STORE_TIERS)})}  # fmt: skip
    last = {a: f"2025-06-{rng.randint(1, 28):02d}" for a in ta.ACTIVITIES if rng.random() < 0.6}
    return outlet_row(customer_id, card, current if rng.random() < 0.8 else {}, history, last)


def test_a_summary_plus_the_rows_that_came_less_those_that_went_equals_the_rows_summed_again() -> None:
    rng, criteria = random.Random(5), std.DEFAULT
    ids = [f"c{n:02d}" for n in range(32)]
    rows = {cid: _row(rng, cid) for cid in ids[:30]}
    summary = ts.summarize(rows.values(), criteria)
    for _ in range(40):  # outlets come, change and go, a few at a time
        came, gone = [], []
        for cid in rng.sample(ids, rng.randint(1, 5)):
            if cid in rows:
                gone.append(rows.pop(cid))
                if rng.random() < 0.3:
                    continue  # the outlet left the roster
            rows[cid] = _row(rng, cid)
            came.append(rows[cid])
        summary = ts.combined(summary, ts.summarize(came, criteria), ts.summarize(gone, criteria))
        assert summary == ts.summarize(rows.values(), criteria)
    everything = ts.summarize(rows.values(), criteria)
    assert ts.combined(everything, ts.summarize([], criteria), ts.summarize(rows.values(), criteria)) == (
        ts.summarize([], criteria)
    )
