"""The report options as command-line flags, built from the one table in ``report.options``.

``@report_options`` gives a command every report flag and hands it the parsed ``spec``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import typer

from outlay.report.options import OPTIONS, ReportOption, spec_from_text


def _choices(option: ReportOption) -> type[StrEnum]:
    # An enum so --help lists the choices; the spec checks them again.
    name = option.field.title().replace("_", "")
    choices: type[StrEnum] = StrEnum(name, {c: c for c in option.choices})  # type: ignore[misc]
    return choices


def _parameter(option: ReportOption) -> inspect.Parameter:
    kind: Any = str | None
    default: Any = None
    if option.switch:
        kind, default = bool, False
    elif option.choices:
        kind = _choices(option)
        default = kind(option.default)
    flag = typer.Option(option.flag, help=option.help, metavar=option.metavar)
    return inspect.Parameter(
        option.field,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[kind, flag],
    )


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def report_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command(…, spec)`` as a Typer command taking the report flags instead of ``spec``."""
    signature = inspect.signature(command, eval_str=True)
    kept = [p for name, p in signature.parameters.items() if name != "spec"]
    flags = [_parameter(o) for o in OPTIONS]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        typed = {o.field: _text(kwargs.pop(o.field)) for o in OPTIONS}
        command(*args, spec=spec_from_text(typed, lambda o: o.flag), **kwargs)

    params = [*kept, *flags]
    # Typer reads the signature and the annotations; keep them off the wrapped function.
    del wrapper.__wrapped__
    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper
