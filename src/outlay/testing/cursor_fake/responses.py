"""Responses of the fake: the transport-neutral ``FakeResponse``, the documented error bodies,
and a JSON encoder that writes Decimal cents as plain numbers (never strings, never floats)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from outlay.testing.cursor_fake.money import decimal_text

JSON_HEADERS = {"content-type": "application/json; charset=utf-8"}

# §2.4: the generic {error, message} bodies by status.
ERROR_TITLES = {
    400: ("Bad Request", "Invalid request"),
    401: ("Unauthorized", "Invalid API key"),
    403: ("Forbidden", "Enterprise access required"),
    404: ("Not Found", "Resource not found"),
    429: ("Too Many Requests", "Rate limit exceeded. Please try again later."),
    500: ("Internal Server Error", "An unexpected error occurred"),
    502: ("Bad Gateway", "An unexpected error occurred"),
    503: ("Service Unavailable", "An unexpected error occurred"),
    504: ("Gateway Timeout", "An unexpected error occurred"),
}


@dataclass(frozen=True, slots=True)
class FakeResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class ApiError(Exception):
    """Raised by an endpoint to answer with a documented error body."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message or ERROR_TITLES.get(status, ("Error", "Error"))[1])
        self.status = status
        self.message = message


def error_body(status: int, message: str | None = None) -> bytes:
    title, default = ERROR_TITLES.get(status, ("Error", "An unexpected error occurred"))
    return dumps({"error": title, "message": message or default})


def error_response(
    status: int, message: str | None = None, headers: Mapping[str, str] | None = None
) -> FakeResponse:
    return FakeResponse(status, {**JSON_HEADERS, **(headers or {})}, error_body(status, message))


def json_response(payload: Any, status: int = 200) -> FakeResponse:
    return FakeResponse(status, dict(JSON_HEADERS), dumps(payload))


def raw_json_response(body: bytes, status: int = 200) -> FakeResponse:
    return FakeResponse(status, dict(JSON_HEADERS), body)


def dumps(value: Any) -> bytes:
    """Compact JSON; Decimal is written as its exact plain text (``20.18232``, ``8``)."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts).encode()


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(encode_basestring_ascii(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        out.append(decimal_text(value))
    elif isinstance(value, float):
        out.append(json.dumps(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for n, (key, item) in enumerate(value.items()):
            if n:
                out.append(",")
            out.append(encode_basestring_ascii(str(key)))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, Sequence):
        out.append("[")
        for n, item in enumerate(value):
            if n:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")
