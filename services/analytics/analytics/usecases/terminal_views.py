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
    return refresh_summaries(held | set(rosters), book=book)


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


def refresh_summaries(roster_ids: Iterable[str], *, book: TerminalBook) -> int:
    """Sum each owner's summary again from its roster's rows under the current standard."""
    seqs = book.views.bump_summaries(roster_ids)
    if not seqs:
        return 0
    rosters = book.rosters.rosters_of(sorted(seqs))
    rows = book.views.rows_of(sorted({c for customers in rosters.values() for c in customers}))
    version, criteria = current_standard(book.standards)
    docs: list[Document] = []
    for roster_id, customers in rosters.items():
        manager_id, team_id = roster_id.rsplit("|", 1)
        held = rows_held(customers, rows)
        docs.append({"_id": roster_id, "manager_id": manager_id, "team_id": team_id, "seq": seqs[roster_id],
                     "standard_version": version, **ts.summarize(held, criteria)})  # fmt: skip
    book.views.write_summaries(docs)
    return len(docs)


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
