"""The composition root: the only place that creates clients and adapters.

build_worker must not import grpc (workers run under eventlet). The event publisher is built only
for the gRPC process because collection's worker publishes nothing. build_grpc must not import
eventlet or nameko, hence ProcessedEvents (re-exported by baifang_common.worker, which loads both)
is imported inside build_worker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pymongo import MongoClient

from baifang_common import health, mongo
from baifang_common.context import Caller
from baifang_common.mongo import Document
from collection.adapters.agreed_quantity_store import AgreedQuantityStore
from collection.adapters.customer_code_store import CustomerCodeStore
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.order_store import OrderStore
from collection.adapters.photo_store import PhotoStore
from collection.adapters.price_inventory_store import PriceInventoryStore
from collection.adapters.promotion_store import PromotionStore
from collection.adapters.shelving_store import ShelvingStore
from collection.adapters.sku_store import SkuStore
from collection.adapters.special_use_store import SpecialUseStore
from collection.adapters.supply_adjustment_store import SupplyAdjustmentStore
from collection.adapters.terminal_store import TerminalStore
from collection.domain.model import Sku
from collection.settings import CollectionSettings
from collection.usecases import catalogue
from collection.usecases.catalogue import ImportReport, ListSkus, SearchSkus, WriteSkus

if TYPE_CHECKING:
    import grpc

    from baifang_common.publisher import EventPublisher
    from collection.adapters.planning_client import PlanningClient
    from collection.domain.model import (
        AgreedQuantity,
        FormLine,
        Photo,
        PriceInventory,
        Promotion,
        PromotionFeedback,
        ShelvingRecord,
        SpecialUseReport,
        SupplyAdjustment,
        TerminalItem,
    )
    from collection.usecases.agreed_quantity import AgreedAnswer, MonthQuery, SubmitAgreedQuantity
    from collection.usecases.offline import OfflineAnswer, OfflineOp
    from collection.usecases.orders import ImportOrders, OrderImportReport
    from collection.usecases.photos import PhotoQuery, UploadPhoto
    from collection.usecases.price_inventory import CustomerQuery, SubmitPriceInventory, Submitted
    from collection.usecases.promotion import ListPromotions, RecordFeedback, SavePromotion
    from collection.usecases.shelving import RecordShelving
    from collection.usecases.special_use import FileReport
    from collection.usecases.supply_adjustment import ActOnAdjustment, ListAdjustments, RequestAdjustment
    from collection.usecases.terminal import SaveTerminal, SetTerminalItems, TerminalProfile, TerminalQuery


class _Indexed(Protocol):
    def ensure_indexes(self) -> None: ...


S = TypeVar("S", bound=_Indexed)


@dataclass(frozen=True)
class GrpcDeps:
    skus: SkuStore
    owners: CustomerOwnerStore
    codes: CustomerCodeStore
    orders: OrderStore
    photos: PhotoStore
    collections: PriceInventoryStore
    agreed: AgreedQuantityStore
    terminals: TerminalStore
    adjustments: SupplyAdjustmentStore
    reports: SpecialUseStore
    promotions: PromotionStore
    shelving: ShelvingStore
    planning: PlanningClient
    publisher: EventPublisher
    readiness: health.Readiness
    mongo: MongoClient[Document]
    planning_channel: grpc.Channel
    timezone: str
    photo_max_bytes: int

    def close(self) -> None:
        self.publisher.close()
        self.planning_channel.close()
        self.mongo.close()


@dataclass(frozen=True)
class UseCases:
    """The gRPC process's use cases with their dependencies bound: what the servicer calls."""

    list_skus: Callable[[ListSkus], list[Sku]]
    search_skus: Callable[[SearchSkus], list[Sku]]
    admin_upsert_skus: Callable[[WriteSkus], int]
    import_skus: Callable[[WriteSkus], ImportReport]
    import_orders: Callable[[ImportOrders], OrderImportReport]
    price_inventory_form: Callable[[CustomerQuery], list[FormLine]]
    submit_price_inventory: Callable[[SubmitPriceInventory], Submitted]
    price_inventory_history: Callable[[CustomerQuery], list[PriceInventory]]
    agreed_quantity: Callable[[MonthQuery], tuple[str, AgreedQuantity | None]]
    submit_agreed_quantity: Callable[[SubmitAgreedQuantity], AgreedAnswer]
    terminal_profile: Callable[[TerminalQuery], TerminalProfile]
    save_terminal: Callable[[SaveTerminal], TerminalProfile]
    set_terminal_items: Callable[[SetTerminalItems], tuple[TerminalItem, ...]]
    request_adjustment: Callable[[RequestAdjustment], SupplyAdjustment]
    act_on_adjustment: Callable[[ActOnAdjustment], SupplyAdjustment]
    list_adjustments: Callable[[ListAdjustments], list[SupplyAdjustment]]
    effective_quantities: Callable[[MonthQuery], dict[str, int]]
    file_report: Callable[[FileReport], tuple[SpecialUseReport, bool]]
    list_reports: Callable[[CustomerQuery], list[SpecialUseReport]]
    list_promotions: Callable[[ListPromotions], list[Promotion]]
    save_promotion: Callable[[SavePromotion], Promotion]
    record_feedback: Callable[[RecordFeedback], tuple[PromotionFeedback, bool]]
    record_shelving: Callable[[RecordShelving], tuple[ShelvingRecord, bool]]
    shelving_state: Callable[[CustomerQuery], dict[str, tuple[bool, str]]]
    upload_photo: Callable[[UploadPhoto], Photo]
    apply_offline_op: Callable[[OfflineOp], OfflineAnswer]
    get_photo: Callable[[PhotoQuery], tuple[Photo, bytes]]


