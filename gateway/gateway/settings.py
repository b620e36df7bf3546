"""Gateway settings: its port, token secrets and lifetimes, request limits and app release metadata."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from baifang_common.settings import ServiceSettings

DEV_JWT_SECRET = "baifang-dev-secret-change-me-in-production-0123456789"  # noqa: S105 - dev default, warned about
MIN_JWT_SECRET_BYTES = 32


class GatewaySettings(ServiceSettings):
    """Read once in main(); env names are GATEWAY_<FIELD> unless an alias says otherwise."""

    service: ClassVar[str] = "gateway"
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True, frozen=True)

    port: int = Field(default=8080, validation_alias=AliasChoices("GATEWAY_PORT", "port"))
    # Worker processes sharing the port. One per pod in Kubernetes (replicas scale it); the local stack
    # runs two, so that the gateway is not capped at one core on a machine that has two.
    workers: int = Field(default=1, ge=1, le=16)
    # Requests one process serves at once before it answers 503 + Retry-After (middleware: load shedding;
    # auth and probes are never shed). 0 = no limit.
    max_in_flight: int = Field(default=100, ge=0)
    # How long an idle client connection stays open. Longer than a tablet's 10-s GPS tick, so a tablet
    # keeps its connection instead of opening one per request (uvicorn's default is 5 s).
    keep_alive_seconds: int = Field(default=30, ge=1, le=600)
    jwt_secret: str = DEV_JWT_SECRET
    access_ttl_seconds: int = 15 * 60
    refresh_ttl_seconds: int = 30 * 24 * 3600
    # How long a token's account (exists, active, role, team) is cached in-process: disabling an
    # account takes effect on every gateway process within this time (at once on the one that did it).
    user_cache_seconds: float = Field(default=30.0, ge=0, le=30)
    # Login throttling (auth.LoginThrottle): failures allowed per (username, address), per username from
    # every address, per address over every username; then a lock of login_lock_seconds that doubles
    # with each further failure up to login_max_lock_seconds. Failures are forgotten
    # login_failure_window_seconds after the lock ends. login_address_burst: logins in flight from one
    # address (an office behind one NAT) allowed beyond its failures.
    login_failure_limit: int = Field(default=5, ge=1)
    login_user_failure_limit: int = Field(default=50, ge=1)
    login_address_failure_limit: int = Field(default=20, ge=1)
    login_address_burst: int = Field(default=100, ge=0)
    login_lock_seconds: int = Field(default=60, ge=1)
    # Logins waiting for the process's one password-hashing thread before a login answers 503
    # (auth.PasswordHashing); at ~25 ms a hash, 16 waiting is under half a second.
    login_hash_queue: int = Field(default=16, ge=1)
    login_max_lock_seconds: int = Field(default=3600, ge=1)
    login_failure_window_seconds: int = Field(default=5 * 60, ge=1)
    max_body_bytes: int = 1024 * 1024
    # POST /photos: the largest photo accepted (collection has the same limit, COLLECTION_PHOTO_MAX_BYTES).
    photo_max_bytes: int = 5 * 1024 * 1024
    # POST /admin/import/*: a 10,000-customer file is ~3 MiB of JSON lines.
    import_max_body_bytes: int = 32 * 1024 * 1024
    # Import files with more rows than this run as a background job (202 + GET /admin/imports/{job_id}).
    import_sync_rows: int = Field(default=2000, ge=1)
    # Rows sent to the service per call, and how long a finished job's report stays readable.
    import_chunk_rows: int = Field(default=1000, ge=1, le=5000)
    # Chunks in flight at once: the service's store writes and event confirms overlap.
    import_parallel_chunks: int = Field(default=3, ge=1, le=8)
    import_job_ttl_seconds: int = 24 * 3600
    app_latest_version: str = "1.0.0"
    app_minimum_version: str = "1.0.0"
    app_download_url: str = "https://baifang.example.com/download/baifang-latest.apk"
    read_timeout_seconds: float = 2.0
    # Reports that read a whole team or period at request time (attendance, visit-frequency compliance).
    report_timeout_seconds: float = 10.0
    write_timeout_seconds: float = 5.0
    readiness_timeout_seconds: float = 1.0
    # POST /tracks and /scans: 1000 JSON points are ~150 KiB, so 512 KiB leaves room and stops abuse early.
    ingest_max_body_bytes: int = 512 * 1024
    ingest_timeout_seconds: float = 5.0
    # How long a device key's positive lookup is cached in-process: a revocation applies within this time.
    device_cache_seconds: float = 5.0
    # The supervisor console (/console/): its map tiles ({z}/{x}/{y}; empty = no tiles, points on a blank
    # map) and where Debian's libjs-leaflet installs Leaflet, served under /console/vendor/leaflet/.
    console_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    console_tile_attribution: str = "&copy; OpenStreetMap contributors"
    console_leaflet_dir: str = "/usr/share/javascript/leaflet"
    demo_password: str = Field(
        default="baifang-demo", validation_alias=AliasChoices("BAIFANG_DEMO_PASSWORD", "demo_password")
    )

    @property
    def uses_dev_secret(self) -> bool:
        return self.jwt_secret == DEV_JWT_SECRET

    def production_problems(self) -> list[str]:
        """Production also needs a real JWT secret: the development one ships in the source."""
        problems = super().production_problems()
        secret = self.jwt_secret
        if self.uses_dev_secret or "change-me" in secret.lower():
            problems.append("GATEWAY_JWT_SECRET is a development placeholder: set a random secret")
        elif len(secret.encode()) < MIN_JWT_SECRET_BYTES:
            problems.append(f"GATEWAY_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes")
        return problems
