"""Where each service's database lives: one store process per service on the local stack.

Production points every service at MongoDB with `<SERVICE>_MONGO_URL`, or all of them at one
server with `MONGO_URL` (each still has its own database). The local stack (scripts/infra.sh)
runs one NX-27017 process per service, so that one service's load never stalls another's:

    the gateway (and any MONGO_URL fallback)   MONGO_PORT          (27017)
    planning / checkin / collection / analytics MONGO_PORT + 1..4   (27018-27021)

`<SERVICE>_MONGO_PORT` moves one of them. The local tooling (stack.py, seed.py, the test
plugin) calls `service_urls` to point each service at its own process.

Stdlib only: scripts/stack.py loads this file by path, before the venv's packages are importable.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping

BASE_PORT = 27017
OFFSETS = {"planning": 1, "checkin": 2, "collection": 3, "analytics": 4}
SERVICES = tuple(OFFSETS)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def url_var(service: str) -> str:
    """The environment variable that points one service at its store."""
    return f"{service.upper()}_MONGO_URL"


def base_port(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    return int(env.get("MONGO_PORT") or BASE_PORT)


def local_port(service: str, environ: Mapping[str, str] | None = None) -> int:
    """The port of a service's own local store process."""
    env = os.environ if environ is None else environ
    own = env.get(f"{service.upper()}_MONGO_PORT")
    return int(own) if own else base_port(env) + OFFSETS[service]


def local_url(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/"


def default_url(service: str) -> str:
    """A service's store when nothing is configured: its own process at the default ports."""
    return local_url(BASE_PORT + OFFSETS.get(service, 0))


def names_local_base(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """True when `url` is the local stack's base store (loopback, port MONGO_PORT)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "mongodb" or "," in parsed.netloc:
        return False
    try:
        port = parsed.port or 27017
    except ValueError:
        return False
    return (parsed.hostname or "") in LOOPBACK and port == base_port(environ)


def service_urls(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`<SERVICE>_MONGO_URL` for every service the environment does not place explicitly.

    A service keeps an explicit `<SERVICE>_MONGO_URL`. When `MONGO_URL` is unset or names the
    local base store, the others get their own local process; when it names any other server
    (one external MongoDB), nothing is added and every service falls back to it.
    """
    env = os.environ if environ is None else environ
    shared = env.get("MONGO_URL", "")
    if shared and not names_local_base(shared, env):
        return {}
    return {url_var(s): local_url(local_port(s, env)) for s in SERVICES if not env.get(url_var(s))}
