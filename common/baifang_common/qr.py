"""Signed outlet QR payloads: `BF1.<customer_id>.<signature>`, HMAC-SHA256 with the outlet's secret.

Signature check only (shared by planning, which prints codes, and checkin, which verifies
scans); which customer and visit it means is each service's business.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "BF1"


def _signature(customer_id: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{PREFIX}.{customer_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def sign_qr(customer_id: str, secret: str) -> str:
    return f"{PREFIX}.{customer_id}.{_signature(customer_id, secret)}"


def qr_customer_id(token: str) -> str | None:
    """The customer a payload claims to be, or None when it is not one of our payloads."""
    parts = token.strip().split(".") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2] or len(token) > 200:
        return None
    return parts[1]


def qr_signature_ok(token: str, secret: str) -> bool:
    customer_id = qr_customer_id(token)
    if customer_id is None or not secret:
        return False
    return hmac.compare_digest(token.strip().split(".")[2], _signature(customer_id, secret))
