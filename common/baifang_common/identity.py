"""Signed identity between our processes: short-lived Ed25519 JWTs minted per call, checked by the callee.

Plain gRPC metadata proves nothing (anyone who reaches a port can write `x-caller-role: admin`), so
every call carries one token in `x-baifang-identity`:

    iss   who signed it: "gateway" or the calling service's name, each with its own private key
    sub, role, team   the user the call is made for (or the service itself, role "service")
    rid   the request id
    iat, exp          60 s of life

The callee holds the public key of every issuer it trusts (BAIFANG_IDENTITY_TRUST) and checks the
issuer against the allow-list of the RPC (`Servicer.callers`, enforced by the ServerInterceptor).
Each process signs with its own seed (BAIFANG_IDENTITY_KEY). With neither set, development keys are
derived per issuer from a fixed seed, so a local stack needs no setup; BAIFANG_ENV=production refuses
them. scripts/gen_identity_keys.py prints a fresh set.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from baifang_common.context import SERVICE_ROLE, Caller, new_request_id
from baifang_common.errors import Unauthenticated

TOKEN_KEY = "x-baifang-identity"  # noqa: S105 - a metadata key, not a secret
ALGORITHM = "EdDSA"
TTL_SECONDS = 60
# Clock skew tolerated between pods.
LEEWAY_SECONDS = 5
GATEWAY = "gateway"
# The allow-list entry of a public RPC: reached through the gateway only.
FROM_GATEWAY = frozenset({GATEWAY})
# Every process that signs calls: the gateway and the four services.
ISSUERS = ("gateway", "planning", "checkin", "collection", "analytics")
KEY_ENV = "BAIFANG_IDENTITY_KEY"
TRUST_ENV = "BAIFANG_IDENTITY_TRUST"
ENV_ENV = "BAIFANG_ENV"
# Development keys only: public in the source, refused in production.
_DEV_SEED = b"baifang-development-identity-v1:"


class IdentityConfigError(RuntimeError):
    """Keys missing, malformed or development keys in production: the process must not start."""


@dataclass(frozen=True)
class Verified:
    """What a valid token proves: who signed it, for whom, and the request id."""

    issuer: str
    caller: Caller | None
    request_id: str


def dev_private_key(issuer: str) -> Ed25519PrivateKey:
    """The development key of an issuer (deterministic, so every local process agrees on it)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(_DEV_SEED + issuer.encode()).digest())


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def encode_private(key: Ed25519PrivateKey) -> str:
    """Base64 of the raw 32-byte seed (the BAIFANG_IDENTITY_KEY format)."""
    return base64.b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode()


def encode_public(key: Ed25519PublicKey) -> str:
    """Base64 of the raw 32-byte public key (the values of BAIFANG_IDENTITY_TRUST)."""
    return base64.b64encode(_raw_public(key)).decode()


def _decode32(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except ValueError as exc:
        raise IdentityConfigError(f"{what} is not base64") from exc
    if len(raw) != 32:
        raise IdentityConfigError(f"{what} must be 32 bytes, got {len(raw)}")
    return raw


class Signer:
    """Mints tokens as one issuer (the gateway, or a service on its own account or for a user)."""

    def __init__(self, issuer: str, key: Ed25519PrivateKey) -> None:
        self.issuer = issuer
        self._key = key

    def mint(self, caller: Caller | None, request_id: str = "", ttl: int = TTL_SECONDS) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "rid": request_id or new_request_id(), "iat": now}
        claims["exp"] = now + ttl
        if caller is not None:
            claims.update(sub=caller.id, role=caller.role, team=caller.team_id)
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def metadata(self, caller: Caller | None, request_id: str = "") -> list[tuple[str, str]]:
        """gRPC metadata for one call made for `caller` (None: nobody in particular)."""
        return [(TOKEN_KEY, self.mint(caller, request_id))]


class Verifier:
    """Checks tokens against the public key of their issuer; trusts no claim of an unknown issuer."""

    def __init__(self, trusted: Mapping[str, Ed25519PublicKey]) -> None:
        self.trusted = dict(trusted)

    def verify(self, token: str) -> Verified:
        """The verified claims, or Unauthenticated (bad signature, expired, unknown issuer, malformed)."""
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as exc:
            raise Unauthenticated("identity token malformed") from exc
        key = self.trusted.get(issuer) if isinstance(issuer, str) else None
        if key is None or not isinstance(issuer, str):
            raise Unauthenticated("identity token from an unknown issuer")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "exp", "iat", "rid"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated("identity token invalid") from exc
        caller = None
        if claims.get("sub"):
            caller = Caller(str(claims["sub"]), str(claims.get("role", "")), str(claims.get("team", "")))
            # A service speaks for users or for itself, never as another service.
            if caller.role == SERVICE_ROLE and caller.id != issuer:
                raise Unauthenticated("identity token claims another service")
        return Verified(issuer, caller, str(claims["rid"]))

    def verify_metadata(self, metadata: Any) -> Verified:
        """The verified identity of a call's invocation metadata (UNAUTHENTICATED without a token)."""
        for key, value in metadata or ():
            if key == TOKEN_KEY:
                return self.verify(value.decode() if isinstance(value, bytes) else value)
        raise Unauthenticated("identity token missing")


def _production(environ: Mapping[str, str]) -> bool:
    return environ.get(ENV_ENV, "").strip().lower() == "production"


def load_signer(issuer: str, environ: Mapping[str, str] | None = None) -> Signer:
    """This process's signer: BAIFANG_IDENTITY_KEY, else the development key (refused in production)."""
    env = os.environ if environ is None else environ
    value = env.get(KEY_ENV, "").strip()
    if not value:
        if _production(env):
            raise IdentityConfigError(f"{KEY_ENV} is required when {ENV_ENV}=production")
        return Signer(issuer, dev_private_key(issuer))
    key = Ed25519PrivateKey.from_private_bytes(_decode32(value, KEY_ENV))
    if _production(env) and _raw_public(key.public_key()) == _raw_public(dev_private_key(issuer).public_key()):
        raise IdentityConfigError(f"{KEY_ENV} is the development key of {issuer}")
    return Signer(issuer, key)


def parse_trust(spec: str) -> dict[str, Ed25519PublicKey]:
    """`gateway=<b64>,checkin=<b64>,...` → public key per issuer."""
    trusted: dict[str, Ed25519PublicKey] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise IdentityConfigError(f"{TRUST_ENV} entries are issuer=<base64 public key>")
        trusted[name.strip()] = Ed25519PublicKey.from_public_bytes(_decode32(value, f"{TRUST_ENV}[{name.strip()}]"))
    return trusted


def load_verifier(environ: Mapping[str, str] | None = None) -> Verifier:
    """Trusted issuers from BAIFANG_IDENTITY_TRUST, else every issuer's development key (not in production)."""
    env = os.environ if environ is None else environ
    spec = env.get(TRUST_ENV, "").strip()
    if not spec:
        if _production(env):
            raise IdentityConfigError(f"{TRUST_ENV} is required when {ENV_ENV}=production")
        return Verifier({name: dev_private_key(name).public_key() for name in ISSUERS})
    trusted = parse_trust(spec)
    if _production(env):
        for name, key in trusted.items():
            if _raw_public(key) == _raw_public(dev_private_key(name).public_key()):
                raise IdentityConfigError(f"{TRUST_ENV} trusts the development key of {name}")
    return Verifier(trusted)
