"""The audit log: ``@audited("report.save")`` beside ``@requires`` makes a method write exactly one
row per successful call (who, when, what, which workspace, from which address).

To audit a new method, declare it::

    @audited("budget.add")
    @requires(Action.ADMIN)
    def add_budget(self, name: str, ..., principal: Principal = LOCAL_OWNER) -> Budget: ...

The actor and address come from the call's ``principal`` (the web layer puts the client's
address on it); the target is the ``target=`` argument's value, else the first of
``TARGET_PARAMS`` the method takes; the workspace is its ``workspace`` argument. Inside the
method, ``note(before=..., after=..., target=...)`` adds what changed. An audited method called by
another one writes no row of its own: the outer call is the one change. ``failures=`` names
exceptions that are themselves worth a row (a failed sign-in), written as ``<action>.failed``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ParamSpec, TypeVar

from outlay.access import LOCAL_OWNER, SCHEDULER, Action, Principal
from outlay.errors import InputError, OutlayError
from outlay.service.core import Core, requires
from outlay.store.audit import AuditEntry, AuditQuery, AuditStore

P = ParamSpec("P")
R = TypeVar("R")
#: Arguments that name what a method changes, in the order they are looked for.
TARGET_PARAMS = (
    "name", "email", "account_name", "key", "token_id", "invitation_id", "filename", "report",
    "anomaly_id",
)  # fmt: skip
LOCAL_ACTOR = "local"
MAX_AUDIT_PAGE = 1000


@dataclass
class _Call:
    """What the running audited method adds to its row through ``note``."""

    target: str | None = None
    workspace: str | None = None
    before: Any = None
    after: Any = None
    actor: tuple[int | None, str] | None = None
    address: str | None = None


_current: ContextVar[_Call | None] = ContextVar("outlay_audit_call", default=None)


def note(
    *, target: str | None = None, workspace: str | None = None, before: Any = None,
    after: Any = None, actor: tuple[int | None, str] | None = None, address: str | None = None,
) -> None:  # fmt: skip
    """Add details to the row the running audited call writes (no-op outside one)."""
    call = _current.get()
    if call is None:
        return
    for field, value in (("target", target), ("workspace", workspace), ("before", before),
                         ("after", after), ("actor", actor), ("address", address)):  # fmt: skip
        if value is not None:
            setattr(call, field, value)


def audited(
    action: str, *, target: str | None = None, failures: tuple[type[Exception], ...] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Write one audit row named ``action`` after each successful call of the method."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(method)
        names = [target] if target else [p for p in TARGET_PARAMS if p in signature.parameters]

        @functools.wraps(method)
        def recorded(*args: P.args, **kwargs: P.kwargs) -> R:
            if _current.get() is not None:  # inside another audited call: that row covers it
                return method(*args, **kwargs)
            service = args[0]
            assert isinstance(service, Audit)
            bound = signature.bind(*args, **kwargs)
            call = _Call()
            reset = _current.set(call)
            try:
                result = method(*args, **kwargs)
            except failures:
                _current.reset(reset)
                service._append_audit(f"{action}.failed", bound.arguments, names, call)
                raise
            except BaseException:
                _current.reset(reset)
                raise
            _current.reset(reset)
            service._append_audit(action, bound.arguments, names, call)
            return result

        recorded.audit_action = action  # type: ignore[attr-defined]
        return recorded

    return decorate


def audit_action(method: Any) -> str | None:
    """The action an ``Outlay`` method is audited as, or None."""
    found = getattr(method, "audit_action", None)
    return found if isinstance(found, str) else None


class Audit(Core):
    @cached_property
    def audit_log(self) -> AuditStore:
        return AuditStore(self.meta)

    @requires(Action.OWN)
    def audit(self, query: AuditQuery, principal: Principal = LOCAL_OWNER) -> list[AuditEntry]:
        """Audit entries, newest first (owners only)."""
        if not 1 <= query.limit <= MAX_AUDIT_PAGE:
            raise InputError(f"limit must be 1 to {MAX_AUDIT_PAGE}", field="limit")
        return self.audit_log.entries(query)

    def _append_audit(
        self, action: str, arguments: dict[str, Any], names: list[str], call: _Call
    ) -> None:
        principal = arguments.get("principal", LOCAL_OWNER)
        assert isinstance(principal, Principal)
        if principal is SCHEDULER:
            return
        actor_id, actor = call.actor or _actor(principal)
        found = next((arguments[n] for n in names if arguments.get(n) not in (None, "")), None)
        self.audit_log.append(
            at=self.clock.now(), actor_id=actor_id, actor=actor, action=action,
            target=call.target or ("" if found is None else str(found)),
            workspace=call.workspace or self._audit_workspace(arguments, principal),
            address=call.address or principal.address, before=call.before, after=call.after,
        )  # fmt: skip

    def _audit_workspace(self, arguments: dict[str, Any], principal: Principal) -> str:
        if "workspace" not in arguments:
            return ""
        named = arguments["workspace"]
        if isinstance(named, str):
            return named
        try:  # no name: the workspace the call defaulted to
            return self.workspace(None, principal).name
        except OutlayError:
            return ""


def _actor(principal: Principal) -> tuple[int | None, str]:
    if principal.user_id is not None:
        return principal.user_id, principal.email
    return None, LOCAL_ACTOR
