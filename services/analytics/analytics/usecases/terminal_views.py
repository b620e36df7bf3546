"""Keeping the terminal analyses' outlet rows and per-owner summaries up to date from the facts
(adapters/terminal_views_store.py; the worker after each batch, and `make rebuild-analytics`).

The design is the order summaries' (usecases/order_views.py): an outlet's row is a pure function
of its facts, written with the change count read before they were; an owner's summary is summed
from the rows of its roster (the owner rosters the order views keep), claiming a change count
taken after the rows and the roster were written, so of two refreshes the later reader's summary
is kept. A row changes with the outlet's card, terminal facts and activity dates (an activity no
later than the one a settled row shows changes nothing); the summaries to sum again are those of
the outlet's owner read after the row is written (an assignment in flight sums its own rosters'
summaries after writing them). The standard's evaluation is summed under the version current at
the time; the quality view evaluates the scope's rows itself when a summary was summed under an
older one (usecases/terminal_analysis.py), until the worker's timer sums it again (`follow_the_standard`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.order_views_store import OrderViewsStore
from analytics.adapters.standard_store import STANDARDS, StandardStore
from analytics.adapters.terminal_views_store import TerminalViewsStore
from analytics.domain import terminal_analysis as ta
from analytics.domain import terminal_standard as std
from analytics.domain import terminal_summary as ts
from analytics.usecases.terminals import CARD_ATTRIBUTES, TERMINAL_ATTRIBUTES, current_standard
from baifang_common.events import (
    CustomerAssigned,
    CustomerUpserted,
    Event,
    OrdersRecorded,
    PriceInventorySubmitted,
    TerminalInfoUpdated,
    TerminalResourcesCollected,
    VisitCompleted,
)
from baifang_common.mongo import Document
from baifang_common.timeutil import parse_date

CHUNK = 500  # outlets whose rows are recomputed per round of queries
ROW_EVENTS = (CustomerAssigned, CustomerUpserted, TerminalResourcesCollected, TerminalInfoUpdated)
ATTEMPTS = 20  # refreshes of a summary that lose to another one before the batch is tried again


@dataclass(frozen=True)
class TerminalBook:
    """What keeping the terminal views needs: the facts, the owner rosters, the views, the standard."""

    facts: FactsStore
    rosters: OrderViewsStore
    views: TerminalViewsStore
    standards: StandardStore


def book_of(facts: FactsStore) -> TerminalBook:
    """The terminal views beside the facts: one database holds them, the rosters and the standard."""
    db = facts.db
    return TerminalBook(facts, OrderViewsStore(db), TerminalViewsStore(db), StandardStore(db[STANDARDS]))


def outlet_row(
    customer_id: str,
    card: Mapping[str, Any],
    current: Mapping[str, Any],
    history: Mapping[str, Mapping[str, Any]],
    last: Mapping[str, Any],
) -> dict[str, Any]:
    """What the analyses read of one outlet: `current` the latest terminal facts (the functional
    analysis), the terminal history's latest versions (the quality one; `current` without one)."""
    values = ta.latest_values(history) if history else dict(current)
    return {
        "_id": customer_id,
        "customer_id": customer_id,
        "card": {a: ts.key(card.get(a)) for a in CARD_ATTRIBUTES},
        "terminal": {a: ts.key(current.get(a)) for a in TERMINAL_ATTRIBUTES},
        "quality": {a: ts.key(values.get(a)) for a in TERMINAL_ATTRIBUTES},
        "functions": [code for code, _, item in ta.FUNCTIONS if ta.has_function(current, item)],
        "last": {name: str(last.get(name) or "") for name in ta.ACTIVITIES},
        "values": values,
        "states": ts.states_of(history),
    }


def _rows(customer_ids: list[str], facts: FactsStore) -> list[dict[str, Any]]:
    cards = {doc["_id"]: doc for doc in facts.cards(customer_ids, CARD_ATTRIBUTES)}
    current = facts.terminals(customer_ids)
    histories = facts.terminal_histories(customer_ids)
    last = facts.last_activity(customer_ids)
    return [
        outlet_row(cid, cards.get(cid, {}), current.get(cid, {}), histories.get(cid, {}), last.get(cid, {}))
        for cid in customer_ids
    ]


