"""CollectionServicer: proto → query → use case → proto, nothing else; plus the gRPC process entry."""

from __future__ import annotations

import grpc

from baifang.collection.v1 import collection_pb2, collection_pb2_grpc
from baifang_common.context import require_caller
from baifang_common.grpc_server import Servicer, serve
from baifang_common.identity import FROM_GATEWAY
from baifang_common.logging import configure_logging
from collection import bootstrap
from collection.bootstrap import GrpcDeps
from collection.domain.model import Sku
from collection.settings import CollectionSettings
from collection.usecases.catalogue import ListSkus

SERVICE_NAME = "baifang.collection.v1.CollectionService"
# Who may call each RPC (issuers of the signed identity, enforced by the common server interceptor).
CALLERS = {"ListSkus": FROM_GATEWAY}


def _sku(s: Sku) -> collection_pb2.Sku:
    return collection_pb2.Sku(
        sku=s.sku,
        name=s.name,
        brand=s.brand,
        short_code=s.short_code,
        price_class=s.price_class,
        ref_pack_price_fen=s.ref_pack_price_fen,
        ref_carton_price_fen=s.ref_carton_price_fen,
        packs_per_carton=s.packs_per_carton,
        active=s.active,
    )


class CollectionServicer(collection_pb2_grpc.CollectionServiceServicer):
    def __init__(self, deps: GrpcDeps) -> None:
        self.use = bootstrap.use_cases(deps)

    def ListSkus(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.ListSkusRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ListSkusResponse:
        query = ListSkus(caller=require_caller(), include_inactive=request.include_inactive)
        return collection_pb2.ListSkusResponse(skus=[_sku(s) for s in self.use.list_skus(query)])


def servicer(deps: GrpcDeps) -> Servicer:
    return Servicer(
        collection_pb2_grpc.add_CollectionServiceServicer_to_server, CollectionServicer(deps), SERVICE_NAME, CALLERS
    )


def run() -> None:
    settings = CollectionSettings()
    configure_logging("collection", "grpc", settings.log_level)
    deps = bootstrap.build_grpc(settings)
    serve(settings, [servicer(deps)], readiness=deps.readiness, on_stop=deps.close)
