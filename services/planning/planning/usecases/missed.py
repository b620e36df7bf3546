"""End of day (§3.5.12): visits of past days never checked in become missed, in bounded batches."""

from __future__ import annotations

import logging
from datetime import date

from baifang_common.publisher import EventPublisher
from planning.adapters.visit_store import VisitStore
from planning.domain import rules
from planning.usecases import events

logger = logging.getLogger(__name__)


def mark_missed_visits(today: date, *, visits: VisitStore, publisher: EventPublisher, limit: int) -> int:
    """Mark up to `limit` overdue visits missed and publish `visit.missed` for every one not yet announced."""
    marked = 0
    for visit in visits.overdue(today.isoformat(), limit):
        if rules.is_overdue(visit, today) and visits.mark_missed(visit.id):
            marked += 1
    pending = visits.missed_pending(limit)
    if pending:
        publisher.publish_many(events.visit_missed(v) for v in pending)
        visits.clear_missed_pending([v.id for v in pending])
    if marked:
        logger.info("visits marked missed: %d", marked)
    return marked