@dataclass(frozen=True)
class WorkerDeps:
    """No inbox: the ownership cache takes only newer assignments and the code cache writes whole pairs,
    so a redelivery changes nothing."""

    owners: CustomerOwnerStore
    codes: CustomerCodeStore
    timezone: str


def _indexed(store: S) -> S:
    """A store is handed out only once its indexes exist (the unique ones carry idempotency)."""
    store.ensure_indexes()
    return store


def sku_store(settings: CollectionSettings, client: MongoClient[Document]) -> SkuStore:
    return _indexed(SkuStore(mongo.database(settings, client)["skus"]))


def owner_store(settings: CollectionSettings, client: MongoClient[Document]) -> CustomerOwnerStore:
    return _indexed(CustomerOwnerStore(mongo.database(settings, client)["customer_owners"]))


def code_store(settings: CollectionSettings, client: MongoClient[Document]) -> CustomerCodeStore:
    return _indexed(CustomerCodeStore(mongo.database(settings, client)["customer_codes"]))


def photo_store(settings: CollectionSettings, client: MongoClient[Document]) -> PhotoStore:
    return _indexed(PhotoStore(mongo.database(settings, client)))


def order_store(settings: CollectionSettings, client: MongoClient[Document]) -> OrderStore:
    return _indexed(OrderStore(mongo.database(settings, client)["orders"]))


def price_inventory_store(settings: CollectionSettings, client: MongoClient[Document]) -> PriceInventoryStore:
    return _indexed(PriceInventoryStore(mongo.database(settings, client)["price_inventory"]))


def terminal_store(settings: CollectionSettings, client: MongoClient[Document]) -> TerminalStore:
    db = mongo.database(settings, client)
    return _indexed(TerminalStore(db["terminal_versions"], db["terminal_items"]))


def adjustment_store(settings: CollectionSettings, client: MongoClient[Document]) -> SupplyAdjustmentStore:
    return _indexed(SupplyAdjustmentStore(mongo.database(settings, client)["supply_adjustments"]))


def special_use_store(settings: CollectionSettings, client: MongoClient[Document]) -> SpecialUseStore:
    return _indexed(SpecialUseStore(mongo.database(settings, client)["special_use_reports"]))


