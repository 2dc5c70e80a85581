"""Staff lists of documents as rows computed once per page (issue 12 §3, pages under load).

A Docs tab lists every document of a folder, fifty and more: loading ORM objects (with the
uploader and the uploader's firm eagerly joined), then a macro per row, three `url_for`, a
date and a size formatted per row, made the tab cost several times a light page. Here a
list reads the columns it shows as Core rows (one query, the uploader's name joined), and
each row's strings are computed once in Python: the type badge, its links, its date (one
format per distinct value), its size. The templates only place them; Jinja still escapes
every value.

`DocumentRow` has the columns of `Document` and its `extension`, which is what the kinds'
`staff_menu` and `badges` read from a document of a list (items/document_actions.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import Select, select

from dashboard.accounts.models import Folder
from dashboard.auth.models import User
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.i18n import format_datetime_once, format_filesize, translations
from dashboard.items.document_actions import MenuEntry
from dashboard.urls import url_maker

#: Colour of a document's type badge by extension (the type_badge macro uses it too).
TYPE_COLORS = {
    "pdf": "danger",
    "xlsx": "success",
    "xls": "success",
    "xlsm": "success",
    "csv": "success",
    "ods": "success",
    "doc": "primary",
    "docx": "primary",
    "odt": "primary",
    "rtf": "primary",
    "zip": "dark",
    "jpg": "info",
    "jpeg": "info",
    "png": "info",
    "heic": "info",
    "gif": "info",
    "webp": "info",
}


def type_badge_parts(extension: str) -> tuple[str, str]:
    """The badge's colour and its text: the extension in capitals, cut to 4 characters as
    Jinja's `truncate(4, True, '')` does (its leeway keeps up to 4 + leeway whole)."""
    text = (extension or "?").upper()
    leeway = current_app.jinja_env.policies["truncate.leeway"]
    if len(text) > 4 + leeway:
        text = text[:4]
    return TYPE_COLORS.get(extension, "secondary"), text


_COLUMNS = tuple(Document.__table__.c)


@dataclass(slots=True)
class DocumentRow:
    """One document of a staff list: its columns, then what its row shows."""

    id: int
    firm_id: int
    account_id: int
    folder_id: int
    name: str
    storage_key: str
    content_hash: str
    size: int
    content_type: str
    description: str
    uploaded_by_id: int | None
    created_at: datetime
    last_activity_at: datetime
    uploader: str = ""
    type_color: str = ""
    type_label: str = ""
    activity: str = ""
    size_text: str = ""
    viewer_url: str = ""
    download_url: str = ""
    delete_url: str = ""
    delete_confirm: Markup = field(default_factory=Markup)
    account_name: str = ""
    account_url: str = ""
    menu: Markup = field(default_factory=Markup)

    @property
    def extension(self) -> str:
        _, dot, ext = self.name.rpartition(".")
        return ext.lower() if dot else ""


def rows_select() -> Select:
    """Every column of a document and its uploader's name (outer join: a deleted uploader)."""
    return select(*_COLUMNS, User.name).outerjoin(User, User.id == Document.uploaded_by_id)


def columns_select() -> Select:
    """Every column of a document, nothing joined (a COUNT of it reads only an index)."""
    return select(*_COLUMNS)


def load_rows(stmt: Select) -> list[DocumentRow]:
    """The rows of a statement built on rows_select(), with their strings."""
    rows = [
        DocumentRow(*values[:-1], uploader=values[-1] or "") for values in db.session.execute(stmt)
    ]
    fill(rows)
    return rows


def rows_of(columns: Iterable[Sequence], *, with_actions: bool = True) -> list[DocumentRow]:
    """Rows from columns_select() results, their uploaders' names in one more query."""
    rows = [DocumentRow(*values) for values in columns]
    uploader_ids = {row.uploaded_by_id for row in rows if row.uploaded_by_id is not None}
    if uploader_ids:
        names = dict(
            db.session.execute(select(User.id, User.name).where(User.id.in_(uploader_ids))).all()
        )
        for row in rows:
            if row.uploaded_by_id is not None:
                row.uploader = names.get(row.uploaded_by_id) or ""
    fill(rows, with_actions=with_actions)
    return rows


def folder_rows(folders: Sequence[Folder]) -> list[tuple[Folder, list[DocumentRow]]]:
    """Each folder with its documents, newest activity first, in one query."""
    ids = [f.id for f in folders]
    by_folder: dict[int, list[DocumentRow]] = {i: [] for i in ids}
    if ids:
        stmt = (
            rows_select()
            .where(Document.folder_id.in_(ids))
            .order_by(Document.last_activity_at.desc(), Document.id.desc())
        )
        for row in load_rows(stmt):
            by_folder[row.folder_id].append(row)
    return [(folder, by_folder[folder.id]) for folder in folders]


def fill(rows: Iterable[DocumentRow], *, with_actions: bool = True) -> None:
    """Compute each row's strings: what the templates' filters and url_for gave, each date
    and size of equal values formatted once, each link from a template built once. Without
    actions (the Documents page), only the name's link and the date: no size, download or
    delete."""
    confirm = Markup(translations().ugettext("Delete %(name)s?"))
    viewer = url_maker("documents.viewer", "account_id", "document_id")
    download = url_maker("documents.download", "account_id", "document_id")
    delete = url_maker("documents.delete", "account_id", "document_id")
    badges: dict[str, tuple[str, str]] = {}
    sizes: dict[int, str] = {}
    dates: dict[datetime, str] = {}
    for row in rows:
        ext = row.extension
        if ext not in badges:
            badges[ext] = type_badge_parts(ext)
        row.type_color, row.type_label = badges[ext]
        moment = row.last_activity_at
        if moment not in dates:
            dates[moment] = format_datetime_once(moment, "short")
        row.activity = dates[moment]
        row.viewer_url = viewer(row.account_id, row.id)
        if not with_actions:
            continue
        if row.size not in sizes:
            sizes[row.size] = format_filesize(row.size)
        row.size_text = sizes[row.size]
        row.download_url = download(row.account_id, row.id)
        row.delete_url = delete(row.account_id, row.id)
        row.delete_confirm = confirm % {"name": row.name}


def menu_html(entries: Iterable[MenuEntry], csrf: str) -> Markup:
    """The kinds' entries of a row's ⋯ menu as `<li>`s: the markup of _macros.html
    menu_entry, built here (a template loop with a macro per entry cost more than the rest of
    the row), every value escaped as Jinja escapes it."""
    out = []
    for entry in entries:
        danger = " text-danger" if entry.danger else ""
        if entry.method == "post":
            url = escape(entry.url)
            confirm = f' hx-confirm="{escape(entry.confirm)}"' if entry.confirm else ""
            out.append(
                f'<li><form method="post" action="{url}" hx-post="{url}" '
                f'hx-target="#account-tabs" hx-swap="outerHTML"{confirm}>\n'
                f'  <input type="hidden" name="csrf_token" value="{escape(csrf)}">\n'
                f'  <button class="dropdown-item{danger}" data-testid="{escape(entry.testid)}">'
                f"{escape(entry.label)}</button>\n</form></li>"
            )
        else:
            out.append(
                f'<li><a class="dropdown-item{danger}" href="{escape(entry.url)}" '
                f'data-testid="{escape(entry.testid)}">{escape(entry.label)}</a></li>'
            )
    return Markup("".join(out))  # noqa: S704 — every value above is escaped
