"""Customer records owned by planning: the signed QR printed on an outlet's code."""

from __future__ import annotations

from dataclasses import dataclass

from baifang_common.context import Caller
from baifang_common.events import TerminalInfoUpdated
from baifang_common.qr import sign_qr
from planning.adapters.customer_store import CustomerStore
from planning.domain.errors import CustomerNotFound, Forbidden
from planning.domain.rules import card_update


@dataclass(frozen=True)
class GetCustomerQr:
    caller: Caller
    customer_id: str


def get_customer_qr(query: GetCustomerQr, *, customers: CustomerStore) -> str:
    """Admins only: the payload `BF1.<customer_id>.<signature>` to print."""
    if not query.caller.is_admin:
        raise Forbidden("admin only")
    customer = customers.get(query.customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=query.customer_id)
    return sign_qr(customer.id, customer.qr_secret)


def apply_terminal_info(event: TerminalInfoUpdated, *, customers: CustomerStore) -> bool:
    """Collection's terminal information updates the customer card; an older version never overwrites a newer."""
    fields = card_update(event.card_fields)
    if not fields:
        return False
    return customers.update_card(event.customer_id, fields, event.version)
