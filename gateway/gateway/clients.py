"""grpc.aio channels to the four services (one each, opened at start-up) and the one way to call them.

Every call carries a token signed with the gateway's identity key (the caller and request id, see
baifang_common.identity) and a deadline (reads 2 s,
writes 5 s); only the idempotent reads are retried (service config, on UNAVAILABLE).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from baifang.analytics.v1 import analytics_pb2_grpc
from baifang.checkin.v1 import checkin_pb2_grpc
from baifang.collection.v1 import collection_pb2_grpc
from baifang.planning.v1 import planning_pb2_grpc
from baifang_common.context import Caller, current_request_id
from baifang_common.grpc_client import retry_config
from baifang_common.identity import GATEWAY, Signer, load_signer
from gateway.errors import from_rpc_error
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Reads that may be repeated safely; writes are never retried by the channel.
IDEMPOTENT = {
    "planning": (
        "baifang.planning.v1.PlanningService",
        ["ListVisits", "GetVisit", "GetPlanSummary", "ListTaskLibrary", "GetCustomerQr"],
    ),
    "checkin": ("baifang.checkin.v1.CheckinService", ["GetTeamPositions", "GetTrackDay", "GetTeamDay"]),
    "collection": (
        "baifang.collection.v1.CollectionService",
        [
            "ListSkus",
            "SearchSkus",
            "GetPriceInventoryForm",
            "ListPriceInventory",
            "GetAgreedQuantity",
            "GetTerminalProfile",
        ],
    ),
    "analytics": (
        "baifang.analytics.v1.AnalyticsService",
        [
            "GetTeamProgress",
            "GetTeamAttendance",
            "GetDailyOrders",
            "GetMonthlyOrderProgress",
            "GetCustomerDetails",
            "GetCustomerAnalysis",
            "GetScansLive",
            "GetScansYesterday",
            "GetStockLive",
            "GetProfitCurrent",
            "GetTerminalStandard",
            "GetTerminalEvaluation",
            "GetTerminalStats",
            "GetCustomerValue",
            "GetVisitFrequencyCompliance",
        ],
    ),
}


# As the services' own receive limit (baifang_common.grpc_server).
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def open_channel(target: str, service: str) -> grpc.aio.Channel:
    full_name, methods = IDEMPOTENT[service]
    options: list[tuple[str, Any]] = [
        ("grpc.enable_retries", 1),
        ("grpc.keepalive_time_ms", 30000),
        # Photos come back whole (up to photo_max_bytes); the default 4 MiB would refuse them.
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ]
    if methods:
        options.append(("grpc.service_config", retry_config(full_name, methods)))
    return grpc.aio.insecure_channel(target, options=options)


@dataclass
class Clients:
    """Stubs over one channel per service; built in the app's lifespan, closed at shutdown."""

    settings: GatewaySettings
    signer: Signer
    channels: dict[str, grpc.aio.Channel]
    planning: planning_pb2_grpc.PlanningServiceStub
    checkin: checkin_pb2_grpc.CheckinServiceStub
    collection: collection_pb2_grpc.CollectionServiceStub
    analytics: analytics_pb2_grpc.AnalyticsServiceStub

    @classmethod
    def open(cls, settings: GatewaySettings) -> Clients:
        targets = {
            "planning": settings.planning_addr,
            "checkin": settings.checkin_addr,
            "collection": settings.collection_addr,
            "analytics": settings.analytics_addr,
        }
        channels = {name: open_channel(target, name) for name, target in targets.items()}
        return cls(
            settings=settings,
            signer=load_signer(GATEWAY),
            channels=channels,
            planning=planning_pb2_grpc.PlanningServiceStub(channels["planning"]),
            checkin=checkin_pb2_grpc.CheckinServiceStub(channels["checkin"]),
            collection=collection_pb2_grpc.CollectionServiceStub(channels["collection"]),
            analytics=analytics_pb2_grpc.AnalyticsServiceStub(channels["analytics"]),
        )

    async def call(
        self,
        method: Callable[..., Awaitable[T]],
        request: Any,
        caller: Caller | None,
        *,
        write: bool = False,
        timeout: float | None = None,
    ) -> T:
        """Invoke a stub method; a failure becomes the ApiError the error table says.

        `timeout` overrides the read/write deadline (the ingestion batches have their own).
        """
        if timeout is None:
            timeout = self.settings.write_timeout_seconds if write else self.settings.read_timeout_seconds
        metadata = self.signer.metadata(caller, current_request_id())
        try:
            return await method(request, metadata=metadata, timeout=timeout)
        except grpc.RpcError as exc:
            error = from_rpc_error(exc)
            if error.status >= 500:
                logger.warning("grpc call failed: %s", getattr(exc, "code", lambda: "?")())
            raise error from exc

    async def health(self) -> list[str]:
        """Names of the services whose overall gRPC health (service "") is not SERVING."""
        timeout = self.settings.readiness_timeout_seconds

        async def check(name: str, channel: grpc.aio.Channel) -> str | None:
            stub = health_pb2_grpc.HealthStub(channel)
            try:
                answer = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
            except grpc.RpcError:
                return name
            return None if answer.status == health_pb2.HealthCheckResponse.SERVING else name

        results = await asyncio.gather(*(check(n, c) for n, c in self.channels.items()))
        return [r for r in results if r]

    async def close(self) -> None:
        await asyncio.gather(*(c.close(grace=1.0) for c in self.channels.values()))
