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
    counts = load_demo(collection_settings, demo_org(managers=10), today=date(2025, 6, 2), reset=True, customers=12)
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


def test_search_matches_name_brand_short_code_or_code(stub: Any, grpc_deps: GrpcDeps) -> None:
    upsert_skus(demo_catalogue(), skus=grpc_deps.skus, publisher=grpc_deps.publisher)

    def found(q: str, include_inactive: bool = False) -> list[str]:
        request = collection_pb2.SearchSkusRequest(q=q, include_inactive=include_inactive)
        return [s.sku for s in stub.SearchSkus(request, metadata=caller_md()).skus]

    assert found("中华") == ["SKU001", "SKU002", "SKU003"]
    assert found("zhsz") == ["SKU003"]
    assert found("黄山 天都") == ["SKU008"]
    assert found("sku041") == ["SKU041"]
    assert found("红塔山") == ["SKU019"] and found("红塔山", include_inactive=True) == ["SKU019", "SKU020"]
    assert len(found("")) == len(demo_catalogue()) - 1
    assert found("没有这种烟") == []


def _pb(s: Sku) -> collection_pb2.Sku:
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


ADMIN = ("admin", "admin", "")


def test_import_stores_sound_rows_reports_the_rest_and_repeats_safely(
    stub: Any, grpc_deps: GrpcDeps, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("collection", "sku.upserted")
    good = demo_catalogue(2)
    bad = Sku("SKU900", "", "坏", "H", 9, 100, 1000)
    request = collection_pb2.UpsertSkusRequest(skus=[_pb(good[0]), _pb(bad), _pb(good[1]), _pb(good[0])])
    report = stub.ImportSkus(request, metadata=caller_md(*ADMIN))
    assert report.upserted == 2
    assert [(p.index, p.sku, p.field) for p in report.rejected] == [
        (1, "SKU900", "name"),
        (1, "SKU900", "price_class"),
        (3, "SKU001", "sku"),
    ]
    again = stub.ImportSkus(request, metadata=caller_md(*ADMIN))
    assert again == report
    assert [s.sku for s in grpc_deps.skus.list(include_inactive=True)] == ["SKU001", "SKU002"]
    bodies = probe.wait(4)
    assert len({b["event_id"] for b in bodies}) == 2  # the repeat announces under the same ids


def test_admin_upsert_is_all_or_nothing_and_admin_only(stub: Any, grpc_deps: GrpcDeps) -> None:
    changed = Sku("SKU001", "中华(硬)", "中华", "ZHY", 1, 4600, 46000)
    answer = stub.UpsertSkus(collection_pb2.UpsertSkusRequest(skus=[_pb(changed)]), metadata=caller_md(*ADMIN))
    assert answer.upserted == 1 and grpc_deps.skus.list() == [changed]
    bad = collection_pb2.UpsertSkusRequest(skus=[_pb(changed), _pb(Sku("SKU002", "x", "x", "", 1, 100, 5000))])
    status, code, details = rpc_error(lambda: stub.UpsertSkus(bad, metadata=caller_md(*ADMIN)))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_sku")
    assert details == {"skus": {"SKU002": {"ref_carton_price_fen": "more than 20% away from 10 packs (10.00)"}}}
    for who in (("m001", "manager", "t01"), ("s01", "supervisor", "t01")):
        request = collection_pb2.UpsertSkusRequest(skus=[_pb(changed)])
        status, _, _ = rpc_error(lambda who=who, request=request: stub.ImportSkus(request, metadata=caller_md(*who)))
        assert status == grpc.StatusCode.PERMISSION_DENIED


def test_demo_orders_cover_three_months_of_every_outlet(
    grpc_deps: GrpcDeps, collection_settings: CollectionSettings, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("collection", "orders.recorded")
    counts = load_demo(collection_settings, demo_org(managers=10), today=date(2025, 6, 2), reset=True, customers=12)
    for n in (1, 12):
        days = [line.order_date for line in grpc_deps.orders.for_customer(f"cu{n:06d}")]
        assert "2025-03-03" <= days[0] <= "2025-03-17" and days[-1] < "2025-06-02"
    (body,) = probe.wait(1)
    assert len(body["lines"]) == counts["order lines"] > 12 * 3
    assert {(x["customer_id"], x["manager_id"], x["team_id"]) for x in body["lines"]} >= {
        ("cu000001", "m001", "t01"),
        ("cu000011", "m001", "t01"),
        ("cu000012", "m002", "t01"),
    }


def test_demo_terminals_are_stored_dated_and_announced_once_per_version(
    grpc_deps: GrpcDeps, collection_settings: CollectionSettings, event_probe: Callable[..., Any]
) -> None:
    """Most outlets have terminal resources two to three months old, some improved since; a second
    load stores nothing new and announces the same events (analytics keeps them once by version)."""
    probe = event_probe("collection", "terminal_resources.collected")
    org = demo_org(managers=10)
    counts = load_demo(collection_settings, org, today=date(2025, 6, 2), reset=True, customers=12)
    stored = [v for n in range(1, 13) for v in grpc_deps.terminals.history(f"cu{n:06d}", "terminal_resources")]
    assert 0 < len(stored) <= counts["terminal versions"]
    assert all("2025-03-06" <= v.saved_at.date().isoformat() < "2025-06-02" for v in stored)
    bodies = probe.wait(len(stored))
    assert {(b["customer_id"], b["version"]) for b in bodies} == {(v.customer_id, v.version) for v in stored}
    load_demo(collection_settings, org, today=date(2025, 6, 2), customers=12)
    again = [v for n in range(1, 13) for v in grpc_deps.terminals.history(f"cu{n:06d}", "terminal_resources")]
    assert sorted(v.version_id for v in again) == sorted(v.version_id for v in stored)
