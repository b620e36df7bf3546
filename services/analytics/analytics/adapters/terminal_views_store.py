"""TerminalViewsStore: the precomputed terminal analyses (docs/domain.md §1.6.4, §1.6.5), derived
from FactsStore and the owner rosters as the order summaries are (adapters/order_views_store.py).

    terminal_rows  _id customer_id, seq, and as JSON text (`row`: a summary reads ~100 of them)
                   what the analyses read of the outlet (usecases/terminal_views.py): card
                   {attribute: group key}, terminal and quality {terminal attribute: group key}
                   (from the latest terminal facts and from the terminal history), functions
                   [code, ...], last {activity: date}, values (the current values the standard
                   evaluates), states [[utc time, values], ...]
    terminal_keys  _id customer_id, seq: how many batches changed the outlet's facts (a row
                   carries the seq its facts were read at and lands only over a lower one)
    terminal_summaries  _id "<manager_id>|<team_id>" (the owner roster's id), manager_id, team_id,
                   seq (how many times it was written: a write lands only over the seq it read),
                   outlets, standard_version, roster_seq (the seq of the roster its outlets were
                   taken from), and as JSON text (one element each: NX-27017 reads a document at a
                   cost per element, and a view reads only the fields it needs): functions,
                   fg_<attribute> per grouping attribute, quality, qg_<attribute>, and members
                   {customer_id: the row summed, with its seq} (what a refresh takes away when the
                   outlet's row changes or the outlet leaves; no view reads it); indexes manager_id,
                   team_id
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database

from analytics.adapters.order_views_store import bump_counts, write_over_read
from baifang_common.mongo import Document, ensure_indexes, find_ids, store_adapter, write_newer

PACKED = ("functions", "quality")  # a summary's fields stored as JSON text, besides the groups


@store_adapter
class TerminalViewsStore:
    def __init__(self, db: Database[Document]) -> None:
        self.rows: Collection[Document] = db["terminal_rows"]
        self.seqs: Collection[Document] = db["terminal_keys"]
        self.summaries: Collection[Document] = db["terminal_summaries"]

    def ensure_indexes(self) -> None:
        ensure_indexes(self.summaries, [IndexModel([(name, ASCENDING)]) for name in ("manager_id", "team_id")])

    def bump_outlets(self, customer_ids: Iterable[str]) -> dict[str, int]:
        """Count a change of each outlet's facts (after they are written) and return the counts,
        read before the facts are: the row read last claims the highest count."""
        return bump_counts(self.seqs, customer_ids)

    def write_rows(self, rows: Sequence[Document]) -> None:
        """Rows {_id: customer_id, seq, ...}: each lands only over a lower seq."""
        write_newer(self.rows, [{"_id": r["_id"], "seq": r["seq"], "row": orjson.dumps(r).decode()} for r in rows])

    def rows_of(self, customer_ids: Sequence[str]) -> dict[str, Document]:
        """The outlets' rows by customer (`_id` reads), without their seq."""
        rows = (orjson.loads(doc["row"]) for doc in find_ids(self.rows, list(customer_ids), {"row": 1}))
        return {row["_id"]: {n: v for n, v in row.items() if n != "seq"} for row in rows}

    def settled_rows(self, customer_ids: Sequence[str]) -> dict[str, Document]:
        """The outlets' rows that carry their outlet's current change count: no recompute of them is
        in flight (one bumps the count before it reads the facts; the counts are read first here)."""
        ids = list(customer_ids)
        counts = {doc["_id"]: int(doc["seq"]) for doc in find_ids(self.seqs, ids)}
        docs = find_ids(self.rows, ids)
        return {d["_id"]: orjson.loads(d["row"]) for d in docs if int(d["seq"]) >= counts.get(d["_id"], 0)}

    def rows_with_seq(self, customer_ids: Sequence[str]) -> dict[str, Document]:
        """The outlets' rows by customer with the seq each was written at (`_id` reads)."""
        return {doc["_id"]: orjson.loads(doc["row"]) for doc in find_ids(self.rows, list(customer_ids), {"row": 1})}

    def summaries_to_sum(self, roster_ids: Sequence[str]) -> dict[str, Document]:
        """The stored summaries whole, decoded (`fgroups`, `qgroups`, `members`): what a refresh adds
        its changed rows to (absent: never written). One written before `members` were kept has None."""
        out = {}
        for doc in find_ids(self.summaries, list(roster_ids)):
            decoded: dict[str, Any] = {n: v for n, v in doc.items() if n not in PACKED and not n.startswith(_GROUPS)}
            decoded |= {n: orjson.loads(doc[n]) for n in PACKED if n in doc}
            for prefix, name in _GROUP_FIELDS:
                decoded[name] = {n[len(prefix) :]: orjson.loads(v) for n, v in doc.items() if n.startswith(prefix)}
            decoded["members"] = orjson.loads(doc["members"]) if "members" in doc else None
            out[doc["_id"]] = decoded
        return out

    def write_summaries(self, docs: Sequence[Document]) -> set[str]:
        """Summaries, each carrying `seq`, one more than the stored one it was summed from (1: none
        was stored): each lands only over that one. Returns the ids of those that did not land
        (another refresh wrote the summary since it was read: sum it again from what it wrote)."""
        return write_over_read(self.summaries, [_pack(d) for d in docs])

    def summaries_in(self, manager_id: str, team_id: str, fields: Sequence[str]) -> list[Document]:
        """The summaries of a manager or team (both empty: every owner) with the named fields decoded,
        by manager then team (the scope of OrderViewsStore.owned)."""
        query = {"manager_id": manager_id} if manager_id else {"team_id": team_id} if team_id else {}
        projection = dict.fromkeys(("manager_id", "team_id", "outlets", "standard_version", *fields), 1)
        docs = [d for d in self.summaries.find(query, projection) if not team_id or d["team_id"] == team_id]
        return sorted(
            ({**d, **{f: orjson.loads(d[f]) for f in fields if f in d}} for d in docs),
            key=lambda d: (d["manager_id"], d["team_id"]),
        )

    def summed_under_another(self, version: int) -> list[str]:
        """The summaries summed under another version of the standard than `version`."""
        docs = self.summaries.find({}, {"standard_version": 1})
        return sorted(d["_id"] for d in docs if d.get("standard_version") != version)

    def clear(self) -> None:
        """Empty the views (the first step of a rebuild; the change counts stay)."""
        self.rows.delete_many({})
        self.summaries.delete_many({})

    def snapshot(self) -> dict[str, list[Document]]:
        """Every row and every summary of outlets, decoded, without seq: what a test compares
        between the incremental and the rebuilt views."""
        summaries = []
        for doc in self.summaries.find({"outlets": {"$gt": 0}}).sort("_id", ASCENDING):
            summary = {n: orjson.loads(v) if isinstance(v, str) and n not in _PLAIN else v
                       for n, v in doc.items() if n not in ("seq", "roster_seq")}  # fmt: skip
            members = summary.get("members") or {}
            summary["members"] = {c: {n: v for n, v in row.items() if n != "seq"} for c, row in members.items()}
            summaries.append(summary)
        return {
            "terminal_rows": sorted(
                self.rows_of([d["_id"] for d in self.rows.find({}, {"_id": 1})]).values(), key=lambda r: str(r["_id"])
            ),
            "terminal_summaries": summaries,
        }


_PLAIN = ("_id", "manager_id", "team_id")
_GROUP_FIELDS = (("fg_", "fgroups"), ("qg_", "qgroups"))
_GROUPS = tuple(prefix for prefix, _ in _GROUP_FIELDS)


def _pack(summary: Document) -> Document:
    """The summary as stored: the packed fields, the members and each attribute's groups as JSON text."""
    out = {n: v for n, v in summary.items() if n not in (*PACKED, "fgroups", "qgroups", "members")}
    out |= {n: orjson.dumps(summary[n]).decode() for n in (*PACKED, "members")}
    for prefix, name in _GROUP_FIELDS:
        out |= {f"{prefix}{attribute}": orjson.dumps(groups).decode() for attribute, groups in summary[name].items()}
    return out
