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
                   seq, outlets, standard_version, and as JSON text (one element each: NX-27017 reads
                   a document at a cost per element, and a view reads only the fields it needs):
                   functions, fg_<attribute> per grouping attribute, quality, qg_<attribute>;
                   indexes manager_id, team_id
    terminal_summary_keys  _id as terminal_summaries, seq: how many refreshes summed it (taken
                   after the rows and the roster are written, claimed by the summary summed after)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson
from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database

from analytics.adapters.order_views_store import bump_counts
from baifang_common.mongo import Document, ensure_indexes, find_ids, store_adapter, write_newer

PACKED = ("functions", "quality")  # a summary's fields stored as JSON text, besides the groups


@store_adapter
class TerminalViewsStore:
    def __init__(self, db: Database[Document]) -> None:
        self.rows: Collection[Document] = db["terminal_rows"]
        self.seqs: Collection[Document] = db["terminal_keys"]
        self.summaries: Collection[Document] = db["terminal_summaries"]
        self.summary_seqs: Collection[Document] = db["terminal_summary_keys"]

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

    def bump_summaries(self, roster_ids: Iterable[str]) -> dict[str, int]:
        """As OrderViewsStore.bump_summaries, for the terminal summaries."""
        return bump_counts(self.summary_seqs, roster_ids)

    def write_summaries(self, docs: Sequence[Document]) -> None:
        """Summaries, each carrying the `seq` it was summed at: a write lands only over a lower seq."""
        write_newer(self.summaries, [_pack(d) for d in docs])

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
            summaries.append({n: orjson.loads(v) if isinstance(v, str) and n not in _PLAIN else v
                              for n, v in doc.items() if n != "seq"})  # fmt: skip
        return {
            "terminal_rows": sorted(
                self.rows_of([d["_id"] for d in self.rows.find({}, {"_id": 1})]).values(), key=lambda r: str(r["_id"])
            ),
            "terminal_summaries": summaries,
        }


_PLAIN = ("_id", "manager_id", "team_id")


def _pack(summary: Document) -> Document:
    """The summary as stored: the packed fields and each attribute's groups as JSON text."""
    out = {n: v for n, v in summary.items() if n not in (*PACKED, "fgroups", "qgroups")}
    out |= {n: orjson.dumps(summary[n]).decode() for n in PACKED}
    for prefix, name in (("fg_", "fgroups"), ("qg_", "qgroups")):
        out |= {f"{prefix}{attribute}": orjson.dumps(groups).decode() for attribute, groups in summary[name].items()}
    return out
