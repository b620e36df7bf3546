"""Signed identity between our processes: short-lived Ed25519 JWTs, checked by the callee.

Plain gRPC metadata proves nothing (anyone who reaches a port can write `x-caller-role: admin`), so
every call carries one token in `x-baifang-identity`:

    iss   who signed it: "gateway" or the calling service's name, each with its own private key
    sub, role, team   the user the call is made for (or the service itself, role "service")
    rid   the request id, in tokens minted for one call (`Signer.mint`)
    iat, exp          60 s of life

A process reuses the token of a caller for half its life (`Signer.metadata`; an Ed25519 signature and
its check cost more than the rest of a small call) and sends the request id beside it, in
`x-baifang-request-id`: a request id proves nothing (clients choose their own), it only ties log lines
together. The callee checks each token once and remembers it until it expires.

The callee holds the public key of every issuer it trusts (BAIFANG_IDENTITY_TRUST) and checks the
issuer against the allow-list of the RPC (`Servicer.callers`, enforced by the ServerInterceptor).
Each process signs with its own seed (BAIFANG_IDENTITY_KEY). With neither set, development keys are
derived per issuer from a fixed seed, so a local stack needs no setup; BAIFANG_ENV=production refuses
them. scripts/gen_identity_keys.py prints a fresh set.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from baifang_common.context import SERVICE_ROLE, Caller, new_request_id
from baifang_common.errors import Unauthenticated

TOKEN_KEY = "x-baifang-identity"  # noqa: S105 - a metadata key, not a secret
REQUEST_ID_KEY = "x-baifang-request-id"
MAX_REQUEST_ID_CHARS = 128
# Bounded memory for minted and verified tokens (callers in use): cleared when full, then refilled.
MAX_CACHED_TOKENS = 10_000
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


# Compact JWS (RFC 7515) with EdDSA, the one form our processes exchange. Encoded and checked here
# rather than by PyJWT, whose generic path cost ~5 times the signature itself on every call.
_HEADER_FIELDS = {"alg": ALGORITHM, "typ": "JWT"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(orjson.dumps(_HEADER_FIELDS))


def _parts(token: str) -> tuple[dict[str, Any], bytes, bytes]:
    """(claims, signed bytes, signature) of a token, its header checked; nothing is verified yet."""
    try:
        header, payload, signature = token.split(".")
        fields, claims, raw_signature = orjson.loads(_unb64(header)), orjson.loads(_unb64(payload)), _unb64(signature)
        signed = f"{header}.{payload}".encode("ascii")
    except (ValueError, TypeError, AttributeError) as exc:  # base64, JSON and ASCII errors are ValueErrors
        raise Unauthenticated("identity token malformed") from exc
    if type(fields) is not dict or fields.get("alg") != ALGORITHM or type(claims) is not dict:
        raise Unauthenticated("identity token malformed")
    return claims, signed, raw_signature


def _is_time(value: Any) -> TypeGuard[float]:
    """A NumericDate claim: a number of seconds (not a bool, not NaN)."""
    return type(value) in (int, float) and value == value


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
        self._tokens: dict[Caller | None, tuple[str, float]] = {}

    def mint(self, caller: Caller | None, request_id: str = "", ttl: int = TTL_SECONDS) -> str:
        """A token for one call, the request id signed in."""
        return self._encode(caller, ttl, request_id or new_request_id())

    def _encode(self, caller: Caller | None, ttl: int, request_id: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "iat": now, "exp": now + ttl}
        if request_id is not None:
            claims["rid"] = request_id
        if caller is not None:
            claims.update(sub=caller.id, role=caller.role, team=caller.team_id)
        signed = f"{_HEADER}.{_b64(orjson.dumps(claims))}"
        return f"{signed}.{_b64(self._key.sign(signed.encode('ascii')))}"

    def token(self, caller: Caller | None) -> str:
        """The caller's token without a request id, minted again once half of its life is over."""
        now = time.time()
        cached = self._tokens.get(caller)
        if cached is not None and now < cached[1]:
            return cached[0]
        token = self._encode(caller, TTL_SECONDS, None)
        if len(self._tokens) >= MAX_CACHED_TOKENS:
            self._tokens.clear()
        self._tokens[caller] = (token, now + TTL_SECONDS / 2)
        return token

    def metadata(self, caller: Caller | None, request_id: str = "") -> list[tuple[str, str]]:
        """gRPC metadata for one call made for `caller` (None: nobody in particular) in request `request_id`."""
        return [(TOKEN_KEY, self.token(caller)), (REQUEST_ID_KEY, request_id or new_request_id())]


class Verifier:
    """Checks tokens against the public key of their issuer; trusts no claim of an unknown issuer."""

    def __init__(self, trusted: Mapping[str, Ed25519PublicKey]) -> None:
        self.trusted = dict(trusted)
        # Tokens found valid, with their expiry: a reused token is checked once.
        self._verified: dict[str, tuple[Verified, float]] = {}

    def verify(self, token: str) -> Verified:
        """The verified claims, or Unauthenticated (bad signature, expired, unknown issuer, malformed)."""
        known = self._verified.get(token)
        if known is not None and time.time() < known[1] + LEEWAY_SECONDS:
            return known[0]
        verified, exp = self._check(token)
        if len(self._verified) >= MAX_CACHED_TOKENS:
            self._verified.clear()
        self._verified[token] = (verified, exp)
        return verified

    def _check(self, token: str) -> tuple[Verified, float]:
        """verify() without the memory of valid tokens: the claims and the expiry."""
        claims, signed, signature = _parts(token)
        issuer = claims.get("iss")
        key = self.trusted.get(issuer) if isinstance(issuer, str) else None
        if key is None or not isinstance(issuer, str):
            raise Unauthenticated("identity token from an unknown issuer")
        try:
            key.verify(signature, signed)
        except InvalidSignature as exc:
            raise Unauthenticated("identity token invalid") from exc
        exp, iat, now = claims.get("exp"), claims.get("iat"), time.time()
        if not (_is_time(exp) and _is_time(iat)):
            raise Unauthenticated("identity token invalid")
        if not (now - LEEWAY_SECONDS < exp and iat <= now + LEEWAY_SECONDS):
            raise Unauthenticated("identity token invalid")
        if "nbf" in claims and not (_is_time(claims["nbf"]) and claims["nbf"] <= now + LEEWAY_SECONDS):
            raise Unauthenticated("identity token invalid")
        caller = None
        if claims.get("sub"):
            caller = Caller(str(claims["sub"]), str(claims.get("role", "")), str(claims.get("team", "")))
            # A service speaks for users or for itself, never as another service.
            if caller.role == SERVICE_ROLE and caller.id != issuer:
                raise Unauthenticated("identity token claims another service")
        return Verified(issuer, caller, str(claims.get("rid", ""))), float(exp)

    def verify_metadata(self, metadata: Any) -> Verified:
        """The verified identity of a call's invocation metadata (UNAUTHENTICATED without a token), with
        the request id sent beside the token when the token carries none."""
        token, request_id = None, ""
        for key, value in metadata or ():
            if key == TOKEN_KEY and token is None:
                token = value.decode() if isinstance(value, bytes) else value
            elif key == REQUEST_ID_KEY:
                request_id = (value.decode() if isinstance(value, bytes) else value)[:MAX_REQUEST_ID_CHARS]
        if token is None:
            raise Unauthenticated("identity token missing")
        verified = self.verify(token)
        if verified.request_id or not request_id:
            return verified
        return dataclasses.replace(verified, request_id=request_id)


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
