"""The report options as query parameters, built from the one table in ``report.options``.

``SpecQuery`` is a FastAPI dependency: a route that takes it gets every report parameter in
its OpenAPI document and a parsed ``ReportSpec``.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import Depends, Query

from outlay.report.options import OPTIONS, spec_from_text
from outlay.report.spec import ReportSpec


def _spec_of(**params: str | None) -> ReportSpec:
    return spec_from_text({o.field: params[o.param] for o in OPTIONS})


def _description(option: Any) -> str:
    choices = f" One of {', '.join(option.choices)}." if option.choices else ""
    default = f" Default {option.default}." if option.default else ""
    return f"{option.help}{choices}{default}"


_spec_of.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter(
            o.param,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[str | None, Query(description=_description(o))],
        )
        for o in OPTIONS
    ],
    return_annotation=ReportSpec,
)

SpecQuery = Annotated[ReportSpec, Depends(_spec_of)]
