"""CheckinServicer: proto → command → use case → proto, nothing else; and the gRPC process.

Everything generated stays here: request bodies are decoded into plain Python values (the
use cases and the domain never see a protobuf message) and results are encoded back.
"""

from __future__ import annotations

import math
import time
from typing import Any

import grpc
import orjson
from google.protobuf import json_format, struct_pb2
from google.protobuf.message import DecodeError

from baifang.checkin.v1 import checkin_pb2, checkin_pb2_grpc
from baifang_common.context import require_caller
from baifang_common.grpc_server import Servicer, serve
from baifang_common.identity import FROM_GATEWAY
from baifang_common.logging import configure_logging
from checkin import bootstrap
from checkin.bootstrap import GrpcDeps
from checkin.domain.errors import InvalidBody
from checkin.domain.model import (
    BatchBody,
    BatchResult,
    BodyFormat,
    CheckinCommand,
    ScanBatchCommand,
    TrackBatchCommand,
    TypedPoint,
    TypedScan,
)
from checkin.domain.sync import OfflineOp, OpOutcome
from checkin.settings import CheckinSettings
from checkin.usecases.views import ManagerDay, MemberPosition, TrackDay, TrackQuery

SERVICE_NAME = "baifang.checkin.v1.CheckinService"
# Who may call each RPC (issuers of the signed identity, enforced by the common server interceptor).
CALLERS = dict.fromkeys(checkin_pb2.DESCRIPTOR.services_by_name["CheckinService"].methods_by_name, FROM_GATEWAY)


