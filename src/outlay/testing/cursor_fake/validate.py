"""Request-body checks shared by the POST routes; a failure is an ``ApiError`` (400 by default)."""

from __future__ import annotations

import json
from typing import Any

from outlay.testing.cursor_fake.clock import DAY_MS
from outlay.testing.cursor_fake.responses import ApiError

MAX_WINDOW_MS = 30 * DAY_MS  # daily usage (documented) and events (what connectors assume)
MAX_PAGE_SIZE = 1000


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a POST body; an empty body is ``{}``."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "Request body must be valid JSON") from exc
    if not isinstance(value, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return value


def integer(
    body: dict[str, Any],
    name: str,
    *,
    digit_strings: bool = False,
    string_status: int = 400,
) -> int | None:
    """An integer field (ms, page numbers). Numeric strings are refused with ``string_status``
    unless ``digit_strings`` (daily usage reportedly tolerates string epoch ms)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ApiError(400, f"{name} must be a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        if digit_strings and value.strip().lstrip("-").isdigit():
            return int(value)
        if string_status != 400:
            raise ApiError(string_status)
    raise ApiError(400, f"{name} must be a number")


def string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string")
    return value


def page_params(body: dict[str, Any], default_size: int) -> tuple[int, int]:
    page = integer(body, "page")
    size = integer(body, "pageSize")
    return check_page(1 if page is None else page, default_size if size is None else size)


def check_page(page: int, size: int) -> tuple[int, int]:
    if page < 1:
        raise ApiError(400, "page must be at least 1")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(400, f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    return page, size


def check_window(start: int, end: int) -> None:
    if end < start:
        raise ApiError(400, "endDate must not be before startDate")
    if end - start > MAX_WINDOW_MS:
        raise ApiError(400, "Date range cannot exceed 30 days")


def num_pages(total: int, size: int) -> int:
    return -(-total // size)
