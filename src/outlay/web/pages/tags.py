"""Virtual Tags: list, editor with live preview, YAML import and export."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import zip_longest
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from outlay.access import Action, Principal
from outlay.errors import InputError, OutlayError, TagNotFound
from outlay.report.dimensions import TAG_PREFIX
from outlay.report.spec import ReportSpec
from outlay.report.tag_text import email_list, filter_of_input, filter_summary, tag_summary
from outlay.report.tags import TagSet, key_problem, parse_tag_value, parse_tags_yaml
from outlay.service import Outlay
from outlay.web.deps import (
    CheckedSession,
    OutlayDep,
    Session,
    form_text,
    get_outlay,
    shows_errors_on,
    signed_in,
)
from outlay.web.pages.common import (
    MAX_UPLOAD,
    notice_of,
    redirect,
    render,
    slug,
    visible_workspaces,
    workspace_name,
)
from outlay.web.pages.report_view import (
    ReportView,
    value_label,
)

router = APIRouter(include_in_schema=False)


# -- virtual tags ----------------------------------------------------------------------------

_SPLIT_LINE = re.compile(r"^\s*(.+?)\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$")


@dataclass
class DraftValue:
    label: str = ""
    filter: str = ""
    start: str = ""
    end: str = ""


@dataclass
class TagDraft:
    """A tag being edited, as its form fields: values in order, each a name or a split."""

    workspace: str = ""
    original: str = ""
    key: str = ""
    values: list[DraftValue] = field(default_factory=list)
    op: str = ""

    def tag_data(self) -> dict[str, Any]:
        """The tag as the YAML structure, each problem named by its value's number."""
        key = self.key.strip()
        if problem := key_problem(key):
            raise InputError(f"{problem}; pick another key" if key else problem)
        if not self.values:
            raise InputError("the tag needs at least one value")
        return {"key": key, "values": [_value_data(i, v) for i, v in enumerate(self.values, 1)]}

    def tag_set(self, current: TagSet) -> TagSet:
        """The workspace's tags with this one added, or in place of the one being edited."""
        data = self.tag_data()
        others = [t.to_data() for t in current.tags]
        replaced = self.original or data["key"]
        if data["key"] != replaced and data["key"] in current:
            raise InputError(f"a tag {data['key']!r} exists already; pick another key")
        if replaced in current:
            index = current.keys.index(replaced)
            others[index] = data
        else:
            others.append(data)
        text = yaml.safe_dump(others, sort_keys=False, allow_unicode=True)
        return parse_tags_yaml(text, "tags")


def _value_data(number: int, value: DraftValue) -> dict[str, Any]:
    """The form's value as tags-file data. The page reads only its own syntax (one name, or
    'Name: percent' lines; dates as text); the tag parser judges the value itself."""
    where = f"value {number}"
    lines = [line for line in value.label.splitlines() if line.strip()]
    item: dict[str, Any] = {}
    if not lines:
        raise InputError(f"{where}: give a name, or 'Name: percent' lines for a split")
    if len(lines) == 1:
        item["name"] = lines[0].strip()
    else:
        item["split"] = [_split_line(where, line) for line in lines]
    item["filter"] = filter_of_input(value.filter)
    start, end = _tag_day(value.start, where, "start"), _tag_day(value.end, where, "end")
    if start or end:
        item["dates"] = {"start": start, "end": end}
    try:
        parse_tag_value(item)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    if "split" in item:  # a YAML mapping from here on; the parser refused repeated names
        item["split"] = dict(item["split"])
    return item


def _split_line(where: str, line: str) -> tuple[str, str]:
    found = _SPLIT_LINE.match(line)
    if found is None:
        raise InputError(
            f"{where}: split line {line.strip()!r} should read 'Name: percent', e.g. 'Platform: 60'"
        )
    return found.group(1), found.group(2)


def _tag_day(text: str, where: str, name: str) -> str | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise InputError(f"{where}: {name} date {text!r} is not YYYY-MM-DD") from None


def draft_of(tags: TagSet, key: str, workspace: str) -> TagDraft:
    tag = tags.get(key)
    values = []
    for value in tag.values:
        data = value.to_data()
        if value.name is not None:
            label = value.name
        else:
            parts = list(data["split"].items())
            label = parts[0][0] if len(parts) == 1 else "\n".join(f"{n}: {p}" for n, p in parts)
        start = value.start.isoformat() if value.start else ""
        end = value.end.isoformat() if value.end else ""
        emails = email_list(value)  # a list of emails is edited as one email per line
        shown = "\n".join(emails) if emails and len(emails) > 1 else value.filter_text
        values.append(DraftValue(label, shown, start, end))
    return TagDraft(workspace, key, key, values)