def after_batch(events: Sequence[Event], *, book: TerminalBook, rosters: Iterable[str] = ()) -> int:
    """After a batch of business events was written (and `rosters`, the owner rosters it changed):
    the rows of the outlets whose card or terminal facts it restated or whose owner it named, and of
    those whose row shows an earlier date of an activity it records; then their owners' summaries."""
    whole: set[str] = set()
    dated: list[tuple[str, str, str]] = []
    for event in events:
        if isinstance(event, OrdersRecorded):
            dated += [(str(line["customer_id"]), "ordered", _day(line["order_date"])) for line in event.lines]
        elif isinstance(event, VisitCompleted):
            dated.append((event.customer_id, "visited", _day(event.date)))
        elif isinstance(event, PriceInventorySubmitted):
            dated.append((event.customer_id, "collected", _day(event.date)))
        elif isinstance(event, ROW_EVENTS):
            whole.add(event.customer_id)
    todo = whole | behind(dated, book=book)
    return refresh_outlets(todo, book=book, rosters=rosters) if todo or rosters else 0


def _day(value: Any) -> str:
    return parse_date(str(value)).isoformat()  # as the facts store it (checked when they were written)


def behind(dated: Iterable[tuple[str, str, str]], *, book: TerminalBook) -> set[str]:
    """Of (customer_id, activity, date) just `$max`ed into the latest activity dates, the outlets whose
    row shows an earlier date of that activity or is being recomputed. A settled row showing this
    date or a later one was read from facts this `$max` left as they were (its owner's summary is
    summed or being summed), and a recompute that starts later reads them after it."""
    latest: dict[tuple[str, str], str] = {}
    for customer_id, name, day in dated:
        latest[(customer_id, name)] = max(day, latest.get((customer_id, name), ""))
    rows = book.views.settled_rows(sorted({c for c, _ in latest})) if latest else {}
    return {c for (c, name), day in latest.items() if str((rows.get(c) or {}).get("last", {}).get(name) or "") < day}


def refresh_outlets(customer_ids: Iterable[str], *, book: TerminalBook, rosters: Iterable[str] = ()) -> int:
    """Recompute the rows of owned outlets whose facts were written (an outlet without an owner is
    in no view: its assignment writes its row), then the summaries of their owners and of `rosters`
    (those an assignment batch wrote); returns the summaries summed."""
    named = sorted(set(customer_ids))
    todo = sorted(book.facts.owners(named)) if named else []
    for start in range(0, len(todo), CHUNK):
        _write_rows(todo[start : start + CHUNK], book)
    owners = book.facts.owners(todo) if todo else {}  # after the rows: a reassignment written before is seen
    held = {f"{o.manager_id}|{o.team_id}" for o in owners.values() if o.manager_id}
    return refresh_summaries(held | set(rosters), book=book, changed=todo)


def refresh_scanned(days: Iterable[tuple[str, str]], *, book: TerminalBook) -> int:
    """After scan days (customer_id, date) were written to the latest activity dates: the rows of
    the outlets showing an earlier scan (`behind`), then their owners' summaries."""
    todo = behind([(customer_id, "scanned", day) for customer_id, day in days], book=book)
    return refresh_outlets(todo, book=book) if todo else 0


def _write_rows(customer_ids: list[str], book: TerminalBook) -> None:
    seqs = book.views.bump_outlets(customer_ids)  # before the facts: a row never claims a count its facts lack
    book.views.write_rows([{**row, "seq": seqs[row["_id"]]} for row in _rows(customer_ids, book.facts)])


def rows_held(customer_ids: Iterable[str], rows: Mapping[str, Document]) -> list[Document]:
    """The rows of a roster's outlets, by customer: an outlet whose row is not written yet counts as one
    without card, terminal facts or activity (its assignment writes it, then sums the roster again)."""
    return [rows.get(c) or outlet_row(c, {}, {}, {}, {}) for c in sorted(customer_ids)]


def refresh_summaries(roster_ids: Iterable[str], *, book: TerminalBook, changed: Iterable[str] = ()) -> int:
    """Bring each owner's summary up to its roster and to the rows of the `changed` outlets (those a
    batch just wrote), under the current standard; returns the summaries refreshed.

    A summary keeps the row it summed of each member outlet, with the row's seq: a refresh takes away
    the rows that went or were replaced by a higher seq and adds the new ones (ts.combined), so it
    costs the changed rows, not the roster. A member keeps its row until a higher seq is read (any
    order of refreshes ends at the latest row), the members follow the roster only from a roster
    of a seq at least the one summed, and the write lands only over the summary it was summed from
    (`write_summaries`); one that lost to another refresh is summed again from what that one wrote.
    Summed from no stored members (never summed, a rebuild) or under another standard: all rows again."""
    todo, count, outlets = sorted(set(roster_ids)), len(set(roster_ids)), set(changed)
    for _ in range(ATTEMPTS):
        if not todo:
            return count
        todo = sorted(_sum_once(todo, outlets, book))
    raise RuntimeError(f"terminal summaries {todo} changed under {ATTEMPTS} refreshes in a row")


