"""Customer records owned by planning: the signed QR printed on an outlet's code."""

from __future__ import annotations

from dataclasses import dataclass

from baifang_common.context import Caller
from baifang_common.qr import sign_qr
from planning.adapters.customer_store import CustomerStore
from planning.domain.errors import CustomerNotFound, Forbidden


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
