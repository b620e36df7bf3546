from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from baifang_common.events import CustomerAssigned
from baifang_common.publisher import EventPublisher
from baifang_common.testing.plugin import unique
from baifang_common.testing.wait import wait_until
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.bootstrap import GrpcDeps
from collection.usecases.ownership import record_customer_assignment, record_customer_assignments

from .price_support import upserted

pytestmark = pytest.mark.integration

# `isolation` comes before `spawn_process` in every signature so the worker is stopped before its
# vhost and database are removed (fixtures tear down in reverse order).


def assigned(customer_id: str, manager_id: str, effective_from: str, **kw: Any) -> CustomerAssigned:
    return CustomerAssigned(
        customer_id=customer_id, manager_id=manager_id, team_id="t01", effective_from=effective_from, **kw
    )


def test_assignment_replayed_or_older_changes_nothing(grpc_deps: GrpcDeps) -> None:
    owners, customer = grpc_deps.owners, unique("c")
    first = assigned(customer, "m001", "2025-06-01")
    assert record_customer_assignment(first, owners=owners, timezone="Asia/Shanghai")
    assert not record_customer_assignment(first, owners=owners, timezone="Asia/Shanghai")
    newer = assigned(customer, "m002", "2025-06-10T08:00:00+08:00", previous_manager_id="m001")
    assert record_customer_assignment(newer, owners=owners, timezone="Asia/Shanghai")
    assert not record_customer_assignment(first, owners=owners, timezone="Asia/Shanghai")
    stored = owners.get(customer)
    assert stored is not None and stored.manager_id == "m002"
    assert stored.effective_at == datetime(2025, 6, 10, tzinfo=UTC)


def test_same_effective_date_is_decided_by_the_later_event(grpc_deps: GrpcDeps) -> None:
    owners, customer = grpc_deps.owners, unique("c")
    early = assigned(customer, "m001", "2025-06-01", occurred_at="2025-06-01T01:00:00+00:00")
    late = dataclasses.replace(early, manager_id="m003", occurred_at="2025-06-01T02:00:00.123456+00:00")
    record_customer_assignment(late, owners=owners, timezone="Asia/Shanghai")
    record_customer_assignment(early, owners=owners, timezone="Asia/Shanghai")
    record_customer_assignment(late, owners=owners, timezone="Asia/Shanghai")
    stored = owners.get(customer)
    assert stored is not None and stored.manager_id == "m003"


def test_worker_keeps_the_newest_owner_and_the_codes_from_published_events(
    isolation: dict[str, str], grpc_deps: GrpcDeps, spawn_process: Callable[..., Any]
) -> None:
    spawn_process("collection", "worker", env=isolation)
    owners: CustomerOwnerStore = grpc_deps.owners
    customer = unique("c")
    newer = assigned(customer, "m002", "2025-06-10", previous_manager_id="m001", reason="reassignment")
    older = assigned(customer, "m001", "2025-06-01")
    publisher = EventPublisher(isolation["AMQP_URI"])
    publisher.publish_many([upserted(customer, "C" + customer), upserted(customer, "C" + customer)])
    publisher.publish_many([newer, newer, older])
    marker = assigned(unique("c"), "m009", "2025-06-01")
    publisher.publish(marker)  # same queue, published last: once applied, the others were handled
    publisher.close()
    wait_until(lambda: owners.get(marker.customer_id), timeout=10, what="the marker assignment")
    stored = owners.get(customer)
    assert stored is not None
    assert (stored.manager_id, stored.team_id) == ("m002", "t01")
    wait_until(lambda: grpc_deps.codes.resolve(["C" + customer]), timeout=10, what="the outlet's code")
    assert grpc_deps.codes.resolve(["C" + customer, "C-nobody"]) == {"C" + customer: customer}


def test_a_batch_of_assignments_keeps_each_customers_newest(grpc_deps: GrpcDeps) -> None:
    owners = grpc_deps.owners
    customers = [unique("c") for _ in range(4)]
    record_customer_assignments(
        [assigned(customers[0], "m001", "2025-06-01"), assigned(customers[1], "m001", "2025-06-01")],
        owners=owners,
        timezone="Asia/Shanghai",
    )
    batch = [
        assigned(customers[0], "m002", "2025-06-10"),  # newer than the cache
        assigned(customers[1], "m003", "2025-05-01"),  # older than the cache
        assigned(customers[2], "m004", "2025-06-10"),
        assigned(customers[2], "m005", "2025-06-01"),  # older than the one before it in the batch
        assigned(customers[3], "m006", "2025-06-01"),
    ]
    changed = record_customer_assignments(batch + batch, owners=owners, timezone="Asia/Shanghai")
    stored = [owners.get(c) for c in customers]
    assert [o.manager_id if o else None for o in stored] == ["m002", "m001", "m004", "m006"]
    assert changed == 3
