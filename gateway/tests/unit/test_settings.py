"""The gateway refuses to start in production with the development JWT secret or a short one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from gateway.settings import DEV_JWT_SECRET, GatewaySettings

PRODUCTION = {
    "environment": "production",
    "amqp_uri": "amqps://baifang:s3cret-amqp@rabbitmq.example.internal:5671/baifang",
    "redis_url": "rediss://:s3cret-redis@redis.example.internal:6380/0",
}


def test_development_runs_with_the_development_secret() -> None:
    assert GatewaySettings(environment="development").uses_dev_secret


def test_production_accepts_a_long_random_secret() -> None:
    assert not GatewaySettings(**PRODUCTION, jwt_secret="k" * 32).uses_dev_secret


@pytest.mark.parametrize(
    "secret", [DEV_JWT_SECRET, "short-secret", "x" * 31, "insecure-dev-only-jwt-secret-change-me-0123456789"]
)
def test_production_refuses_a_default_or_short_secret(secret: str) -> None:
    with pytest.raises(ValidationError) as info:
        GatewaySettings(**PRODUCTION, jwt_secret=secret)
    assert "GATEWAY_JWT_SECRET" in str(info.value)


def test_the_gateway_process_refuses_to_start_with_a_clear_message() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")} | {"BAIFANG_ENV": "production"}
    done = subprocess.run(
        [sys.executable, "-m", "gateway"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    assert "refuses to start" in done.stderr
    assert "GATEWAY_JWT_SECRET" in done.stderr and "AMQP_URI" in done.stderr and "REDIS_URL" in done.stderr
    assert "Traceback" not in done.stderr