async def tag_draft(request: Request) -> TagDraft:
    return draft_of_form(await request.form())


def draft_of_form(form: FormData) -> TagDraft:
    def texts(name: str) -> list[str]:
        return [v if isinstance(v, str) else "" for v in form.getlist(name)]

    def text(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    rows = zip_longest(
        texts("v_label"), texts("v_filter"), texts("v_start"), texts("v_end"), fillvalue=""
    )
    values = [DraftValue(*row) for row in rows]
    return TagDraft(text("workspace"), text("original"), text("key"), values, text("op"))


DraftDep = Annotated[TagDraft, Depends(tag_draft)]


def tag_preview(outlay: Outlay, principal: Principal, draft: TagDraft) -> dict[str, Any]:
    """Cost per value of the draft tag (and Untagged) over the last 30 days."""
    workspace = workspace_name(outlay, principal, draft.workspace)
    tags = draft.tag_set(outlay.tags(workspace, principal))
    key = draft.key.strip()
    spec = ReportSpec(interval="last_30_days", date_bin="cumulative", group_by=(TAG_PREFIX + key,))
    result = outlay.report(spec, tags, principal=principal, workspace=workspace)
    column = TAG_PREFIX + key
    total = result.total or Decimal(0)
    rows = [
        {
            "name": value_label(column, r.get(column)),
            "untagged": r.get(column) is None,
            "cost": r["cost"],
            "share": Decimal(r["cost"]) * 100 / Decimal(total) if total else None,
        }
        for r in result.rows
    ]
    rows.sort(key=lambda r: (r["untagged"], -r["cost"]))
    return {"rows": rows, "total": total, "start": result.start, "end": result.end}


def tags_context(
    outlay: Outlay, principal: Principal, workspace: str, draft: TagDraft | None,
    tags: TagSet | None = None,
) -> dict[str, Any]:  # fmt: skip
    """``tags``: the workspace's, when the handler has read them already."""
    if tags is None:
        tags = outlay.tags(workspace, principal)
    return {
        "tags": tags.tags,
        "workspace": workspace,
        "workspaces": visible_workspaces(outlay, principal),
        "draft": draft,
        "can_edit": principal.can(Action.EDIT),
        "filter_summary": filter_summary,
        "tag_summary": tag_summary,
        "group_url": lambda key: ReportView.of(
            workspace, interval="last_30_days", group_by=TAG_PREFIX + key
        ).url(),
    }


@router.get("/tags")
def tags_page(
    request: Request, session: Session, outlay: OutlayDep, tag: str = "", new: str = ""
) -> HTMLResponse:
    principal = session.principal
    workspace = workspace_name(outlay, principal, request.query_params.get("workspace"))
    tags = outlay.tags(workspace, principal)
    draft = None
    if tag:
        if tag not in tags:
            raise TagNotFound(f"no virtual tag {tag!r} (tags: {', '.join(tags.keys)})")
        draft = draft_of(tags, tag, workspace)
    elif new:
        draft = TagDraft(workspace, values=[DraftValue()])
    context = tags_context(outlay, principal, workspace, draft, tags)
    return render(request, "tags.html", session, notice=notice_of(request), **context)


def _editor_problem(request: Request, exc: OutlayError) -> Response:
    """The editor again, as it was sent, with the problem of its preview or save."""
    session, outlay = signed_in(request), get_outlay(request)
    draft = draft_of_form(request.state.form)
    workspace = workspace_name(outlay, session.principal, draft.workspace)
    context = tags_context(outlay, session.principal, workspace, draft)
    return render(
        request, "tags.html", session, exc.status, preview=None, problem=str(exc), **context
    )


@router.post("/tags/edit", dependencies=[shows_errors_on(_editor_problem)])
def tags_edit(
    request: Request, session: CheckedSession, outlay: OutlayDep, draft: DraftDep
) -> Response:
    principal = session.principal
    preview = None
    op, _, index_text = draft.op.partition(":")
    index = int(index_text) if index_text.isdigit() else -1
    values = draft.values
    if op == "add":
        values.append(DraftValue())
    elif op == "remove" and 0 <= index < len(values) and len(values) > 1:
        values.pop(index)
    elif op == "up" and 0 < index < len(values):
        values[index - 1], values[index] = values[index], values[index - 1]
    elif op == "down" and 0 <= index < len(values) - 1:
        values[index + 1], values[index] = values[index], values[index + 1]
    elif op == "preview":
        preview = tag_preview(outlay, principal, draft)
    elif op == "save":
        workspace = workspace_name(outlay, principal, draft.workspace)
        outlay.replace_tags(draft.tag_set(outlay.tags(workspace, principal)), workspace, principal)
        key = draft.key.strip()
        return redirect("/tags", workspace=workspace, tag=key, notice="tag_saved", name=key)
    workspace = workspace_name(outlay, principal, draft.workspace)
    context = tags_context(outlay, principal, workspace, draft)
    return render(request, "tags.html", session, preview=preview, problem=None, **context)


def _preview_problem(request: Request, exc: OutlayError) -> Response:
    return render(
        request, "_tag_preview.html", signed_in(request), exc.status, preview=None,
        problem=str(exc),
    )  # fmt: skip


@router.post("/tags/preview", dependencies=[shows_errors_on(_preview_problem)])
def tags_preview(
    request: Request, session: CheckedSession, outlay: OutlayDep, draft: DraftDep
) -> HTMLResponse:
    """The preview table alone, for the editor's script to show as the user types."""
    preview = tag_preview(outlay, session.principal, draft)
    return render(request, "_tag_preview.html", session, preview=preview, problem=None)


@router.post("/tags/delete")
def tags_delete(
    request: Request,
    session: CheckedSession,
    outlay: OutlayDep,
    workspace: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Without ``confirm=yes``, the question; a tag another tag uses is refused at once."""
    principal = session.principal
    principal.require(Action.EDIT)
    space = workspace_name(outlay, principal, workspace)
    if confirm != "yes":
        tags = outlay.tags(space, principal)
        tags.without(key)  # unknown, or used by another tag: say so before asking
        context = tags_context(outlay, principal, space, None, tags)
        return render(request, "tags.html", session, confirm_delete=tags.get(key), **context)
    outlay.delete_tag(key, space, principal)
    return redirect("/tags", workspace=space, notice="tag_deleted", name=key)


async def uploaded(request: Request, field: str, pasted: str) -> tuple[str, str]:
    """(text, source) of an upload: the file if one was chosen, else the ``field`` textarea
    (named ``pasted`` in messages)."""
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        body = await upload.read(MAX_UPLOAD + 1)
        if len(body) > MAX_UPLOAD:
            raise InputError(f"{upload.filename}: the file is over {MAX_UPLOAD:,} bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{upload.filename}: the file is not UTF-8 text") from None
        request.state.import_text = text  # shown again in the form if the import fails
        return text, upload.filename
    typed = form.get(field, "")
    return (typed if isinstance(typed, str) else ""), pasted


async def uploaded_yaml(request: Request) -> tuple[str, str]:
    return await uploaded(request, "yaml", "pasted YAML")


def import_again(
    request: Request, exc: OutlayError, field: str, form: str, **shown: str
) -> Response:
    """The page again after a failed import: ``{form}_error`` and, as ``{form}_text``, the
    text as it was sent (the uploaded file's, if one was read, else the ``field`` textarea)."""
    session, outlay = signed_in(request), get_outlay(request)
    text = getattr(request.state, "import_text", None)
    if text is None:
        text = form_text(request, field)
    space = workspace_name(outlay, session.principal, form_text(request, "workspace"))
    echo = {f"{form}_error": str(exc), f"{form}_text": text, **shown}
    context = tags_context(outlay, session.principal, space, None)
    return render(request, "tags.html", session, exc.status, **echo, **context)


def _import_problem(request: Request, exc: OutlayError) -> Response:
    return import_again(request, exc, "yaml", "import")


@router.post("/tags/import", dependencies=[shows_errors_on(_import_problem)])
def tags_import(
    session: CheckedSession,
    outlay: OutlayDep,
    upload: Annotated[tuple[str, str], Depends(uploaded_yaml)],
    workspace: Annotated[str, Form()] = "",
) -> Response:
    text, source = upload
    principal = session.principal
    space = workspace_name(outlay, principal, workspace)
    if not text.strip():
        raise InputError("paste the YAML or choose a file to import")
    outlay.import_tags(text, source, space, principal)
    return redirect("/tags", workspace=space, notice="tags_imported")


@router.get("/tags/export.yaml")
def tags_export(request: Request, session: Session, outlay: OutlayDep) -> Response:
    workspace = workspace_name(outlay, session.principal, request.query_params.get("workspace"))
    tags = outlay.tags(workspace, session.principal)
    filename = f"outlay-tags-{slug(workspace)}.yaml"
    return Response(
        tags.to_yaml(),
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
