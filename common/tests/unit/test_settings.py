"""BAIFANG_ENV=production refuses the development defaults of the infrastructure credentials."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from baifang_common.settings import DEV_AMQP_URI, DEV_REDIS_URL, ServiceSettings

GOOD = {
    "amqp_uri": "amqps://baifang:s3cret-amqp@rabbitmq.example.internal:5671/baifang",
    "redis_url": "rediss://:s3cret-redis@redis.example.internal:6380/0",
}


def test_development_needs_no_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AMQP_URI", "REDIS_URL", "BAIFANG_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = ServiceSettings()
    assert (settings.amqp_uri, settings.redis_url) == (DEV_AMQP_URI, DEV_REDIS_URL)
    assert ServiceSettings(**GOOD).environment == "development"


def test_production_accepts_dedicated_credentials() -> None:
    assert ServiceSettings(environment="production", **GOOD).environment == "production"
    in_query = "redis://redis.example.internal:6379/0?password=s3cret-redis"
    assert ServiceSettings(environment="production", **{**GOOD, "redis_url": in_query}).redis_url == in_query


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("amqp_uri", "amqp://guest:guest@rabbitmq:5672//", "AMQP_URI"),
        ("amqp_uri", "amqps://rabbitmq.example.internal:5671/baifang", "AMQP_URI"),  # none: kombu uses guest
        ("redis_url", "redis://redis:6379/0", "REDIS_URL"),
        ("redis_url", "rediss://default@redis:6380/0", "REDIS_URL"),
        # The local stack's development credentials are in git: never good enough for production.
        ("amqp_uri", DEV_AMQP_URI, "AMQP_URI"),
        ("amqp_uri", "amqps://baifang:baifang-dev@rabbitmq.example.internal:5671/baifang", "AMQP_URI"),
        ("amqp_uri", "amqps://guest:s3cret@rabbitmq.example.internal:5671/baifang", "AMQP_URI"),
        ("redis_url", DEV_REDIS_URL, "REDIS_URL"),
        ("redis_url", "rediss://redis.example.internal:6380/0?password=baifang-dev", "REDIS_URL"),
    ],
)
def test_production_refuses_default_credentials(field: str, value: str, named: str) -> None:
    with pytest.raises(ValidationError) as info:
        ServiceSettings(environment="production", **{**GOOD, field: value})
    assert named in str(info.value)
    assert "BAIFANG_ENV=production" in str(info.value)


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(ValidationError):
        ServiceSettings(environment="prod")


def test_a_service_process_refuses_to_start_in_production_with_the_defaults() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "REDIS_URL")} | {"BAIFANG_ENV": "production"}
    done = subprocess.run(
        [sys.executable, "-m", "planning", "grpc"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    assert "BAIFANG_ENV=production" in done.stderr and "AMQP_URI" in done.stderr
