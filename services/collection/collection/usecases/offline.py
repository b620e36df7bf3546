"""A collection op of a tablet's offline batch (POST /sync): checkin's batch hands each one over in the
batch's order, on the manager's behalf; it runs the online use case with the op's id and client time,
so a replay (online first, or an earlier sync) answers the stored result with `replayed`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from collection.domain import offline
from collection.domain.offline import OfflineType
from collection.usecases.agreed_quantity import AgreedAnswer, SubmitAgreedQuantity
from collection.usecases.price_inventory import SubmitPriceInventory, Submitted
from collection.usecases.terminal import SaveTerminal, TerminalProfile

OfflineAnswer: TypeAlias = Submitted | AgreedAnswer | TerminalProfile


@dataclass(frozen=True)
class OfflineOp:
    caller: Caller
    op_id: str
    type: str
    payload: Mapping[str, Any]
    client_ts: str


def apply_offline_op(
    op: OfflineOp,
    *,
    submit_price_inventory: Callable[[SubmitPriceInventory], Submitted],
    submit_agreed_quantity: Callable[[SubmitAgreedQuantity], AgreedAnswer],
    save_terminal: Callable[[SaveTerminal], TerminalProfile],
) -> OfflineAnswer:
    """The op's online operation, refused (400 per payload field, or its own rules) as online."""
    if not op.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    if op.type == OfflineType.PRICE_INVENTORY:
        pi = offline.price_inventory_fields(op.payload)
        return submit_price_inventory(
            SubmitPriceInventory(op.caller, pi.visit_id, op.op_id, op.client_ts, pi.lines, pi.photo_ids)
        )
    if op.type == OfflineType.AGREED_QUANTITY:
        aq = offline.agreed_quantity_fields(op.payload)
        return submit_agreed_quantity(SubmitAgreedQuantity(op.caller, aq.customer_id, aq.month, op.op_id, aq.lines))
    if op.type == OfflineType.TERMINAL_INFO:
        ti = offline.terminal_info_fields(op.payload)
        return save_terminal(
            SaveTerminal(op.caller, ti.customer_id, "terminal_info", op.op_id, ti.values, ti.visit_id, ti.photo_ids)
        )
    raise InvalidArgument(f"not a collection op: {op.type}", field="type")
