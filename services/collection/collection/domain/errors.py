"""Collection errors with their API.md codes (mapped to HTTP by the gateway)."""

from __future__ import annotations

from baifang_common.errors import RuleViolation


class InvalidSku(RuleViolation):
    """details: {sku_code: {field: reason}}."""

    code = "invalid_sku"
    default_message = "catalogue entries violate the catalogue rules"
