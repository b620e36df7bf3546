"""FactsStore: the business facts analytics keeps from other services' events, one collection per kind.

    biz_customers   _id customer_id, the card of customer.upserted, rank "<version>|<at>"
    biz_owners      _id customer_id, manager_id, team_id, since, rank "<effective_from>|<at>"
    biz_skus        _id sku, name, brand, price_class, ref prices, rank "<at>"
    biz_orders      _id "<order_id>:<line_no>", customer_id, manager_id, team_id, sku, quantity,
                    amount_fen, order_date, month, rank "<at>", homes {"<month>|<customer_id>": true}
                    (every key a statement of the line named, winning or not: a re-import that
                    moves the line to another customer or month recomputes the keys it left, and
                    the rebuild recomputes them all)                     index customer_id
    biz_agreed      _id "<customer_id>:<month>", lines, total (immutable: the earliest is kept)
    biz_adjustments _id adjustment_id, customer_id, month, lines, status, rank "<final?>|<at>"
    biz_collections _id visit_id (a later submission supersedes), customer_id, date, lines, rank
    biz_terminals   _id "<customer_id>:<resources|info>", version, values, card_fields, rank
    biz_terminal_history _id "<customer_id>:<resources|info>", customer_id, kind,
                    versions.<version 9 digits> {saved_at, values} (one key per version: merged)
    biz_last_activity _id customer_id, visited, collected, scanned, ordered: the latest date of
                    each activity (a completed visit, a price & stock collection, a retail scan,
                    an order line), each a top-level `$max`
    biz_visits      _id visit_id, customer_id, date, checkin / completion / missed facts,
                    unplanned.<event_id> {text, client_ts, at} (one key per unplanned task)
    biz_activities  _id "<kind>:<id>", customer_id, kind, at, summary (special use, promotion
                    feedback, shelving; immutable)
    biz_follow_ups  _id follow_up_id, customer_id, kind, status, due_at, done_at, rank "<done?>|<at>"
    biz_issues      _id issue_id, customer_id, kind, status, opened_at, reply_due_at, rank "<version>|<at>"
    biz_appointments _id appointment_id, customer_id, manager_id, scheduled_at, duration_min, purpose
                    (immutable)                                          index customer_id
    biz_notes       _id note_id, author_id, version, deleted, rank "<deleted?>|<version>|<at>" (no text)
    biz_notices     _id notice_id, author_id, audience, title, posted_at (immutable)
    biz_notice_reads _id "<notice_id>:<reader_id>", read_at (the earliest is kept)  index notice_id

Every write is idempotent and order-independent: immutable facts are `$setOnInsert`, facts that
supersede each other are "latest wins" on a sortable `rank` (one upsert filtered on a lower stored
rank: an older statement fails on the duplicate _id and changes nothing), visit facts are `$set`
under their own key. One write per document per batch: the batch's documents are first inserted
as new (about 0.28 ms each on NX-27017), and only those stored before get their update (an upsert
costs about 0.5 ms), which ends in the same documents as upserting them all.
Ranks are digits and `|` only: NX-27017 (0.8.1) compares strings that start like an ISO time
wrongly in a `$lt` filter, so times enter a rank as their fixed-width UTC digits.
So redelivery, replay and any order of the events end in the same documents, and the order views
(order_views_store.py) are recomputed from these facts alone, which is what a rebuild does too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from analytics.domain.business import APPROVED, Owner
from baifang_common.mongo import (
    WRITE_CHUNK,
    Document,
    bulk_write_chunked,
    ensure_indexes,
    find_ids,
    only_duplicates,
    store_adapter,
)

SCAN_PER_QUERY = 500  # NX-27017 (measured): a `$in` scan of 27k order lines costs about 50 indexed queries
SCAN_BATCH = 10_000  # documents per reply of a scan (NX-27017 sends 101 a reply unless asked: 3,000 owners took 30)

KINDS = (
    "customers",
    "owners",
    "skus",
    "orders",
    "agreed",
    "adjustments",
    "collections",
    "terminals",
    "terminal_history",
    "last_activity",
    "visits",
    "activities",
    "follow_ups",
    "issues",
    "appointments",
    "notes",
    "notices",
    "notice_reads",
)


def latest_wins(doc_id: str, rank: str, fields: dict[str, Any]) -> UpdateOne:
    """Upsert where the stored rank is lower: an older statement fails on the duplicate _id (ignored)."""
    return UpdateOne({"_id": doc_id, "rank": {"$lt": rank}}, {"$set": {**fields, "rank": rank}}, upsert=True)


def earliest_wins(doc_id: str, rank: str, fields: dict[str, Any]) -> UpdateOne:
    """An immutable fact stated twice: the lowest rank is kept, whatever arrives first."""
    return UpdateOne({"_id": doc_id, "rank": {"$gt": rank}}, {"$set": {**fields, "rank": rank}}, upsert=True)


def first_wins(doc_id: str, fields: dict[str, Any]) -> UpdateOne:
    """An immutable fact: the first write is kept, repetitions change nothing."""
    return UpdateOne({"_id": doc_id}, {"$setOnInsert": fields}, upsert=True)


def highest(doc_id: str, fields: dict[str, Any]) -> UpdateOne:
    """Top-level values that only move up (dates): any order ends in the highest of each."""
    return UpdateOne({"_id": doc_id}, {"$max": fields}, upsert=True)


def merged(doc_id: str, fields: dict[str, Any]) -> UpdateOne:
    """Facts that never change, each under its own key: any order ends in the same document."""
    return UpdateOne({"_id": doc_id}, {"$set": fields}, upsert=True)


@dataclass(frozen=True)
class Fact:
    """One fact to store: its kind (collection), id, fields and how it meets an earlier statement.

    policy: "latest" (the highest rank wins), "earliest" (the lowest rank wins), "first" (an
    immutable fact: the first write is kept), "merge" (fields that never change, `$set`), "max"
    (top-level fields that keep their highest value, `$max`). `marks`: dotted fields that never
    change, set whether or not the statement wins (an order line's homes).
    """

    kind: str
    doc_id: str
    fields: dict[str, Any]
    policy: str = "latest"
    rank: str = ""
    marks: dict[str, Any] = field(default_factory=dict)  # `$set` whatever the rank (merged in a batch)

    def document(self) -> Document:
        """The document this fact is when nothing was stored under its id: what `update()` would upsert."""
        doc: Document = {"_id": self.doc_id}
        for path, value in {**self.fields, **self.marks}.items():
            *parents, leaf = path.split(".")  # a merged fact's own key, e.g. unplanned.<event_id>
            node = doc
            for name in parents:
                node = node.setdefault(name, {})
            node[leaf] = value
        if self.policy in ("latest", "earliest"):
            doc["rank"] = self.rank
        return doc

    def update(self) -> UpdateOne:
        if self.policy == "latest":
            return latest_wins(self.doc_id, self.rank, self.fields)
        if self.policy == "earliest":
            return earliest_wins(self.doc_id, self.rank, self.fields)
        if self.policy == "first":
            return first_wins(self.doc_id, self.fields)
        if self.policy == "max":
            return highest(self.doc_id, self.fields)
        return merged(self.doc_id, self.fields)

    def beats(self, other: Fact) -> bool:
        """Whether this statement survives `other` about the same document (within one batch)."""
        if self.policy == "latest":
            return self.rank > other.rank
        if self.policy == "earliest":
            return self.rank < other.rank
        return False


@store_adapter
class FactsStore:
    def __init__(self, db: Database[Document]) -> None:
        self.db = db  # the views derived from the facts live beside them (usecases/terminal_views.py)
        self.c: dict[str, Collection[Document]] = {kind: db[f"biz_{kind}"] for kind in KINDS}

    def ensure_indexes(self) -> None:
        """Single-field indexes only: NX-27017 (0.8.1) plans no query on a compound index."""
        by_customer = [IndexModel([("customer_id", ASCENDING)])]
        for kind in ("orders", "agreed", "adjustments", "collections", "visits", "activities", "follow_ups", "issues",
                     "appointments"):  # fmt: skip
            ensure_indexes(self.c[kind], by_customer)
        ensure_indexes(
            self.c["owners"], [IndexModel([("manager_id", ASCENDING)]), IndexModel([("team_id", ASCENDING)])]
        )
        ensure_indexes(self.c["customers"], [IndexModel([("peer_group", ASCENDING)])])
        ensure_indexes(self.c["visits"], [IndexModel([("date", ASCENDING)])])
        ensure_indexes(self.c["terminals"], [IndexModel([("customer_id", ASCENDING)])])
        ensure_indexes(self.c["notice_reads"], [IndexModel([("notice_id", ASCENDING)])])
        ensure_indexes(self.c["notes"], [IndexModel([("author_id", ASCENDING)])])

    def write(self, facts: Sequence[Fact]) -> dict[str, list[str]]:
        """Per kind, one unordered insert of the documents, then one bulk update of those stored before.

        Within the batch only the winning statement about a document is sent (merged facts are
        combined, and so are the marks of every statement); a statement that loses to the stored
        one fails on the duplicate _id of its upsert (code 11000), which is the expected outcome
        and ignored. Returns per kind the ids that were stored before (what the insert reported).
        """
        chosen: dict[tuple[str, str], Fact] = {}
        for fact in facts:
            key = (fact.kind, fact.doc_id)
            held = chosen.get(key)
            if held is not None and (fact.marks or held.marks):
                marks = {**held.marks, **fact.marks}
                fact, held = replace(fact, marks=marks), replace(held, marks=marks)
                chosen[key] = held
            if held is None or fact.beats(held):
                chosen[key] = fact
            elif fact.policy == "merge":
                chosen[key] = Fact(fact.kind, fact.doc_id, {**held.fields, **fact.fields}, "merge")
            elif fact.policy == "max":
                tops = {k: max(v, held.fields[k]) if k in held.fields else v for k, v in fact.fields.items()}
                chosen[key] = Fact(fact.kind, fact.doc_id, {**held.fields, **tops}, "max")
        by_kind: dict[str, list[Fact]] = {}
        for (kind, _), fact in chosen.items():
            by_kind.setdefault(kind, []).append(fact)
        stored: dict[str, list[str]] = {}
        for kind, kind_facts in by_kind.items():
            for start in range(0, len(kind_facts), WRITE_CHUNK):
                ids = self._insert_or_update(self.c[kind], kind_facts[start : start + WRITE_CHUNK])
                stored.setdefault(kind, []).extend(ids)
        return stored

    @staticmethod
    def _insert_or_update(collection: Collection[Document], facts: list[Fact]) -> list[str]:
        """Insert the facts as new documents; those whose id is stored already get their update.

        The outcome is the upsert's (a new document is what the upsert would have created), at
        about half its cost on NX-27017 for a new document (insert ~0.28 ms, conditional upsert
        ~0.5 ms); a document stored before costs the failed insert on top (~0.19 ms), and the
        marks it lacks a `$set` of their own (the update wins or fails on its rank, the marks land
        either way; one `_id` read finds those it holds already, so a repeated import adds no
        write). Returns the ids of the documents stored before.
        """
        try:
            collection.insert_many([fact.document() for fact in facts], ordered=False)
            return []
        except BulkWriteError as exc:
            if not only_duplicates(exc):
                raise
            stored = [facts[error["index"]] for error in exc.details.get("writeErrors", [])]
        marks = [
            UpdateOne({"_id": fact.doc_id}, {"$set": lacking}) for fact, lacking in _lacking_marks(collection, stored)
        ]
        bulk_write_chunked(collection, [*marks, *(fact.update() for fact in stored)], duplicates_ok=True)
        return [fact.doc_id for fact in stored]

    # --- readers ---------------------------------------------------------------------------

    def owner(self, customer_id: str) -> Owner | None:
        doc = self.c["owners"].find_one({"_id": customer_id})
        return _owner(doc) if doc else None

    def owners(self, customer_ids: Iterable[str]) -> dict[str, Owner]:
        docs = self.c["owners"].find({"_id": {"$in": list(customer_ids)}})
        return {doc["_id"]: _owner(doc) for doc in docs}

    def owned(self, manager_id: str = "", team_id: str = "") -> list[Owner]:
        """Customers currently owned by the manager or team (both empty: every customer)."""
        query: dict[str, Any] = {}
        if manager_id:
            query["manager_id"] = manager_id
        if team_id:
            query["team_id"] = team_id
        return [_owner(doc) for doc in self.c["owners"].find(query)]

    def owned_by(self, manager_ids: Sequence[str]) -> dict[str, list[Owner]]:
        """The customers each manager owns now, by manager: one `$in` scan when the owners are few
        for that many managers, else one indexed query per manager (as `_by_key`)."""
        ids, owners = sorted(set(manager_ids)), self.c["owners"]
        out: dict[str, list[Owner]] = {m: [] for m in ids}
        if ids and owners.estimated_document_count() <= SCAN_PER_QUERY * len(ids):
            docs: Iterable[Document] = owners.find({"manager_id": {"$in": ids}}).batch_size(SCAN_BATCH)
        else:
            docs = (doc for m in ids for doc in owners.find({"manager_id": m}))
        for doc in docs:
            if doc.get("manager_id") in out:
                out[doc["manager_id"]].append(_owner(doc))
        return out

    def customer(self, customer_id: str) -> Document | None:
        return self.c["customers"].find_one({"_id": customer_id})

    def customers(self, customer_ids: Iterable[str]) -> dict[str, Document]:
        docs = self.c["customers"].find({"_id": {"$in": list(customer_ids)}}, {"name": 1, "code": 1})
        return {doc["_id"]: doc for doc in docs}

    def cards(self, customer_ids: Sequence[str], fields: Sequence[str]) -> list[Document]:
        """The named card fields of the customers (`_id` reads of at most READ_CHUNK ids each)."""
        return find_ids(self.c["customers"], list(customer_ids), dict.fromkeys(fields, 1) or {"_id": 1})

    def terminals(self, customer_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Per customer: the latest terminal resources and information values merged."""
        ids = [f"{cid}:{kind}" for cid in customer_ids for kind in ("resources", "info")]
        merged: dict[str, dict[str, Any]] = {}
        for doc in self.c["terminals"].find({"_id": {"$in": ids}}, {"customer_id": 1, "values": 1}):
            merged.setdefault(doc["customer_id"], {}).update(doc.get("values", {}))
        return merged

    def terminal_histories(self, customer_ids: Sequence[str]) -> dict[str, dict[str, Document]]:
        """Per customer and kind (resources, info): every saved version (one `_id` query)."""
        ids = [f"{cid}:{kind}" for cid in customer_ids for kind in ("resources", "info")]
        out: dict[str, dict[str, Document]] = {}
        for doc in self.c["terminal_history"].find({"_id": {"$in": ids}}):
            out.setdefault(doc["customer_id"], {})[doc["kind"]] = doc
        return out

    def backfill_terminal_history(self) -> int:
        """Each stored latest terminal version into the history (facts kept before the history existed;
        a version already there is rewritten with the same values). The rebuild runs it."""
        fields = {"customer_id": 1, "kind": 1, "version": 1, "values": 1, "saved_at": 1}
        facts = [
            Fact("terminal_history", doc["_id"], history_fields(doc["customer_id"], doc["kind"], doc), "merge")
            for doc in self.c["terminals"].find({}, fields)
        ]
        self.write(facts)
        return len(facts)

    def last_activity(self, customer_ids: Sequence[str]) -> dict[str, Document]:
        """Per customer the latest date of each activity: visited, collected, scanned, ordered (one `_id` query)."""
        return {doc["_id"]: doc for doc in self.c["last_activity"].find({"_id": {"$in": list(customer_ids)}})}

    def backfill_last_activity(self) -> int:
        """The latest activity dates from the stored visits, collections and order lines (the rebuild;
        scans come from the scan days: scan_views.backfill_last_scans)."""
        facts = [
            Fact("last_activity", doc["customer_id"], {"visited": doc["date"]}, "max")
            for doc in self.c["visits"].find({}, {"customer_id": 1, "date": 1, "completion": 1})
            if "completion" in doc
        ]
        facts += [
            Fact("last_activity", doc["customer_id"], {"collected": doc["date"]}, "max")
            for doc in self.c["collections"].find({}, {"customer_id": 1, "date": 1})
        ]
        facts += [
            Fact("last_activity", doc["customer_id"], {"ordered": doc["order_date"]}, "max")
            for doc in self.c["orders"].find({}, {"customer_id": 1, "order_date": 1})
        ]
        self.write(facts)
        return len({f.doc_id for f in facts})

    def similar(self, terminal_type: str, area_id: str) -> list[str]:
        """Customers of the same terminal type and area (the comparison group of §1.5.13)."""
        docs = self.c["customers"].find({"peer_group": f"{terminal_type}|{area_id}"}, {"_id": 1})
        return [doc["_id"] for doc in docs]

    def skus(self) -> dict[str, Document]:
        return {doc["_id"]: doc for doc in self.c["skus"].find()}

    def _by_key(self, kind: str, customer_ids: Sequence[str], months: Sequence[str]) -> list[Document]:
        """The customers' documents of the months: one `$in` query when the collection is small for
        that many customers, else one indexed equality query per customer. NX-27017 scans the whole
        collection for `$in` on any field but `_id` (about SCAN_PER_QUERY documents in the time of
        one indexed query) and plans no compound index."""
        wanted, ids, collection = set(months), list(customer_ids), self.c[kind]
        if collection.estimated_document_count() <= SCAN_PER_QUERY * len(ids):
            docs: Iterable[Document] = collection.find({"customer_id": {"$in": ids}}).batch_size(SCAN_BATCH)
        else:
            docs = (doc for cid in ids for doc in collection.find({"customer_id": cid}))
        return [doc for doc in docs if doc.get("month") in wanted]

    def orders(self, customer_ids: Sequence[str], months: Sequence[str]) -> list[Document]:
        return self._by_key("orders", customer_ids, months)

    def agreed(self, customer_ids: Sequence[str], months: Sequence[str]) -> list[Document]:
        return find_ids(self.c["agreed"], [f"{cid}:{m}" for cid in customer_ids for m in months])

    def adjustments(self, customer_ids: Sequence[str], months: Sequence[str]) -> list[Document]:
        return self._by_key("adjustments", customer_ids, months)

    def approved(self, customer_ids: Sequence[str], months: Sequence[str]) -> list[Document]:
        return [doc for doc in self.adjustments(customer_ids, months) if doc.get("status") == APPROVED]

    def pending_adjustments(self, customer_id: str) -> list[Document]:
        return list(self.c["adjustments"].find({"customer_id": customer_id, "status": "pending"}))

    def open_items(self, kind: str, customer_id: str, closed: str) -> list[Document]:
        """The customer's follow-ups or requests whose latest status is not `closed`."""
        return [doc for doc in self.c[kind].find({"customer_id": customer_id}) if doc.get("status") != closed]

    def appointments(self, customer_id: str) -> list[Document]:
        """Every appointment booked with the customer (a handful: they are filtered at read time)."""
        return list(self.c["appointments"].find({"customer_id": customer_id}))

    def collections(self, customer_id: str, since: str = "", limit: int = 0) -> list[Document]:
        """The customer's price & stock collections from `since` (a date), newest first.

        The date is filtered and the documents sorted here: NX-27017 (0.8.1) answers the customer
        equality with a range on `date` beside it by a scan (~100 ms on 9,000 collections, ~2 ms without)."""
        docs = [d for d in self.c["collections"].find({"customer_id": customer_id}) if str(d.get("date", "")) >= since]
        docs.sort(key=lambda d: str(d.get("date", "")), reverse=True)
        return docs[:limit] if limit else docs

    def terminal(self, customer_id: str, kind: str) -> Document | None:
        return self.c["terminals"].find_one({"_id": f"{customer_id}:{kind}"})

    def recent(self, kind: str, customer_id: str, limit: int) -> list[Document]:
        """The customer's latest visits or activities (by date, newest first)."""
        return list(self.c[kind].find({"customer_id": customer_id}).sort("date", DESCENDING).limit(limit))

    def completed_visits(self, days: Sequence[str]) -> list[Document]:
        """The completed visits of the days: one indexed equality query per day (NX-27017 compares
        date strings wrongly in a range filter and scans for `$in`)."""
        fields = {"customer_id": 1, "date": 1, "completion": 1}
        docs = (doc for day in days for doc in self.c["visits"].find({"date": day}, fields))
        return [doc for doc in docs if "completion" in doc]

    def visit_dates(self) -> set[str]:
        """Every date with a visit fact (a whole pass: the rebuild of the completed-visit tallies)."""
        return {str(doc["date"]) for doc in self.c["visits"].find({}, {"date": 1}) if doc.get("date")}

    def customer_orders(self, customer_id: str) -> list[Document]:
        """Every order line of the customer (the value class's purchases and tenure)."""
        fields = {"order_date": 1, "quantity": 1, "amount_fen": 1}
        return list(self.c["orders"].find({"customer_id": customer_id}, fields))

    def customer_ids(self) -> set[str]:
        """Every customer analytics knows of: a card, an owner or an order line."""
        ids = {doc["_id"] for kind in ("customers", "owners") for doc in self.c[kind].find({}, {"_id": 1})}
        return ids | {doc["customer_id"] for doc in self.c["orders"].find({}, {"customer_id": 1})}

    def order_keys(self) -> set[tuple[str, str]]:
        """Every (customer, month) some order, agreed quantity or adjustment speaks of, and every
        key an order line was ever stated under (a rebuild)."""
        keys: set[tuple[str, str]] = set()
        for kind in ("orders", "agreed", "adjustments"):
            for doc in self.c[kind].find({}, {"customer_id": 1, "month": 1, "homes": 1}):
                keys.add((doc["customer_id"], doc["month"]))
                keys |= {_unhome(home) for home in doc.get("homes", {})}
        return keys

    def order_homes(self, line_ids: Sequence[str]) -> set[tuple[str, str]]:
        """Every (customer, month) the order lines were ever stated under (one `_id` read): the
        keys a re-import that moved a line left, recomputed with the one it moved to."""
        docs = find_ids(self.c["orders"], list(line_ids), {"customer_id": 1, "month": 1, "homes": 1})
        return {
            key for doc in docs for key in {(doc["customer_id"], doc["month"]), *map(_unhome, doc.get("homes", {}))}
        }

    def backfill_order_homes(self) -> int:
        """The current key of each order line stored before homes were kept, into its homes (the
        rebuild; lines that have homes are left alone, so a later rebuild writes nothing)."""
        facts = [
            Fact("orders", doc["_id"], {home_field(doc["customer_id"], doc["month"]): True}, "merge")
            for doc in self.c["orders"].find({}, {"customer_id": 1, "month": 1, "homes": 1})
            if not doc.get("homes")
        ]
        self.write(facts)
        return len(facts)


def _lacking_marks(collection: Collection[Document], facts: Sequence[Fact]) -> list[tuple[Fact, dict[str, Any]]]:
    """Each stored fact with marks and the marks its document does not hold yet (one `_id` read)."""
    marked = [fact for fact in facts if fact.marks]
    if not marked:
        return []
    fields = {path.split(".", 1)[0]: 1 for fact in marked for path in fact.marks}
    held = {doc["_id"]: doc for doc in find_ids(collection, [fact.doc_id for fact in marked], fields)}
    out = []
    for fact in marked:
        lacking = {path: value for path, value in fact.marks.items() if not _holds(held.get(fact.doc_id, {}), path)}
        if lacking:
            out.append((fact, lacking))
    return out


def _holds(doc: Document, path: str) -> bool:
    node: Any = doc
    for name in path.split("."):
        if not isinstance(node, dict) or name not in node:
            return False
        node = node[name]
    return True


def history_fields(customer_id: str, kind: str, version: Mapping[str, Any]) -> dict[str, Any]:
    """One terminal version as the fields of its history document (its own key: versions never change)."""
    entry = {"saved_at": str(version.get("saved_at", "")), "values": dict(version.get("values") or {})}
    return {"customer_id": customer_id, "kind": kind, f"versions.{int(version['version']):09d}": entry}


def home_field(customer_id: str, month: str) -> str:
    """An order line's key as the dotted field of its homes (no dot or dollar of an id breaks the path)."""
    escaped = customer_id.replace("%", "%25").replace(".", "%2E").replace("$", "%24")
    return f"homes.{month}|{escaped}"


def _unhome(home: str) -> tuple[str, str]:
    month, escaped = home.split("|", 1)
    return escaped.replace("%24", "$").replace("%2E", ".").replace("%25", "%"), month


def _owner(doc: Document) -> Owner:
    return Owner(customer_id=doc["_id"], manager_id=doc.get("manager_id", ""), team_id=doc.get("team_id", ""))
