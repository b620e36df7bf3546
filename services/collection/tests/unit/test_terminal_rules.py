"""The pure rules of terminal resources and terminal information (docs/domain.md §1.5.8.3–4, §1.6.2)."""

from __future__ import annotations

import pytest

from collection.domain import terminal
from collection.domain.errors import InvalidTerminalItems, InvalidTerminalValues
from collection.domain.model import TerminalItem

RESOURCES = terminal.DEFAULT_ITEMS["terminal_resources"]
INFO = terminal.DEFAULT_ITEMS["terminal_info"]


def test_R_1_5_8_3_a_values_of_configured_items_each_of_its_type() -> None:
    values = {"shop_area": 35.5, "cabinets": 2, "lightbox": True, "location_type": "社区", "pos_device": None}
    assert terminal.check_values(values, RESOURCES) == {k: v for k, v in values.items() if v is not None}
    bad = {"shop_area": -1, "lightbox": "yes", "location_type": "月球", "colour": "red", "cabinets": True}
    with pytest.raises(InvalidTerminalValues) as raised:
        terminal.check_values(bad, RESOURCES)
    assert set(raised.value.details["fields"]) == {"shop_area", "lightbox", "location_type", "colour", "cabinets"}


def test_R_1_5_8_4_a_card_fields_are_picked_for_the_customer_card() -> None:
    values = terminal.check_values({"terminal_type": "超市", "opening_hours": "8:00-22:00"}, INFO)
    assert terminal.card_fields(values, INFO) == {"terminal_type": "超市"}


def test_an_admin_item_list_needs_unique_codes_labels_and_choices() -> None:
    good = [TerminalItem("area", "面积", "number", "m²"), TerminalItem("kind", "类型", "choice", choices=("a", "b"))]
    assert terminal.check_items(good) == tuple(good)
    bad = [
        TerminalItem("Area", "x"),
        TerminalItem("kind", ""),
        TerminalItem("k2", "x", "date"),
        TerminalItem("k3", "x", "choice"),
    ]
    with pytest.raises(InvalidTerminalItems) as raised:
        terminal.check_items(bad)
    assert set(raised.value.details["items"]) == {"0", "1", "2", "3"}
    with pytest.raises(InvalidTerminalItems):
        terminal.check_items([])


def test_P_002_T5_T8_network_items_and_store_tier_are_default_items() -> None:
    assert {"smart_terminal", "e_settlement", "ledger", "stock_classification"} <= {i.code for i in RESOURCES}
    values = terminal.check_values({"association_member": True, "store_tier": "旗舰店"}, INFO)
    assert values == {"association_member": True, "store_tier": "旗舰店"}
