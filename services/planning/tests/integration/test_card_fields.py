"""Customer-card fields from collection's `terminal_info.updated` (docs/domain.md §1.5.8.4, §1.6.2)."""

from __future__ import annotations

import pytest

from baifang_common.events import TerminalInfoUpdated
from planning.usecases.customers import apply_terminal_info

from .builders import make_customer

pytestmark = pytest.mark.integration


def _event(customer_id: str, version: int, **card: object) -> TerminalInfoUpdated:
    return TerminalInfoUpdated(
        customer_id=customer_id, version=version, values={}, card_fields=card, saved_by="m001", saved_at=""
    )


def test_R_1_5_8_4_a_terminal_information_updates_the_card_newest_version_wins(stores) -> None:
    customer = make_customer()
    stores.customers.upsert_many([customer])
    assert apply_terminal_info(
        _event(customer.id, 2, terminal_type="超市", phone="13800000000"), customers=stores.customers
    )
    assert not apply_terminal_info(_event(customer.id, 1, terminal_type="烟酒店"), customers=stores.customers)
    assert not apply_terminal_info(
        _event(customer.id, 3, credit_grade="A", terminal_type=5), customers=stores.customers
    )
    stored = stores.customers.get(customer.id)
    assert (stored.terminal_type, stored.phone, stored.credit_grade) == ("超市", "13800000000", customer.credit_grade)
    assert apply_terminal_info(_event(customer.id, 4, terminal_type="烟酒店"), customers=stores.customers)
    assert stores.customers.get(customer.id).terminal_type == "烟酒店"
