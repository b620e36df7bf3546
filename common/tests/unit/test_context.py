"""The caller model: one Caller, required at the gRPC edge, and services acting on their own account."""

import pytest

from baifang_common.context import Caller, bound, require_caller
from baifang_common.errors import Unauthenticated


def test_anonymous_caller_is_unauthenticated() -> None:
    with bound("r1"), pytest.raises(Unauthenticated):
        require_caller()


def test_the_bound_caller_is_the_one_required() -> None:
    with bound("r2", Caller("s01", "supervisor", "t01")):
        assert require_caller() == Caller("s01", "supervisor", "t01")


def test_a_service_on_its_own_account_is_a_service_and_no_user() -> None:
    service = Caller.service("checkin")
    assert (service.id, service.is_service) == ("checkin", True)
    assert not any((service.is_manager, service.is_supervisor, service.is_admin))
    assert not Caller("m001", "manager", "t01").is_service
