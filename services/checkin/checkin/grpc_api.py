"""CheckinServicer: proto → command → use case → proto, nothing else; and the gRPC process."""

from __future__ import annotations

import grpc

from baifang.checkin.v1 import checkin_pb2, checkin_pb2_grpc
from baifang_common.context import require_caller
from baifang_common.grpc_server import Servicer, serve
from baifang_common.logging import configure_logging
from checkin import bootstrap
from checkin.bootstrap import GrpcDeps
from checkin.domain.model import BatchResult, CheckinCommand, ScanBatchCommand, TrackBatchCommand
from checkin.grpc_sync import batch_response, offline_ops
from checkin.settings import CheckinSettings
from checkin.usecases.checkins import record_checkin
from checkin.usecases.scans import accept_scan_batch
from checkin.usecases.sync import apply_offline_batch
from checkin.usecases.tracks import accept_track_batch

SERVICE_NAME = "baifang.checkin.v1.CheckinService"


class CheckinServicer(checkin_pb2_grpc.CheckinServiceServicer):
    def __init__(self, deps: GrpcDeps) -> None:
        self.deps = deps

    def RecordCheckin(  # noqa: N802 - generated method name
        self, request: checkin_pb2.RecordCheckinRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.RecordCheckinResponse:
        cmd = CheckinCommand(
            caller=require_caller(),
            op_id=request.op.op_id,
            qr=request.qr,
            lat=request.lat,
            lon=request.lon,
            accuracy_m=request.accuracy_m,
            client_ts=request.op.client_ts,
            mock_location=request.mock_location,
            fix_ts=request.fix_ts,
            offline=request.op.offline,
        )
        deps = self.deps
        result = record_checkin(
            cmd,
            checkins=deps.checkins,
            planning=deps.planning,
            publisher=deps.publisher,
            ops=deps.ops,
            last_fixes=deps.last_fixes,
            thresholds=deps.thresholds,
            timezone=deps.settings.timezone,
        )
        return checkin_pb2.RecordCheckinResponse(
            checkin_id=result.checkin_id,
            visit_id=result.visit_id,
            customer_id=result.customer_id,
            distance_m=result.distance_m,
            verdict=result.verdict,
            verdict_reason=result.verdict_reason,
            checked_in_at=result.checked_in_at,
        )

    def AcceptTrackBatch(  # noqa: N802 - generated method name
        self, request: checkin_pb2.AcceptTrackBatchRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.AcceptTrackBatchResponse:
        body_format = request.WhichOneof("body") or ""
        cmd = TrackBatchCommand(
            caller=require_caller(),
            body_format=body_format,
            body=getattr(request, body_format) if body_format else b"",
            batch_id=request.batch_id,
        )
        deps = self.deps
        result = accept_track_batch(cmd, publisher=deps.publisher, queues=deps.queues, limits=deps.limits)
        return checkin_pb2.AcceptTrackBatchResponse(accepted=result.accepted, rejected=_rejections(result))

    def AcceptScanBatch(  # noqa: N802 - generated method name
        self, request: checkin_pb2.AcceptScanBatchRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.AcceptScanBatchResponse:
        require_caller()  # the gateway authenticated the device; the batch names it
        body_format = request.WhichOneof("body") or ""
        cmd = ScanBatchCommand(
            device_id=request.device_id,
            customer_id=request.customer_id,
            body_format=body_format,
            body=getattr(request, body_format) if body_format else b"",
            batch_id=request.batch_id,
        )
        deps = self.deps
        result = accept_scan_batch(cmd, publisher=deps.publisher, queues=deps.queues, limits=deps.limits)
        return checkin_pb2.AcceptScanBatchResponse(accepted=result.accepted, rejected=_rejections(result))

    def ApplyOfflineBatch(  # noqa: N802 - generated method name
        self, request: checkin_pb2.ApplyOfflineBatchRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.ApplyOfflineBatchResponse:
        deps = self.deps
        outcomes = apply_offline_batch(
            offline_ops(request),
            caller=require_caller(),
            applied=deps.sync_ops,
            checkins=deps.checkins,
            planning=deps.planning,
            visit_work=deps.visit_work,
            publisher=deps.publisher,
            checkin_ops=deps.ops,
            last_fixes=deps.last_fixes,
            thresholds=deps.thresholds,
            timezone=deps.settings.timezone,
            max_ops=deps.settings.max_sync_ops,
        )
        return batch_response(outcomes)


def _rejections(result: BatchResult) -> list[checkin_pb2.Rejection]:
    return [checkin_pb2.Rejection(index=index, reason=reason) for index, reason in result.rejected]


def servicer(deps: GrpcDeps) -> Servicer:
    return Servicer(checkin_pb2_grpc.add_CheckinServiceServicer_to_server, CheckinServicer(deps), SERVICE_NAME)


def run() -> None:
    settings = CheckinSettings()
    configure_logging("checkin", "grpc", settings.log_level)
    deps = bootstrap.build_grpc(settings)
    serve(settings, [servicer(deps)], readiness=deps.readiness, on_stop=deps.close)
