"""Fuzzing the public API from its OpenAPI document (schemathesis on hypothesis), against the running stack.

Every operation, as each role (a manager, a supervisor, an admin), with data that fits the schema and data
that does not: no answer may be a server error (>= 500), and every answer must be one the document
describes (status, content type, body schema). Bounded: a fixed number of examples per operation and role,
about two minutes in all; the figures are printed in the test log and named in any failure.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.e2e

# Accounts no other end-to-end test uses: what the fuzzer writes cannot disturb them.
ROLES = {"manager": "m020", "supervisor": "s02", "admin": "admin"}
# Examples per operation, role and generation mode; hypothesis stops sooner when an operation has
# few distinct inputs (GET /me has one). BAIFANG_FUZZ_EXAMPLES raises it for a longer local run.
EXAMPLES = int(os.environ.get("BAIFANG_FUZZ_EXAMPLES", "17"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Routes that take no bearer token: sending ours to /auth/logout would revoke it mid-run.
NO_BEARER = ("/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout")


@dataclass
class Tally:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    operations: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)


def _login(stack: str, username: str, address: str) -> dict[str, str]:
    """Headers of an account: its bearer token, and a client address of its own (the gateway trusts
    X-Forwarded-For from loopback) so the login throttle the fuzzer trips never refuses the other tests."""
    password = os.environ.get("BAIFANG_DEMO_PASSWORD", "baifang-demo")
    answer = httpx.post(
        f"{stack}/api/v1/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
        timeout=15,
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}", "X-Forwarded-For": address}


def _device_key(stack: str, manager: dict[str, str], admin: dict[str, str]) -> str:
    """A live device key (for one of the manager's customers), so POST /scans gets past authentication."""
    visits = httpx.get(f"{stack}/api/v1/visits", headers=manager, timeout=15).json()["items"]
    assert visits, "the fuzzing manager has no visits today"
    device = {"customer_id": visits[0]["customer"]["id"], "name": "fuzz"}
    created = httpx.post(f"{stack}/api/v1/admin/devices", json=device, headers=admin, timeout=15)
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


def _fuzz(
    operation: Any, role: str, headers: dict[str, str], mode: GenerationMode, tally: Tally, http: Any, base_url: str
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, session=http, headers=headers, timeout=30)
        tally.sent += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except BaseExceptionGroup as group:  # schemathesis' FailureGroup: record, keep fuzzing
            title = f"{operation.label} as {role} ({mode.value}): {response.status_code}"
            tally.failures.append(f"{title}\n{str(group)[:1500]}")

    try:
        run()
    except Unsatisfiable:  # no input of this mode exists (GET /me has no parameters to break)
        return
    tally.operations.add(operation.label)


@pytest.fixture
def tally(capsys: pytest.CaptureFixture[str]) -> Iterator[Tally]:
    """The run's figures, printed in the test log whatever the capture mode."""
    result = Tally()
    started = time.monotonic()
    yield result
    with capsys.disabled():
        print(
            f"\nfuzz: {result.sent} requests, {len(result.operations)} operations x {len(ROLES)} roles x "
            f"{len(MODES)} modes in {time.monotonic() - started:.0f}s; "
            f"statuses {dict(sorted(result.statuses.items()))}; {len(result.failures)} failures"
        )


@pytest.mark.timeout(900)  # the first end-to-end test also waits for the stack to start
def test_every_operation_as_every_role_answers_without_a_server_error_and_as_documented(
    stack: str, tally: Tally
) -> None:
    schema = schemathesis.openapi.from_url(f"{stack}/openapi.json", timeout=15)
    roles = {role: _login(stack, user, f"192.0.2.{n}") for n, (role, user) in enumerate(ROLES.items(), 1)}
    device = _device_key(stack, roles["manager"], roles["admin"])
    operations = [result.ok() for result in schema.get_all_operations()]
    with requests.Session() as http:
        for operation in operations:
            for role, headers in roles.items():
                sent = dict(headers)
                if operation.path in NO_BEARER:
                    sent.pop("Authorization")
                sent["X-Device-Key"] = device
                for mode in MODES:
                    _fuzz(operation, role, sent, mode, tally, http, stack)
    assert len(tally.operations) == len(operations)
    assert tally.sent >= 2000, f"only {tally.sent} requests: raise BAIFANG_FUZZ_EXAMPLES"
    assert not tally.failures, f"{len(tally.failures)} failures:\n\n" + "\n\n".join(tally.failures[:20])
