"""`python -m checkin grpc` as a real process: boots, becomes ready, serves a check-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest

from baifang.checkin.v1 import checkin_pb2_grpc
from baifang_common.testing.calls import caller_md
from baifang_common.testing.plugin import free_port

from .checkin_support import World, checkin_request

pytestmark = pytest.mark.integration


def test_grpc_process_records_a_checkin(
    world: World, isolation: dict[str, str], spawn_process: Callable[..., Any], event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("checkin", "checkin.recorded")
    port = free_port()
    spawn_process(
        "checkin",
        "grpc",
        env={**isolation, "GRPC_PORT": str(port), "PLANNING_ADDR": f"127.0.0.1:{world.planning_port}"},
    )
    outlet = world.outlet()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        answer = checkin_pb2_grpc.CheckinServiceStub(channel).RecordCheckin(
            checkin_request(outlet), metadata=caller_md(), timeout=10
        )

    assert answer.verdict == "ok"
    assert [b["checkin_id"] for b in probe.wait(1)] == [answer.checkin_id]
