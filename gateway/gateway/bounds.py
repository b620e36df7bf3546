"""Bounds on free-form JSON (the payloads of /sync ops) before it becomes a protobuf Struct.

A Struct holds every number as a double and every string as UTF-8, and protobuf refuses messages
nested too deep: NaN, Infinity, 1e309, a 400-digit integer, a lone surrogate or 200 levels of
nesting must be refused here, one value at a time, not fail the whole request later.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 8  # objects and arrays inside one another; the payloads we know are flat
MAX_VALUES = 1000
MAX_STRING = 10_000
MAX_KEY = 128
MAX_NUMBER = 1e15  # beyond any quantity, amount or coordinate; exact as a double (< 2^53)


def _is_utf8(text: str) -> bool:
    """False for a lone surrogate (valid in JSON escapes, not encodable as UTF-8)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _scalar_problem(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        if abs(value) > MAX_NUMBER:
            return f"must be a number between -{MAX_NUMBER:.0e} and {MAX_NUMBER:.0e}"
        return None
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            return f"is longer than {MAX_STRING} characters"
        return None if _is_utf8(value) else "is not valid Unicode text"
    return "is not a JSON value"


def json_problem(value: Any, path: str) -> tuple[str, str] | None:
    """The first (field path, problem) of a JSON value out of bounds, or None when all of it fits.

    Iterative (no recursion, whatever the depth) and stops at the first problem.
    """
    stack: list[tuple[Any, str, int]] = [(value, path, 1)]
    seen = 0
    while stack:
        item, where, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            return path, f"holds more than {MAX_VALUES} values"
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return where, f"is nested deeper than {MAX_DEPTH} levels"
            entries = item.items() if isinstance(item, dict) else enumerate(item)
            for name, child in entries:
                if isinstance(name, str) and (len(name) > MAX_KEY or not _is_utf8(name)):
                    return where, f"has a key that is not a name of at most {MAX_KEY} characters"
                stack.append((child, f"{where}.{name}", depth + 1))
            continue
        problem = _scalar_problem(item)
        if problem is not None:
            return where, problem
    return None