def promotion_store(settings: CollectionSettings, client: MongoClient[Document]) -> PromotionStore:
    db = mongo.database(settings, client)
    return _indexed(PromotionStore(db["promotions"], db["promotion_feedback"]))


def shelving_store(settings: CollectionSettings, client: MongoClient[Document]) -> ShelvingStore:
    return _indexed(ShelvingStore(mongo.database(settings, client)["shelving"]))


def planning_client_for(settings: CollectionSettings) -> tuple[PlanningClient, grpc.Channel]:
    """The client of planning; the channel speaks as collection when no user's call is served."""
    from baifang.planning.v1 import planning_pb2_grpc
    from baifang_common import grpc_client
    from collection.adapters.planning_client import IDEMPOTENT_METHODS, SERVICE, PlanningClient

    channel = grpc_client.channel(
        settings.planning_addr,
        grpc_client.retry_config(SERVICE, IDEMPOTENT_METHODS),
        default_timeout=2.0,
        identity=Caller.service(settings.service),
    )
    return PlanningClient(planning_pb2_grpc.PlanningServiceStub(channel)), channel


def build_grpc(settings: CollectionSettings) -> GrpcDeps:
    from baifang_common.publisher import EventPublisher

    client = mongo.client(settings)
    planning, planning_channel = planning_client_for(settings)
    return GrpcDeps(
        skus=sku_store(settings, client),
        owners=owner_store(settings, client),
        codes=code_store(settings, client),
        orders=order_store(settings, client),
        photos=photo_store(settings, client),
        photo_max_bytes=settings.photo_max_bytes,
        collections=price_inventory_store(settings, client),
        agreed=AgreedQuantityStore(mongo.database(settings, client)["agreed_quantities"]),
        terminals=terminal_store(settings, client),
        adjustments=adjustment_store(settings, client),
        reports=special_use_store(settings, client),
        promotions=promotion_store(settings, client),
        shelving=shelving_store(settings, client),
        planning=planning,
        planning_channel=planning_channel,
        timezone=settings.timezone,
        publisher=EventPublisher(settings.amqp_uri),
        readiness=health.Readiness({"mongo": health.mongo_check(client), "amqp": health.amqp_check(settings.amqp_uri)}),
        mongo=client,
    )


def use_cases(deps: GrpcDeps) -> UseCases:
    """Bind each use case to its adapters once."""
    from collection.usecases import agreed_quantity, offline, price_inventory, terminal

    writes = outlet_writes(deps)
    return UseCases(
        **catalogue_use_cases(deps),
        **writes,
        apply_offline_op=functools.partial(offline.apply_offline_op, **writes),
        price_inventory_form=functools.partial(
            price_inventory.price_inventory_form,
            owners=deps.owners,
            skus=deps.skus,
            collections=deps.collections,
            orders=deps.orders,
            timezone=deps.timezone,
        ),
        price_inventory_history=functools.partial(
            price_inventory.price_inventory_history, owners=deps.owners, collections=deps.collections
        ),
        agreed_quantity=functools.partial(
            agreed_quantity.agreed_quantity, owners=deps.owners, agreed=deps.agreed, timezone=deps.timezone
        ),
        terminal_profile=functools.partial(terminal.terminal_profile, owners=deps.owners, terminals=deps.terminals),
        set_terminal_items=functools.partial(terminal.set_terminal_items, terminals=deps.terminals),
        **supply_adjustment_use_cases(deps),
    )


