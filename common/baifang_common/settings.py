"""Typed settings read once from the environment in each process's main().

The names docs/architecture.md fixes (AMQP_URI, REDIS_URL, MONGO_URL, ...) are shared by every
service; service-specific knobs live in subclasses with a `<SVC>_` prefix. The store is the
exception that is both: a service reads `<SVC>_MONGO_URL` first and falls back to `MONGO_URL`,
so each service can have its own store while one MongoDB server still serves them all.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import AliasChoices, Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from baifang_common import stores

PRODUCTION = "production"

# The local infrastructure's development credentials: scripts/infra.sh creates this RabbitMQ user
# and vhost and gives Redis this password, so a fresh checkout works with no setup. They are
# public (they are in git): BAIFANG_ENV=production refuses them (production_problems).
DEV_PASSWORD = "baifang-dev"  # noqa: S105 - public on purpose, refused in production
DEV_AMQP_URI = f"amqp://baifang:{DEV_PASSWORD}@127.0.0.1:5672/baifang"
DEV_REDIS_URL = f"redis://:{DEV_PASSWORD}@127.0.0.1:6379/0"
DEFAULT_AMQP_USERS = frozenset({"guest"})


def _shared(name: str, default: Any) -> Any:
    """A field read from an unprefixed env var, whatever the subclass prefix."""
    return Field(default=default, validation_alias=AliasChoices(name, name.lower()))


class ServiceSettings(BaseSettings):
    """What every Baifang process needs to reach its infrastructure and peers."""

    # hide_input_in_errors: a refused setting must not print the credentials it was given.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True, hide_input_in_errors=True)

    service: ClassVar[str] = "baifang"

    # `production` refuses development defaults at start (production_problems); development needs no setup.
    environment: Literal["development", "production"] = _shared("BAIFANG_ENV", "development")
    amqp_uri: str = _shared("AMQP_URI", DEV_AMQP_URI)
    redis_url: str = _shared("REDIS_URL", DEV_REDIS_URL)
    mongo_url: str = _shared("MONGO_URL", "mongodb://127.0.0.1:27017/")
    # The store's client gives up within the RPC deadlines (the gateway's: reads 2 s, writes 5 s):
    # a frozen or unreachable store answers Unavailable (503 + Retry-After) instead of holding a
    # worker thread until it comes back. Milliseconds, pymongo's option names. The client checks
    # the store every heartbeat, each check bounded by the connect timeout: a store frozen
    # mid-operation is noticed within their sum and the operations in flight are cancelled; the
    # socket timeout bounds one operation on its own (0: no limit, for bulk loads: scripts/seed.py).
    mongo_connect_timeout_ms: int = _shared("MONGO_CONNECT_TIMEOUT_MS", 2000)
    mongo_heartbeat_ms: int = _shared("MONGO_HEARTBEAT_MS", 2000)
    mongo_server_selection_timeout_ms: int = _shared("MONGO_SERVER_SELECTION_TIMEOUT_MS", 2000)
    mongo_socket_timeout_ms: int = _shared("MONGO_SOCKET_TIMEOUT_MS", 5000)
    mongo_wait_queue_timeout_ms: int = _shared("MONGO_WAIT_QUEUE_TIMEOUT_MS", 2000)
    grpc_port: int = _shared("GRPC_PORT", 0)
    metrics_port: int = _shared("METRICS_PORT", 0)
    log_level: str = _shared("LOG_LEVEL", "INFO")
    # Isolation knobs: tests and the end-to-end stack run beside a developer's stack.
    db_suffix: str = _shared("BAIFANG_DB_SUFFIX", "")
    key_prefix: str = _shared("BAIFANG_KEY_PREFIX", "")
    timezone: str = _shared("BAIFANG_TIMEZONE", "Asia/Shanghai")
    planning_addr: str = _shared("PLANNING_ADDR", "127.0.0.1:50051")
    checkin_addr: str = _shared("CHECKIN_ADDR", "127.0.0.1:50052")
    collection_addr: str = _shared("COLLECTION_ADDR", "127.0.0.1:50053")
    analytics_addr: str = _shared("ANALYTICS_ADDR", "127.0.0.1:50054")
    # Handlers mostly wait on the store or a peer; a small pool lets slow check-ins starve
    # fast track batches of threads (seen at the morning peak).
    grpc_workers: int = _shared("GRPC_WORKERS", 64)
    worker_concurrency: int = _shared("WORKER_CONCURRENCY", 10)
    drain_seconds: float = _shared("DRAIN_SECONDS", 2.0)
    # Every listener (gRPC, ops/metrics, the gateway's HTTP) binds here: loopback on a developer's
    # machine; the pods set 0.0.0.0 and NetworkPolicies say who may connect.
    bind_host: str = _shared("BIND_HOST", "127.0.0.1")
    # gRPC server reflection lists every service and method: development only.
    grpc_reflection: bool = _shared("GRPC_REFLECTION", False)
    # Batched consumers (baifang_common.batching), env <SVC>_CONSUMER_*: up to this many messages,
    # or what arrived within this many ms of the first, per store write; a failing message is
    # tried `max_attempts` times, waiting `backoff_s` (per attempt, the last one repeated).
    consumer_batch_max: int = 200
    consumer_batch_wait_ms: float = 50.0
    consumer_max_attempts: int = 5
    consumer_backoff_s: tuple[float, ...] = (0.5, 2.0, 5.0, 15.0)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Give each service its own store variable, `<SVC>_MONGO_URL`, before `MONGO_URL`.

        Without either, a service talks to its own local store process (baifang_common.stores).
        """
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.__pydantic_fields__
        fields["mongo_url"] = FieldInfo.merge_field_infos(
            fields["mongo_url"],
            default=stores.default_url(cls.service),
            validation_alias=AliasChoices(stores.url_var(cls.service), "MONGO_URL", "mongo_url"),
        )
        cls.model_rebuild(force=True)

    @property
    def mongo_options(self) -> dict[str, Any]:
        """Options of every store client, sync (baifang_common.mongo) or async (the gateway)."""
        return {
            "tz_aware": True,
            "connectTimeoutMS": self.mongo_connect_timeout_ms,
            "heartbeatFrequencyMS": self.mongo_heartbeat_ms,
            "serverSelectionTimeoutMS": self.mongo_server_selection_timeout_ms,
            "socketTimeoutMS": self.mongo_socket_timeout_ms or None,
            "waitQueueTimeoutMS": self.mongo_wait_queue_timeout_ms,
        }

    @property
    def mongo_db(self) -> str:
        """One database per service (docs/architecture.md), suffixed for isolated runs."""
        return f"baifang_{self.service}{self.db_suffix}"

    def production_problems(self) -> list[str]:
        """What production must not run with; subclasses add their own (the gateway: its JWT secret)."""
        problems = []
        amqp = urlsplit(self.amqp_uri)
        if not amqp.username or not amqp.password or amqp.username in DEFAULT_AMQP_USERS:
            problems.append("AMQP_URI must carry a dedicated RabbitMQ user and password (not guest, not none)")
        elif unquote(amqp.password) == DEV_PASSWORD:
            problems.append("AMQP_URI carries the development password: give the RabbitMQ user a secret one")
        redis = urlsplit(self.redis_url)
        redis_passwords = [unquote(redis.password or ""), *parse_qs(redis.query).get("password", [])]
        if not any(redis_passwords):
            problems.append("REDIS_URL must carry a password (redis://:<password>@host or ?password=)")
        elif DEV_PASSWORD in redis_passwords:
            problems.append("REDIS_URL carries the development password: give Redis a secret one")
        return problems

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> ServiceSettings:
        """Every process builds its settings first thing in main(): a bad production setup stops it there."""
        if self.environment == PRODUCTION:
            problems = self.production_problems()
            if problems:
                raise ValueError("BAIFANG_ENV=production refuses to start: " + "; ".join(problems))
        return self
