from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import grpc
import pytest

from baifang.collection.v1 import collection_pb2, collection_pb2_grpc
from baifang_common.demo import demo_org
from baifang_common.testing.calls import caller_md, rpc_error
from baifang_common.testing.plugin import unique
from collection.bootstrap import GrpcDeps
from collection.demo import demo_catalogue, load_demo
from collection.domain.errors import InvalidSku
from collection.domain.model import Sku
from collection.grpc_api import servicer
from collection.settings import CollectionSettings
from collection.usecases.catalogue import upsert_skus

pytestmark = pytest.mark.integration


@pytest.fixture
def stub(grpc_server: Callable[..., Any], grpc_deps: GrpcDeps) -> collection_pb2_grpc.CollectionServiceStub:
    _, channel = grpc_server([servicer(grpc_deps)])
    return collection_pb2_grpc.CollectionServiceStub(channel)


def test_upserted_skus_are_stored_and_announced(grpc_deps: GrpcDeps, event_probe: Callable[..., Any]) -> None:
    probe = event_probe("collection", "sku.upserted")
    entries = demo_catalogue(3)
    upsert_skus(entries, skus=grpc_deps.skus, publisher=grpc_deps.publisher)
    upsert_skus(entries, skus=grpc_deps.skus, publisher=grpc_deps.publisher)  # replay: same catalogue
    stored = {s.sku: s for s in grpc_deps.skus.list(include_inactive=True)}
    assert stored["SKU001"] == entries[0]
    assert len(stored) == 3
    bodies = probe.wait(6)
    assert {b["sku"] for b in bodies} == {"SKU001", "SKU002", "SKU003"}
    assert bodies[0]["ref_pack_price_fen"] == 4500 and bodies[0]["ref_carton_price_fen"] == 45000


def test_invalid_entry_rejects_the_whole_batch(grpc_deps: GrpcDeps) -> None:
    bad = Sku("SKU999", "坏烟", "坏", "H", 9, 100, 1000)
    with pytest.raises(InvalidSku) as raised:
        upsert_skus([*demo_catalogue(2), bad], skus=grpc_deps.skus, publisher=grpc_deps.publisher)
    assert raised.value.details == {"skus": {"SKU999": {"price_class": "must be 1 to 5"}}}
    assert grpc_deps.skus.list(include_inactive=True) == []


def test_list_skus_answers_active_entries_by_price_class(stub: Any, collection_settings: CollectionSettings) -> None:
    counts = load_demo(collection_settings, demo_org(managers=10), today=date(2025, 6, 2), reset=True)
    answer = stub.ListSkus(collection_pb2.ListSkusRequest(), metadata=caller_md())
    assert len(answer.skus) == counts["skus"] - 1  # one demo entry is discontinued
    assert all(s.active for s in answer.skus)
    assert [s.price_class for s in answer.skus] == sorted(s.price_class for s in answer.skus)
    zhonghua = next(s for s in answer.skus if s.sku == "SKU001")
    assert (zhonghua.name, zhonghua.ref_pack_price_fen, zhonghua.ref_carton_price_fen) == ("中华(硬)", 4500, 45000)
    assert zhonghua.packs_per_carton == 10 and zhonghua.short_code == "ZHY"
    everything = stub.ListSkus(collection_pb2.ListSkusRequest(include_inactive=True), metadata=caller_md())
    assert len(everything.skus) == counts["skus"]


def test_list_skus_needs_a_caller(stub: Any) -> None:
    status, code, _ = rpc_error(
        lambda: stub.ListSkus(collection_pb2.ListSkusRequest(), metadata=[("x-request-id", unique("r"))])
    )
    assert (status, code) == (grpc.StatusCode.UNAUTHENTICATED, "unauthenticated")
