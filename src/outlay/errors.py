"""The one error tree of outlay.

Every error a user can cause or meet is an ``OutlayError`` whose message is one line that names
the thing, the value and the fix. Surfaces (CLI, web) render ``str(error)`` and nothing else.

    OutlayError
    ├── ConfigError              settings or data directory unusable
    ├── InputError               a bad argument, date, name or filter from the user
    │   └── FilterError          a filter that does not parse or names an unknown field
    ├── AccountError             unknown account, duplicate name
    ├── NotFoundError            no saved report or tag by that name
    ├── ProviderError            talking to a provider's API
    │   ├── AuthError            key refused (401/403)                      Terminal
    │   ├── RouteRefusedError    (method, path) not on the read allowlist   Terminal
    │   ├── PayloadError         a response that is not the documented shape Terminal
    │   ├── RequestRejectedError a 4xx other than auth and rate limit       Terminal
    │   ├── RateLimitedError     still 429 after the bounded retries        Transient
    │   └── UnavailableError     5xx, timeouts, connection errors, retried   Transient
    ├── StoreError               the fact or metadata store failed
    │   └── StoreBusyError       another process holds the database        Transient
    └── SyncBusyError            a sync of this account is already running  Transient

``Transient`` errors may succeed when tried again later; ``Terminal`` ones will not until the
input changes. Retry logic reads the mixins, never the message.
"""

from __future__ import annotations


class OutlayError(Exception):
    """Root of every error outlay raises on purpose."""


class Transient:
    """Mixin: trying again later may succeed."""


class Terminal:
    """Mixin: trying again will fail the same way until something changes."""


class ConfigError(OutlayError, Terminal):
    pass


class InputError(OutlayError, Terminal):
    pass


class FilterError(InputError):
    """``position``: the 1-based character of the filter text the problem is at, when known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class AccountError(OutlayError, Terminal):
    pass


class NotFoundError(OutlayError, Terminal):
    pass


class ProviderError(OutlayError):
    pass


class AuthError(ProviderError, Terminal):
    pass


class RouteRefusedError(ProviderError, Terminal):
    pass


class PayloadError(ProviderError, Terminal):
    pass


class RequestRejectedError(ProviderError, Terminal):
    pass


class RateLimitedError(ProviderError, Transient):
    pass


class UnavailableError(ProviderError, Transient):
    pass


class StoreError(OutlayError):
    pass


class StoreBusyError(StoreError, Transient):
    pass


class SyncBusyError(OutlayError, Transient):
    pass
