"""CollectionWorker (nameko): one batched handler per consumed event, each one line into a use case."""

from __future__ import annotations

from typing import Any

from baifang_common.events import CustomerAssigned, CustomerUpserted
from baifang_common.logging import configure_logging
from baifang_common.worker import Deps, RequestId, batch_event_handler, run_worker
from collection import bootstrap
from collection.settings import CollectionSettings
from collection.usecases import ownership


class CollectionWorker:
    name = "collection"
    deps = Deps(bootstrap.build_worker)
    request_id = RequestId()

    # A batched consumer without the inbox: only a newer assignment replaces the cached owner, so a
    # redelivered one changes nothing (the seed alone publishes one per outlet: 30,000 at the peak).
    @batch_event_handler("planning", "customer.assigned", dedupe=False)
    def on_customer_assigned(self, bodies: list[dict[str, Any]]) -> None:
        ownership.record_customer_assignments(
            [CustomerAssigned.from_body(body) for body in bodies], owners=self.deps.owners, timezone=self.deps.timezone
        )

    # Idempotent by construction (code → customer id, written whole), so no inbox either.
    @batch_event_handler("planning", "customer.upserted", dedupe=False)
    def on_customer_upserted(self, bodies: list[dict[str, Any]]) -> None:
        ownership.record_customer_codes([CustomerUpserted.from_body(body) for body in bodies], codes=self.deps.codes)


def run() -> None:
    settings = CollectionSettings()
    configure_logging("collection", "worker", settings.log_level)
    run_worker(CollectionWorker, settings)