def _sum_once(roster_ids: list[str], changed: set[str], book: TerminalBook) -> set[str]:
    """One round: read the summaries, rosters and the rows needed, write what changed; the ids lost."""
    stored = book.views.summaries_to_sum(roster_ids)
    rosters = book.rosters.rosters_with_seq(roster_ids)
    version, criteria = current_standard(book.standards)
    wanted: set[str] = set()
    plans: dict[str, tuple[int, list[str]]] = {}
    for roster_id in roster_ids:
        doc, (roster_seq, customers) = stored.get(roster_id) or {}, rosters[roster_id]
        members = doc.get("members")
        if members is not None and roster_seq < int(doc.get("roster_seq", 0)):
            roster_seq, customers = int(doc["roster_seq"]), list(members)  # a roster older than the one summed
        plans[roster_id] = (roster_seq, customers)
        wanted |= {c for c in customers if c in changed or c not in (members or {})}
    rows = book.views.rows_with_seq(sorted(wanted)) if wanted else {}
    docs = []
    for roster_id, (roster_seq, customers) in plans.items():
        doc = _summed(roster_id, stored.get(roster_id), (roster_seq, customers), rows, (version, criteria))
        if doc is not None:
            docs.append(doc)
    return book.views.write_summaries(docs)


def _summed(
    roster_id: str,
    stored: Document | None,
    roster: tuple[int, Sequence[str]],
    rows: Mapping[str, Document],
    standard: tuple[int, Sequence[std.Criterion]],
) -> Document | None:
    """The summary of the roster's customers from the stored one and the rows read (None: unchanged)."""
    (roster_seq, customers), (version, criteria) = roster, standard
    old: dict[str, Document] | None = (stored or {}).get("members")
    members: dict[str, Document] = {}
    for c in customers:
        held, row = (old or {}).get(c), rows.get(c)
        if held is not None and (row is None or int(row.get("seq", 0)) <= int(held.get("seq", 0))):
            members[c] = held
        else:
            members[c] = row if row is not None else {**outlet_row(c, {}, {}, {}, {}), "seq": 0}
    if stored is None or old is None or stored.get("standard_version") != version:
        sums = ts.summarize(members.values(), criteria)
    else:
        came = [row for c, row in members.items() if old.get(c) is not row]
        gone = [row for c, row in old.items() if members.get(c) is not row]
        if not came and not gone and stored.get("roster_seq") == roster_seq:
            return None
        sums = ts.combined(stored, ts.summarize(came, criteria), ts.summarize(gone, criteria))
    manager_id, team_id = roster_id.rsplit("|", 1)
    seq = int((stored or {}).get("seq", 0)) + 1
    return {"_id": roster_id, "manager_id": manager_id, "team_id": team_id, "seq": seq, "standard_version": version,
            "roster_seq": roster_seq, "members": dict(sorted(members.items())), **sums}  # fmt: skip


def follow_the_standard(*, book: TerminalBook) -> int:
    """Sum again the summaries summed under another standard than the current one (the worker's
    timer: a new standard is saved by the gRPC process, no event follows it); until then the
    quality view evaluates the scope's rows itself."""
    version, _ = current_standard(book.standards)
    return refresh_summaries(book.views.summed_under_another(version), book=book)


def rebuild(*, book: TerminalBook) -> int:
    """Empty the terminal views and recompute every outlet's row and every roster's summary from
    the facts (after the rosters, the terminal history and the activity dates are rebuilt)."""
    book.views.clear()
    owned = book.facts.owned()
    outlets = sorted({o.customer_id for o in owned})
    for start in range(0, len(outlets), CHUNK):
        _write_rows(outlets[start : start + CHUNK], book)
    refresh_summaries({f"{o.manager_id}|{o.team_id}" for o in owned if o.manager_id}, book=book)
    return len(outlets)
