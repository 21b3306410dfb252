"""The one error tree of outlay.

Every error a user can cause or meet is an ``OutlayError`` whose message is one line that names
the thing, the value and the fix, in words any surface can show: no CLI flag, no command (the
CLI adds those hints itself, from the class and ``field``). Each class carries the HTTP status
and code the web app and API answer with; nothing picks a status from the message text.

    OutlayError                    500 error
    ├── ConfigError                500  settings, data directory or a local file unusable
    ├── InputError                 400  a bad argument, date, name or filter from the user
    │   └── FilterError            400  a filter that does not parse or names an unknown field
    ├── UnauthenticatedError       401  no valid session or token, or a refused sign-in
    │   ├── ThrottledError         429  a sign-in that must wait (failures, rate, busy)
    │   └── SignInRefused          401  a single sign-on the ID token or mapping refuses
    ├── ForbiddenError             403  the role does not allow the action
    ├── NotFoundError              404  (one subclass per kind of thing)
    │   ├── AccountNotFound, WorkspaceNotFound, UserNotFound, TokenNotFound
    │   └── ReportNotFound, TagNotFound, ChannelNotFound, BudgetNotFound, InvitationNotFound
    ├── ConflictError              409  a name that is taken, a thing removed meanwhile
    │   └── SyncBusyError          409  a sync of this account is already running
    ├── ProviderError              502  talking to a provider's API
    │   ├── AuthError                   key refused (401/403)
    │   ├── RouteRefusedError           (method, path) not on the read allowlist
    │   ├── PayloadError                a response that is not the documented shape
    │   ├── RequestRejectedError        a 4xx other than auth and rate limit
    │   ├── RateLimitedError            still 429 after the bounded retries
    │   └── UnavailableError            5xx, timeouts, connection errors, retried
    │       └── PagingShiftedError      the window's event count moved between pages
    ├── DeliveryError              502  a channel's receiver or mail server refused a test
    └── StoreError                 500  the fact or metadata store failed
        └── StoreBusyError         503  another process holds the database
"""

from __future__ import annotations


class OutlayError(Exception):
    """Root of every error outlay raises on purpose.

    ``field`` names the input at fault (``"name"``, ``"base_url"``, …) when there is one, so
    that a surface can point at it (the CLI names its flag) without parsing the message.
    """

    status = 500
    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConfigError(OutlayError):
    pass


class InputError(OutlayError):
    status = 400
    code = "bad_request"


class FilterError(InputError):
    """``position``: the 1-based character of the filter text the problem is at, when known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class UnauthenticatedError(OutlayError):
    status = 401
    code = "unauthenticated"


class ThrottledError(UnauthenticatedError):
    status = 429
    code = "too_many_requests"


class SignInRefused(UnauthenticatedError):
    """A single sign-on outlay refuses: the message names what failed (signature, audience,
    nonce, expiry, state, mapping). Shown on its own page, not the sign-in redirect."""

    code = "sign_in_refused"


class ForbiddenError(OutlayError):
    status = 403
    code = "forbidden"


class NotFoundError(OutlayError):
    status = 404
    code = "not_found"


class AccountNotFound(NotFoundError):
    pass


class WorkspaceNotFound(NotFoundError):
    pass


class UserNotFound(NotFoundError):
    pass


class TokenNotFound(NotFoundError):
    pass


class InvitationNotFound(NotFoundError):
    pass


class ReportNotFound(NotFoundError):
    pass


class TagNotFound(NotFoundError):
    pass


class ChannelNotFound(NotFoundError):
    pass


class BudgetNotFound(NotFoundError):
    pass


class ConflictError(OutlayError):
    status = 409
    code = "conflict"


class SyncBusyError(ConflictError):
    code = "busy"


class ProviderError(OutlayError):
    status = 502
    code = "provider_error"


class AuthError(ProviderError):
    pass


class RouteRefusedError(ProviderError):
    pass


class PayloadError(ProviderError):
    pass


class RequestRejectedError(ProviderError):
    pass


class RateLimitedError(ProviderError):
    pass


class UnavailableError(ProviderError):
    pass


class PagingShiftedError(UnavailableError):
    """The window's event count changed between pages, so page boundaries moved."""


class DeliveryError(OutlayError):
    status = 502
    code = "delivery_failed"


class StoreError(OutlayError):
    pass


class StoreBusyError(StoreError):
    status = 503
    code = "busy"