class CheckinServicer(checkin_pb2_grpc.CheckinServiceServicer):
    def __init__(self, deps: GrpcDeps) -> None:
        self.use = bootstrap.use_cases(deps)

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
            visit_id=request.visit_id,
        )
        result = self.use.record_checkin(cmd).result
        return checkin_pb2.RecordCheckinResponse(
            checkin_id=result.checkin_id,
            visit_id=result.visit_id,
            customer_id=result.customer_id,
            distance_m=result.distance_m,
            verdict=result.verdict,
            verdict_reason=result.verdict_reason,
            checked_in_at=result.checked_in_at,
        )

    def GetLastFix(  # noqa: N802 - generated method name
        self, request: checkin_pb2.GetLastFixRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.GetLastFixResponse:
        fix = self.use.get_last_fix(require_caller())
        if fix is None:
            return checkin_pb2.GetLastFixResponse(found=False)
        return checkin_pb2.GetLastFixResponse(
            found=True, lat=fix.point.lat, lon=fix.point.lon, taken_at=fix.taken_at.isoformat()
        )

    def AcceptTrackBatch(  # noqa: N802 - generated method name
        self, request: checkin_pb2.AcceptTrackBatchRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.AcceptTrackBatchResponse:
        cmd = TrackBatchCommand(caller=require_caller(), body=track_body(request), batch_id=request.batch_id)
        result = self.use.accept_track_batch(cmd)
        return checkin_pb2.AcceptTrackBatchResponse(accepted=result.accepted, rejected=_rejections(result))

    def AcceptScanBatch(  # noqa: N802 - generated method name
        self, request: checkin_pb2.AcceptScanBatchRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.AcceptScanBatchResponse:
        require_caller()  # the gateway authenticated the device; the batch names it
        body = scan_body(request)
        cmd = ScanBatchCommand(request.device_id, request.customer_id, body, request.batch_id)
        result = self.use.accept_scan_batch(cmd)
        return checkin_pb2.AcceptScanBatchResponse(accepted=result.accepted, rejected=_rejections(result))

    def ApplyOfflineBatch(  # noqa: N802 - generated method name
        self, request: checkin_pb2.ApplyOfflineBatchRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.ApplyOfflineBatchResponse:
        outcomes = self.use.apply_offline_batch(offline_ops(request), require_caller())
        return batch_response(outcomes)

    def GetTeamPositions(  # noqa: N802 - generated method name
        self, request: checkin_pb2.GetTeamPositionsRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.GetTeamPositionsResponse:
        team, members = self.use.get_team_positions(require_caller(), request.team_id)
        return positions_response(team, members)

    def GetTrackDay(  # noqa: N802 - generated method name
        self, request: checkin_pb2.GetTrackDayRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.GetTrackDayResponse:
        tolerance = request.tolerance_m if request.tolerance_m > 0 else DEFAULT_TOLERANCE_M
        query = TrackQuery(require_caller(), request.manager_id, request.date, not request.raw, tolerance)
        return track_response(self.use.get_track_day(query))

    def GetTeamDay(  # noqa: N802 - generated method name
        self, request: checkin_pb2.GetTeamDayRequest, context: grpc.ServicerContext
    ) -> checkin_pb2.GetTeamDayResponse:
        team, days = self.use.get_team_day(require_caller(), request.team_id, request.date)
        return team_day_response(team, request.date, days)


# --- request bodies ---------------------------------------------------------------------------


def track_body(request: checkin_pb2.AcceptTrackBatchRequest) -> BatchBody:
    """The points of a JSON or protobuf body; anything else is `invalid_body`."""
    if request.WhichOneof("body") == BodyFormat.PROTOBUF:
        return BatchBody(BodyFormat.PROTOBUF, typed_points(_message(checkin_pb2.TrackBatch, request.protobuf).points))
    return BatchBody(BodyFormat.JSON, _json_items(request, "points"))


def scan_body(request: checkin_pb2.AcceptScanBatchRequest) -> BatchBody:
    """The scans of a JSON or protobuf body; anything else is `invalid_body`."""
    if request.WhichOneof("body") == BodyFormat.PROTOBUF:
        return BatchBody(BodyFormat.PROTOBUF, typed_scans(_message(checkin_pb2.ScanBatch, request.protobuf).scans))
    return BatchBody(BodyFormat.JSON, _json_items(request, "scans"))


def typed_points(points: Any) -> list[TypedPoint]:
    """TrackPoint messages as plain tuples: absent speed / heading / ts become None.

    Hot path: a non-zero value is present, so only a zero needs the (slower) presence check.
    """
    typed: list[TypedPoint] = []
    append = typed.append
    for point in points:
        speed = point.speed_mps
        if not speed and not point.HasField("speed_mps"):
            speed = None
        heading = point.heading
        if not heading and not point.HasField("heading"):
            heading = None
        ts = point.ts
        seconds, nanos = ts.seconds, ts.nanos
        ms = None
        if 0 <= nanos < 1_000_000_000 and (seconds or nanos or point.HasField("ts")):
            ms = seconds * 1000 + nanos // 1_000_000
        append((point.lat, point.lon, point.accuracy_m, speed, heading, ms))
    return typed


def typed_scans(scans: Any) -> list[TypedScan]:
    """Scan messages as plain tuples; an absent or out-of-range ts becomes None."""
    typed: list[TypedScan] = []
    for scan in scans:
        seconds, nanos = scan.ts.seconds, scan.ts.nanos
        ms = None
        if 0 <= nanos < 1_000_000_000 and (seconds or nanos or scan.HasField("ts")):
            ms = seconds * 1000 + nanos // 1_000_000
        typed.append((scan.code, scan.sku, scan.qty, scan.unit_price, scan.kind, ms))
    return typed


def _json_items(request: Any, field: str) -> list[Any]:
    """The list under `field` of a JSON object body."""
    if request.WhichOneof("body") != BodyFormat.JSON:
        raise InvalidBody("a JSON or protobuf body is required")
    try:
        decoded = orjson.loads(request.json)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody("the body is not JSON") from exc
    items = decoded.get(field) if type(decoded) is dict else None
    if type(items) is not list:
        raise InvalidBody(f"the body needs a list `{field}`", field=field)
    return items


def _message(message_type: Any, body: bytes) -> Any:
    try:
        return message_type.FromString(body)
    except (DecodeError, ValueError) as exc:
        raise InvalidBody(f"the body is not a {message_type.DESCRIPTOR.name} message") from exc


def _rejections(result: BatchResult) -> list[checkin_pb2.Rejection]:
    return [checkin_pb2.Rejection(index=index, reason=reason) for index, reason in result.rejected]


# --- offline batches --------------------------------------------------------------------------


def offline_ops(request: checkin_pb2.ApplyOfflineBatchRequest) -> list[OfflineOp]:
    """The ops as uploaded; Struct numbers arrive as floats, the payload rules accept those."""
    return [
        OfflineOp(
            op_id=op.op_id,
            type=op.type,
            payload=json_format.MessageToDict(op.payload) if op.HasField("payload") else {},
            client_ts=op.client_ts,
        )
        for op in request.ops
    ]


def batch_response(outcomes: list[OpOutcome]) -> checkin_pb2.ApplyOfflineBatchResponse:
    response = checkin_pb2.ApplyOfflineBatchResponse()
    for outcome in outcomes:
        result = response.results.add(
            op_id=outcome.op_id,
            status=outcome.status.value,
            error_code=outcome.error_code,
            error_message=outcome.error_message,
        )
        if outcome.error_details:
            result.error_details.CopyFrom(_struct(outcome.error_details))
        if outcome.result is not None:
            result.result.CopyFrom(_struct(outcome.result))
    return response


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(data)
    return message


def servicer(deps: GrpcDeps) -> Servicer:
    return Servicer(checkin_pb2_grpc.add_CheckinServiceServicer_to_server, CheckinServicer(deps), SERVICE_NAME, CALLERS)


def run() -> None:
    settings = CheckinSettings()
    configure_logging("checkin", "grpc", settings.log_level)
    deps = bootstrap.build_grpc(settings)
    serve(settings, [servicer(deps)], readiness=deps.readiness, on_stop=deps.close)


# --- supervisor views -------------------------------------------------------------------------

DEFAULT_TOLERANCE_M = 10.0


def positions_response(team_id: str, members: list[MemberPosition]) -> checkin_pb2.GetTeamPositionsResponse:
    response = checkin_pb2.GetTeamPositionsResponse(team_id=team_id, now_ms=int(time.time() * 1000))
    for member in members:
        p = member.position
        item = response.members.add(
            manager_id=p.manager_id, lat=p.lat, lon=p.lon, fix_ms=p.ms, age_s=member.age_s, stale=member.stale
        )
        if p.accuracy_m is not None:
            item.accuracy_m = p.accuracy_m
        if p.speed_mps is not None:
            item.speed_mps = p.speed_mps
        if member.visit:
            v = member.visit
            item.visit.CopyFrom(
                checkin_pb2.CurrentVisit(
                    visit_id=v.get("visit_id", ""),
                    customer_id=v.get("customer_id", ""),
                    checkin_id=v.get("checkin_id", ""),
                    verdict=v.get("verdict", ""),
                    verdict_reason=v.get("verdict_reason", ""),
                    checked_in_at=v.get("at", ""),
                )
            )
    return response


def _checkins(items: list[dict[str, Any]]) -> list[checkin_pb2.ViewCheckin]:
    return [checkin_pb2.ViewCheckin(**item) for item in items]


def _gaps(items: list[dict[str, Any]]) -> list[checkin_pb2.ViewGap]:
    return [checkin_pb2.ViewGap(**item) for item in items]


def track_response(day: TrackDay) -> checkin_pb2.GetTrackDayResponse:
    points = day.points
    return checkin_pb2.GetTrackDayResponse(
        manager_id=day.manager_id,
        date=day.date,
        t=[p.ms for p in points],
        lat=[p.lat for p in points],
        lon=[p.lon for p in points],
        accuracy_m=[p.accuracy_m for p in points],
        speed_mps=[math.nan if p.speed_mps is None else p.speed_mps for p in points],
        raw_count=day.raw_count,
        distance_m=day.travel.distance_m,
        jumps=len(day.travel.jumps),
        stops=[
            checkin_pb2.ViewStop(
                lat=s.lat, lon=s.lon, start_ms=s.start_ms, end_ms=s.end_ms, points=s.points, customer_id=place
            )
            for s, place in zip(day.stops, day.places, strict=True)
        ],
        checkins=_checkins(day.checkins),
        gaps=_gaps(day.gaps),
        simplified=day.simplified,
        tolerance_m=day.tolerance_m,
    )


def team_day_response(team_id: str, date: str, days: list[ManagerDay]) -> checkin_pb2.GetTeamDayResponse:
    return checkin_pb2.GetTeamDayResponse(
        team_id=team_id,
        date=date,
        managers=[
            checkin_pb2.ManagerDay(
                manager_id=d.manager_id,
                first_fix_ms=d.first_fix_ms or 0,
                last_fix_ms=d.last_fix_ms or 0,
                points=d.points,
                distance_m=d.distance_m,
                checkins=_checkins(d.checkins),
                gaps=_gaps(d.gaps),
            )
            for d in days
        ],
    )
