"""Virtual Tags: a tag from a CSV of ``email,value`` rows, checked before it is saved.

The first post (``op=check``) reads the CSV and answers the page with what it would match: the
CSV's emails no cost row carries and the emails carrying cost that no row names. The page then
carries the same text back with ``op=save``; the save reads it again (the data may have grown).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from outlay.errors import InputError, OutlayError
from outlay.report.tag_csv import CASE_NOTE
from outlay.web.deps import (
    CheckedSession,
    OutlayDep,
    form_text,
    shows_errors_on,
)
from outlay.web.pages.common import redirect, render, workspace_name
from outlay.web.pages.tags import import_again, tags_context, uploaded

router = APIRouter(include_in_schema=False)


async def uploaded_csv(request: Request) -> tuple[str, str]:
    """(text, source); the confirming post carries the checked text and its file's name."""
    text, source = await uploaded(request, "csv", "pasted CSV")
    named = (await request.form()).get("source")
    return text, named.strip() if isinstance(named, str) and named.strip() else source


def _csv_problem(request: Request, exc: OutlayError) -> Response:
    """The page again, with the import form as it was sent and the problem."""
    return import_again(request, exc, "csv", "csv", csv_key=form_text(request, "key"))


@router.post("/tags/import-csv", dependencies=[shows_errors_on(_csv_problem)])
def tags_import_csv(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    upload: Annotated[tuple[str, str], Depends(uploaded_csv)],
    workspace: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    op: Annotated[str, Form()] = "check",
) -> Response:
    text, source = upload
    principal = session.principal
    space = workspace_name(outlay, principal, workspace)
    key = key.strip()
    if not text.strip():
        raise InputError("paste the CSV or choose a file to import")
    if op == "save":
        tag = outlay.import_tag_csv(key, text, source, space, principal).tag
        return redirect("/tags", workspace=space, tag=tag.key, notice="tag_saved", name=tag.key)
    preview = outlay.preview_tag_csv(key, text, source, space, principal)
    return render(
        request, "tags.html", session, csv_preview=preview, csv_text=text, csv_key=key,
        csv_source=source, case_note=CASE_NOTE,
        **tags_context(outlay, principal, space, None),
    )  # fmt: skip
