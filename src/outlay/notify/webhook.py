"""The webhook contract: a JSON body, its headers, and its HMAC-SHA256 signature."""

from __future__ import annotations

import hashlib
import hmac
import json

from outlay.notify.notice import Notice

EVENT_HEADER = "X-Outlay-Event"
DELIVERY_HEADER = "X-Outlay-Delivery"
SIGNATURE_HEADER = "X-Outlay-Signature-256"


def encode(payload: object) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_request(notice: Notice, secret: str | None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a webhook delivery. The delivery id is the event id, the
    same on every retry, so a receiver can drop a duplicate."""
    body = encode(notice.body)
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: notice.kind,
        DELIVERY_HEADER: notice.id,
    }
    if secret:
        headers[SIGNATURE_HEADER] = signature(body, secret)
    return body, headers
