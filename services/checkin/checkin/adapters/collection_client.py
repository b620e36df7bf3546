"""CollectionClient: the collection ops of an offline batch (price_inventory, agreed_quantity,
terminal_info) handed to collection's ApplyOfflineOp, one at a time in the batch's order.

Collection keeps them idempotent by op_id and says in `replayed` whether the op had been applied
before; the call is not retried by the channel (a transient failure stops the batch there, and the
client's retry applies it later). The manager's identity travels as metadata (ClientInterceptor).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2

from baifang.collection.v1 import collection_pb2, collection_pb2_grpc
from baifang_common.grpc_client import call
from checkin.domain.sync import WorkAnswer

SERVICE = "baifang.collection.v1.CollectionService"


class CollectionClient:
    def __init__(self, stub: collection_pb2_grpc.CollectionServiceStub, timeout: float = 5.0) -> None:
        self.stub = stub
        self.timeout = timeout

    def apply_offline_op(self, *, op_id: str, op_type: str, payload: Mapping[str, Any], client_ts: str) -> WorkAnswer:
        """The online answer of the op (as collection's proto JSON) and whether it had been applied before."""
        body = struct_pb2.Struct()
        body.update(dict(payload))
        request = collection_pb2.OfflineOpRequest(op_id=op_id, type=op_type, payload=body, client_ts=client_ts)
        response = call(self.stub.ApplyOfflineOp, request, timeout=self.timeout)
        return WorkAnswer(json_format.MessageToDict(response.result), response.replayed)
