"""The manager's own newest known position, for the route suggestion (planning starts the route there)."""

from __future__ import annotations

from baifang_common.context import Caller
from checkin.adapters.last_fixes import LastFixes
from checkin.domain.errors import NotAManager
from checkin.domain.model import PreviousFix


def get_last_fix(caller: Caller, *, last_fixes: LastFixes) -> PreviousFix | None:
    """Only a manager reads, and only their own fix; None when none is known."""
    if not caller.is_manager:
        raise NotAManager(role=caller.role)
    return last_fixes.get(caller.id)
