"""Pure rules of the catalogue and of customer ownership."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from collection.domain.model import CustomerOwner, Sku

PRICE_CLASSES = range(1, 6)
# A carton's reference price stays near packs × pack price; far off means a typo
# (a carton price entered as a pack price, or a missing zero).
CARTON_BAND = 0.2


def yuan(fen: int) -> str:
    """Fen as a yuan amount with two decimals ("45.00"), exact for any integer."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def sku_problems(sku: Sku) -> dict[str, str]:
    """Offending fields of a catalogue entry with the reason; empty when the entry is sound."""
    problems: dict[str, str] = {}
    if not sku.sku.strip():
        problems["sku"] = "required"
    if not sku.name.strip():
        problems["name"] = "required"
    if not sku.brand.strip():
        problems["brand"] = "required"
    if sku.price_class not in PRICE_CLASSES:
        problems["price_class"] = "must be 1 to 5"
    if sku.packs_per_carton < 1:
        problems["packs_per_carton"] = "must be at least 1"
    if sku.ref_pack_price_fen <= 0:
        problems["ref_pack_price_fen"] = "must be positive"
    if sku.ref_carton_price_fen <= 0:
        problems["ref_carton_price_fen"] = "must be positive"
    elif sku.ref_pack_price_fen > 0 and sku.packs_per_carton >= 1:
        packs_total = sku.ref_pack_price_fen * sku.packs_per_carton
        if abs(sku.ref_carton_price_fen - packs_total) > CARTON_BAND * packs_total:
            problems["ref_carton_price_fen"] = (
                f"more than 20% away from {sku.packs_per_carton} packs ({yuan(packs_total)})"
            )
    return problems


def entry_problems(skus: Iterable[Sku]) -> dict[int, dict[str, str]]:
    """Problems per entry index, including a code listed twice (the later entry)."""
    found: dict[int, dict[str, str]] = {}
    seen: set[str] = set()
    for index, sku in enumerate(skus):
        problems = sku_problems(sku)
        if sku.sku in seen:
            problems["sku"] = "listed twice"
        seen.add(sku.sku)
        if problems:
            found[index] = problems
    return found


def catalogue_problems(skus: Sequence[Sku]) -> dict[str, dict[str, str]]:
    """Problems per SKU code (the entry's index when it has no code)."""
    return {skus[i].sku or f"#{i}": problems for i, problems in entry_problems(skus).items()}


def matches(sku: Sku, q: str) -> bool:
    """Catalogue search: the words of `q` each found, case-insensitively, in name, brand, short code or code."""
    haystack = f"{sku.name} {sku.brand} {sku.short_code} {sku.sku}".casefold()
    return all(word in haystack for word in q.casefold().split())


def replaces(current: CustomerOwner | None, incoming: CustomerOwner) -> bool:
    """Only a newer assignment replaces the stored one, so late or replayed events change nothing."""
    if current is None:
        return True
    return (incoming.effective_at, incoming.occurred_at) > (current.effective_at, current.occurred_at)
