"""Inbox+ and the staff member's notification preferences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select, update

from dashboard.clock import now
from dashboard.extensions import db
from dashboard.htmx import is_partial, render_page_or_partial, render_partial
from dashboard.i18n import format_datetime_once
from dashboard.notify.inbox import TOPICS, describe_details, set_preference, unread_count, wants
from dashboard.notify.models import InboxEntry
from dashboard.pagination import paginate
from dashboard.tenancy import current_firm_id, firm_get
from dashboard.urls import url_maker

bp = Blueprint("notify", __name__)


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these pages."""
    current_firm_id()


def _target(entry) -> str | None:
    """Where the entry leads: the item, or (an upload) the account's documents."""
    if entry.account_id is None:
        return None
    if entry.item_id is not None:
        return url_for("reminders.open_item", account_id=entry.account_id, item_id=entry.item_id)
    if entry.topic == "client_uploaded":
        return url_for("documents.docs_tab", account_id=entry.account_id)
    return None


@dataclass(slots=True)
class InboxRow:
    """An entry of the list, with what its row shows computed once."""

    id: int
    read_at: datetime | None
    text: str
    link: str | None
    when: str


def _inbox_page():
    """A page of the staff member's entries as rows (columns, not ORM objects). The link
    goes through open_entry (marks the entry read on the way) when the entry leads somewhere
    (_target), each date is formatted once."""
    page = paginate(
        select(
            InboxEntry.id,
            InboxEntry.topic,
            InboxEntry.account_id,
            InboxEntry.item_id,
            InboxEntry.details,
            InboxEntry.bumped_at,
            InboxEntry.read_at,
        )
        .where(InboxEntry.user_id == current_user.id, InboxEntry.firm_id == current_firm_id())
        .order_by(InboxEntry.bumped_at.desc(), InboxEntry.id.desc()),
        current_app.config["CLIENTS_PER_PAGE"],
        scalars=False,
    )
    opens = url_maker("notify.open_entry", "entry_id")
    dates: dict[datetime, str] = {}
    rows = []
    for entry in page.items:
        if entry.bumped_at not in dates:
            dates[entry.bumped_at] = format_datetime_once(entry.bumped_at, "short")
        rows.append(
            InboxRow(
                id=entry.id,
                read_at=entry.read_at,
                text=describe_details(entry.topic, entry.details),
                link=opens(entry.id) if _target(entry) is not None else None,
                when=dates[entry.bumped_at],
            )
        )
    page.items = rows
    return page


@bp.route("/inbox")
def inbox():
    """Inbox+: what happened that this staff member should know, newest first."""
    return render_page_or_partial(
        "notify/inbox.html",
        "notify/_inbox_list.html",
        page=_inbox_page(),
    )


@bp.route("/inbox/<int:entry_id>/open")
def open_entry(entry_id: int):
    """Open an entry: it is marked read, then the browser goes where it leads."""
    entry = firm_get(InboxEntry, entry_id, user_id=current_user.id)
    if entry.read_at is None:
        entry.read_at = now()
        db.session.commit()
    return redirect(_target(entry) or url_for("notify.inbox"))


@bp.route("/inbox/read", methods=["POST"])
def mark_read():
    """Mark one entry (entry=<id>) or all of them as read."""
    stmt = update(InboxEntry).where(
        InboxEntry.user_id == current_user.id, InboxEntry.read_at.is_(None)
    )
    entry_id = request.form.get("entry", type=int)
    if entry_id is not None:
        stmt = stmt.where(InboxEntry.id == entry_id)
    db.session.execute(stmt.values(read_at=now()).execution_options(synchronize_session=False))
    db.session.commit()
    if is_partial():
        # The list again, and the sidebar's unread badge out of band.
        return render_partial(
            "notify/_inbox_answer.html",
            page=_inbox_page(),
            unread=unread_count(current_user.id),
        )
    return redirect(url_for("notify.inbox"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
def preferences():
    """Notification preferences (F4): which topics send an email and an Inbox+ entry."""
    if request.method == "POST":
        for topic in TOPICS:
            set_preference(current_user, topic, request.form.get(topic) == "on")
        db.session.commit()
        flash(_("Notification preferences saved."), "success")
        return redirect(url_for("notify.preferences"))
    choices = {topic: wants(current_user.id, topic) for topic in TOPICS}
    return render_page_or_partial(
        "notify/preferences.html", "notify/preferences.html", topics=TOPICS, choices=choices
    )
