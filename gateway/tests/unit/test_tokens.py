"""Access tokens: claims, expiry, tampering; passwords hashed with argon2."""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest

from baifang_common.context import Caller
from gateway.auth import (
    ALGORITHM,
    PasswordHashing,
    decode_access_token,
    encode_access_token,
    hash_password,
    verify_password,
)
from gateway.errors import ApiError
from gateway.settings import GatewaySettings

SETTINGS = GatewaySettings(jwt_secret="unit-secret-" + "y" * 40)
CALLER = Caller("m001", "manager", "t01")


def test_a_token_carries_the_caller_and_standard_claims() -> None:
    token = encode_access_token(CALLER, SETTINGS)
    claims = jwt.decode(token, SETTINGS.jwt_secret, algorithms=[ALGORITHM])
    assert {"sub", "role", "team", "exp", "iat", "jti"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert decode_access_token(token, SETTINGS) == CALLER


def test_an_expired_token_is_token_expired() -> None:
    token = encode_access_token(CALLER, SETTINGS, now=time.time() - 3600)
    with pytest.raises(ApiError) as info:
        decode_access_token(token, SETTINGS)
    assert (info.value.status, info.value.code) == (401, "token_expired")


def test_a_token_signed_with_another_secret_is_refused() -> None:
    other = GatewaySettings(jwt_secret="another-secret-" + "z" * 40)
    with pytest.raises(ApiError) as info:
        decode_access_token(encode_access_token(CALLER, other), SETTINGS)
    assert (info.value.status, info.value.code) == (401, "unauthenticated")


def test_an_unsigned_token_is_refused() -> None:
    token = jwt.encode({"sub": "admin", "role": "admin", "exp": time.time() + 60, "iat": time.time()}, None, "none")
    with pytest.raises(ApiError):
        decode_access_token(token, SETTINGS)


def test_every_token_has_its_own_id() -> None:
    first, second = (
        jwt.decode(encode_access_token(CALLER, SETTINGS), options={"verify_signature": False}) for _ in "ab"
    )
    assert first["jti"] != second["jti"]


def test_passwords_verify_only_against_their_hash() -> None:
    hashed = hash_password("baifang-demo")
    assert hashed.startswith("$argon2")
    assert verify_password(hashed, "baifang-demo")
    assert not verify_password(hashed, "baifang-demo!")
    assert not verify_password("not a hash", "baifang-demo")
    assert not verify_password("", "baifang-demo")


@pytest.mark.parametrize("role", ["system", "device", "root", ""])
def test_a_token_with_a_role_no_account_holds_is_refused(role: str) -> None:
    with pytest.raises(ApiError) as info:
        decode_access_token(encode_access_token(Caller("m001", role, "t01"), SETTINGS), SETTINGS)
    assert (info.value.status, info.value.code) == (401, "unauthenticated")


def test_a_token_without_its_id_is_refused() -> None:
    now = int(time.time())
    claims = {"sub": "m001", "role": "manager", "team": "t01", "iat": now, "exp": now + 60}
    with pytest.raises(ApiError):
        decode_access_token(jwt.encode(claims, SETTINGS.jwt_secret, ALGORITHM), SETTINGS)


def test_password_hashing_sheds_logins_past_its_queue_but_never_an_import() -> None:
    hashing = PasswordHashing(queue_limit=1)
    stored = hash_password("secret")

    async def scenario() -> tuple[bool, int, bool, bool]:
        first = asyncio.create_task(hashing.verify(stored, "secret"))
        await asyncio.sleep(0)  # the first login now waits on the hashing thread
        with pytest.raises(ApiError) as info:
            await hashing.verify(stored, "secret")
        imported = await hashing.verify(stored, "secret", shed=False)
        return await first, info.value.status, info.value.headers.get("Retry-After") == "1", imported

    try:
        first_ok, status, retry_after, imported_ok = asyncio.run(scenario())
    finally:
        hashing.close()
    assert (first_ok, status, retry_after, imported_ok) == (True, 503, True, True)
    assert hashing.waiting == 0
