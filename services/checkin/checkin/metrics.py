"""Checkin's own metrics (the gRPC and event metrics come from baifang_common)."""

from __future__ import annotations

from baifang_common.metrics import counter

CHECKIN_VERDICTS = counter("baifang_checkin_verdicts_total", "Check-ins recorded, by geofence verdict", ("verdict",))
