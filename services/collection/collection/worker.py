"""CollectionWorker (nameko): one reliable handler per consumed event, each one line into a use case."""

from __future__ import annotations

from typing import Any

from baifang_common.events import CustomerAssigned
from baifang_common.logging import configure_logging
from baifang_common.worker import Deps, RequestId, reliable_event_handler, run_worker
from collection import bootstrap
from collection.settings import CollectionSettings
from collection.usecases import ownership


class CollectionWorker:
    name = "collection"
    deps = Deps(bootstrap.build_worker)
    request_id = RequestId()

    @reliable_event_handler("planning", "customer.assigned")
    def on_customer_assigned(self, body: dict[str, Any]) -> None:
        ownership.record_customer_assignment(
            CustomerAssigned.from_body(body), owners=self.deps.owners, timezone=self.deps.timezone
        )


def run() -> None:
    settings = CollectionSettings()
    configure_logging("collection", "worker", settings.log_level)
    run_worker(CollectionWorker, settings)