def outlet_writes(deps: GrpcDeps) -> dict[str, Callable[..., Any]]:
    """The writes a tablet may also send offline (POST /sync): price & stock, agreed quantity, terminal."""
    from collection.usecases import agreed_quantity, price_inventory, terminal

    return {
        "submit_price_inventory": functools.partial(
            price_inventory.submit_price_inventory,
            planning=deps.planning,
            skus=deps.skus,
            collections=deps.collections,
            orders=deps.orders,
            photos=deps.photos,
            publisher=deps.publisher,
        ),
        "submit_agreed_quantity": functools.partial(
            agreed_quantity.submit_agreed_quantity,
            owners=deps.owners,
            skus=deps.skus,
            agreed=deps.agreed,
            publisher=deps.publisher,
            timezone=deps.timezone,
        ),
        "save_terminal": functools.partial(
            terminal.save_terminal,
            owners=deps.owners,
            terminals=deps.terminals,
            photos=deps.photos,
            publisher=deps.publisher,
        ),
    }


def catalogue_use_cases(deps: GrpcDeps) -> dict[str, Callable[..., Any]]:
    """The catalogue, the order import and photos."""
    from collection.usecases import orders, photos

    return {
        "list_skus": functools.partial(catalogue.list_skus, skus=deps.skus),
        "search_skus": functools.partial(catalogue.search_skus, skus=deps.skus),
        "admin_upsert_skus": functools.partial(catalogue.admin_upsert_skus, skus=deps.skus, publisher=deps.publisher),
        "import_skus": functools.partial(catalogue.import_skus, skus=deps.skus, publisher=deps.publisher),
        "import_orders": functools.partial(
            orders.import_orders,
            orders=deps.orders,
            skus=deps.skus,
            owners=deps.owners,
            codes=deps.codes,
            publisher=deps.publisher,
        ),
        "upload_photo": functools.partial(
            photos.upload_photo,
            owners=deps.owners,
            planning=deps.planning,
            photos=deps.photos,
            max_bytes=deps.photo_max_bytes,
        ),
        "get_photo": functools.partial(photos.get_photo, owners=deps.owners, photos=deps.photos),
    }


def supply_adjustment_use_cases(deps: GrpcDeps) -> dict[str, Callable[..., Any]]:
    from collection.usecases import promotion, shelving, special_use
    from collection.usecases import supply_adjustment as sa

    return {
        "request_adjustment": functools.partial(
            sa.request_adjustment,
            owners=deps.owners,
            skus=deps.skus,
            agreed=deps.agreed,
            adjustments=deps.adjustments,
            publisher=deps.publisher,
        ),
        "act_on_adjustment": functools.partial(
            sa.act_on_adjustment, adjustments=deps.adjustments, publisher=deps.publisher
        ),
        "list_adjustments": functools.partial(sa.list_adjustments, adjustments=deps.adjustments),
        "effective_quantities": functools.partial(
            sa.effective_quantities, owners=deps.owners, agreed=deps.agreed, adjustments=deps.adjustments
        ),
        "file_report": functools.partial(
            special_use.file_report,
            owners=deps.owners,
            skus=deps.skus,
            reports=deps.reports,
            photos=deps.photos,
            publisher=deps.publisher,
        ),
        "list_reports": functools.partial(special_use.list_reports, owners=deps.owners, reports=deps.reports),
        "list_promotions": functools.partial(
            promotion.list_promotions, promotions=deps.promotions, timezone=deps.timezone
        ),
        "save_promotion": functools.partial(promotion.save_promotion, promotions=deps.promotions, skus=deps.skus),
        "record_shelving": functools.partial(
            shelving.record_shelving,
            planning=deps.planning,
            skus=deps.skus,
            shelving=deps.shelving,
            publisher=deps.publisher,
        ),
        "shelving_state": functools.partial(shelving.shelving_state, owners=deps.owners, shelving=deps.shelving),
        "record_feedback": functools.partial(
            promotion.record_feedback,
            owners=deps.owners,
            promotions=deps.promotions,
            photos=deps.photos,
            publisher=deps.publisher,
        ),
    }


def build_worker(settings: CollectionSettings) -> WorkerDeps:
    client = mongo.client(settings)
    return WorkerDeps(
        owners=owner_store(settings, client), codes=code_store(settings, client), timezone=settings.timezone
    )
