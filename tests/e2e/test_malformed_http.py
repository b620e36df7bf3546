"""Requests the HTTP parser refuses before the application sees them still answer the API's error body."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e

BODY = b'{"username": "m001", "password": "x"}'


def _raw(stack: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(stack)
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: -1\r\n",
        b"Content-Length: 1e3\r\n",
        b"Content-Length: 99999999999999999999999\r\n",
        b"Content-Length: 5, 6\r\n",
        b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    ],
)
def test_a_request_with_broken_framing_is_400_with_the_error_body(stack: str, framing: bytes) -> None:
    request = b"POST /api/v1/auth/login HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
    status, headers, body = _raw(stack, request + framing + b"Connection: close\r\n\r\n" + BODY)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "invalid_request"
