"""Pure rules of the shelving facts of key brands (P-002-T3): shelved yes/no per brand at a visit."""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence

from collection.domain.errors import InvalidShelving
from collection.domain.model import ShelvingFact, ShelvingRecord


def check_facts(facts: Sequence[ShelvingFact], brands: Container[str]) -> tuple[ShelvingFact, ...]:
    """Catalogue brands, each once; every problem at once (details {brands: [{index, brand, reason}]})."""
    failures = []
    seen: set[str] = set()
    for index, fact in enumerate(facts):
        if fact.brand not in brands:
            failures.append({"index": index, "brand": fact.brand, "reason": "not a catalogue brand"})
        elif fact.brand in seen:
            failures.append({"index": index, "brand": fact.brand, "reason": "listed twice"})
        seen.add(fact.brand)
    if failures or not facts:
        raise InvalidShelving(brands=failures or [{"index": -1, "brand": "", "reason": "at least one brand"}])
    return tuple(facts)


def latest_per_brand(records: Iterable[ShelvingRecord]) -> dict[str, tuple[bool, str]]:
    """Per brand, the newest fact (records newest first) and the visit date it was seen on."""
    latest: dict[str, tuple[bool, str]] = {}
    for record in records:
        for fact in record.facts:
            latest.setdefault(fact.brand, (fact.shelved, record.date))
    return latest
