from __future__ import annotations

import pytest

from analytics.domain.access import team_to_read
from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument, PermissionDenied


def test_supervisor_without_team_reads_their_own_team() -> None:
    assert team_to_read(Caller("s01", "supervisor", "t01"), "") == "t01"


def test_supervisor_naming_their_own_team_reads_it() -> None:
    assert team_to_read(Caller("s01", "supervisor", "t01"), "t01") == "t01"


def test_supervisor_cannot_read_another_team() -> None:
    with pytest.raises(PermissionDenied):
        team_to_read(Caller("s01", "supervisor", "t01"), "t02")


def test_admin_reads_any_named_team() -> None:
    assert team_to_read(Caller("admin", "admin"), "t03") == "t03"


def test_admin_must_name_the_team() -> None:
    with pytest.raises(InvalidArgument):
        team_to_read(Caller("admin", "admin"), "")


def test_manager_cannot_read_team_progress() -> None:
    with pytest.raises(PermissionDenied):
        team_to_read(Caller("m001", "manager", "t01"), "t01")
