"""Signed identity: what a token proves, which keys a process uses, and what production refuses."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baifang_common.context import Caller
from baifang_common.errors import Unauthenticated
from baifang_common.identity import (
    ISSUERS,
    REQUEST_ID_KEY,
    TOKEN_KEY,
    IdentityConfigError,
    Signer,
    Verified,
    Verifier,
    dev_private_key,
    encode_private,
    encode_public,
    load_signer,
    load_verifier,
    parse_trust,
)

ROOT = Path(__file__).resolve().parents[3]
M001 = Caller("m001", "manager", "t01")
PRODUCTION = {"BAIFANG_ENV": "production"}


def fresh() -> dict[str, Ed25519PrivateKey]:
    return {name: Ed25519PrivateKey.generate() for name in ISSUERS}


def trust_of(keys: dict[str, Ed25519PrivateKey]) -> str:
    return ",".join(f"{name}={encode_public(key.public_key())}" for name, key in keys.items())


def test_a_token_proves_issuer_caller_and_request_id() -> None:
    token = load_signer("gateway", {}).mint(M001, "req-1")
    verified = load_verifier({}).verify(token)
    assert (verified.issuer, verified.caller, verified.request_id) == ("gateway", M001, "req-1")


def test_tokens_that_prove_nothing_are_unauthenticated() -> None:
    verifier = load_verifier({})
    stranger = Signer("gateway", Ed25519PrivateKey.generate())
    unknown_issuer = Signer("intruder", Ed25519PrivateKey.generate())
    bad = [
        stranger.mint(M001),
        unknown_issuer.mint(M001),
        load_signer("gateway", {}).mint(M001, ttl=-120),
        load_signer("gateway", {}).mint(Caller.service("checkin")),
        "not.a.token",
    ]
    for token in bad:
        with pytest.raises(Unauthenticated):
            verifier.verify(token)
    with pytest.raises(Unauthenticated):
        verifier.verify_metadata([("x-caller-id", "admin"), ("x-caller-role", "admin")])


def test_configured_keys_replace_the_development_keys() -> None:
    keys = fresh()
    env = {"BAIFANG_IDENTITY_KEY": encode_private(keys["checkin"]), "BAIFANG_IDENTITY_TRUST": trust_of(keys)}
    verifier = load_verifier(env)
    assert verifier.verify(load_signer("checkin", env).mint(Caller.service("checkin"))).issuer == "checkin"
    with pytest.raises(Unauthenticated):
        verifier.verify(load_signer("checkin", {}).mint(Caller.service("checkin")))


def test_production_refuses_missing_or_development_keys() -> None:
    keys = fresh()
    dev_trust = ",".join(f"{n}={encode_public(dev_private_key(n).public_key())}" for n in ISSUERS)
    refused = [
        lambda: load_signer("planning", PRODUCTION),
        lambda: load_signer(
            "planning", {**PRODUCTION, "BAIFANG_IDENTITY_KEY": encode_private(dev_private_key("planning"))}
        ),
        lambda: load_verifier(PRODUCTION),
        lambda: load_verifier({**PRODUCTION, "BAIFANG_IDENTITY_TRUST": dev_trust}),
        lambda: load_verifier({**PRODUCTION, "BAIFANG_IDENTITY_TRUST": "gateway=short"}),
    ]
    for load in refused:
        with pytest.raises(IdentityConfigError):
            load()
    env = {
        **PRODUCTION,
        "BAIFANG_IDENTITY_KEY": encode_private(keys["planning"]),
        "BAIFANG_IDENTITY_TRUST": trust_of(keys),
    }
    assert load_signer("planning", env).issuer == "planning"
    assert set(load_verifier(env).trusted) == set(ISSUERS)


def test_generated_keys_are_a_working_set() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_identity_keys.py")], capture_output=True, text=True, check=True
    ).stdout
    lines = [line for line in out.splitlines() if line and not line.startswith("#")]
    trust = next(line.split("=", 1)[1] for line in lines if line.startswith("BAIFANG_IDENTITY_TRUST="))
    private = [line.split("=", 1)[1] for line in lines if line.startswith("BAIFANG_IDENTITY_KEY=")]
    assert len(private) == len(ISSUERS) == len(parse_trust(trust))
    for name, key in zip(ISSUERS, private, strict=True):
        env = {**PRODUCTION, "BAIFANG_IDENTITY_KEY": key, "BAIFANG_IDENTITY_TRUST": trust}
        metadata = load_signer(name, env).metadata(M001)
        assert metadata[0][0] == TOKEN_KEY
        assert Verifier(parse_trust(trust)).verify_metadata(metadata).issuer == name


def test_a_caller_s_token_is_reused_and_the_request_id_travels_beside_it() -> None:
    signer, verifier = load_signer("gateway", {}), load_verifier({})
    first, second = signer.metadata(M001, "req-1"), signer.metadata(M001, "req-2")
    assert first[0] == second[0]  # one signature for both calls
    assert signer.metadata(Caller("m002", "manager", "t01"), "req-3")[0] != first[0]
    assert verifier.verify_metadata(first) == Verified("gateway", M001, "req-1")
    assert verifier.verify_metadata(second) == Verified("gateway", M001, "req-2")  # checked once, remembered
    assert verifier.verify_metadata([first[0]]).request_id == ""
    with pytest.raises(Unauthenticated):
        verifier.verify_metadata([(REQUEST_ID_KEY, "req-4")])


def test_a_token_whose_claims_were_changed_is_refused() -> None:
    verifier = load_verifier({})
    header, payload, signature = load_signer("gateway", {}).mint(M001, "req-1").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "role": "admin"}).encode()).rstrip(b"=").decode()
    for token in (f"{header}.{forged}.{signature}", f"{header}.{payload}", f"{header}.{payload}.{signature}.x"):
        with pytest.raises(Unauthenticated):
            verifier.verify(token)
    assert verifier.verify(f"{header}.{payload}.{signature}").caller == M001
