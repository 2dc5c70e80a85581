"""Rendering an outbox email in its recipient's language and time zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from dashboard.auth.models import Firm
from dashboard.extensions import db
from dashboard.items.kinds import kind_of
from dashboard.items.models import ActionItem
from dashboard.notify.inbox import describe_details
from dashboard.notify.models import OutboxEmail


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


#: Emails about no action item, rendered by the feature that writes them (by purpose).
RENDERERS: dict[str, Callable[[OutboxEmail, Firm], RenderedEmail]] = {}


def register_email(purpose: str):
    """Decorator: `fn(row, firm) -> RenderedEmail` renders outbox rows of this purpose."""

    def decorate(fn: Callable[[OutboxEmail, Firm], RenderedEmail]):
        RENDERERS[purpose] = fn
        return fn

    return decorate


def reminder_label(number: int | None) -> str:
    """ "Reminder", "2nd reminder", "3rd reminder"… in the current language (B6)."""
    if not number or number == 1:
        return _("Reminder")
    if number == 2:
        return _("2nd reminder")
    if number == 3:
        return _("3rd reminder")
    return _("%(number)dth reminder", number=number)


def absolute_url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def render(row: OutboxEmail) -> RenderedEmail:
    firm = db.session.get(Firm, row.firm_id)
    assert firm is not None
    with force_locale(row.locale):
        if row.purpose in RENDERERS:
            return RENDERERS[row.purpose](row, firm)
        if row.item_id is not None and row.purpose in ("notification", "reminder", "resend"):
            return _render_item_email(row, firm)
        return _render_staff_email(row, firm)


def _render_item_email(row: OutboxEmail, firm: Firm) -> RenderedEmail:
    item = db.session.get(ActionItem, row.item_id)
    assert item is not None
    kind = kind_of(item)
    content = kind.email(item, row.purpose, {**row.context, "firm": firm.name})
    if row.purpose == "reminder":
        subject = f"{reminder_label(row.reminder_number)}: {content.subject}"
    elif row.purpose == "resend":
        subject = f"{reminder_label(1)}: {content.subject}"
    else:
        subject = content.subject
    context = {
        "name": row.recipient.name if row.recipient else "",
        "content": content,
        "url": absolute_url(kind.portal_path(item)),
        "firm": firm.name,
        "is_reminder": row.purpose in ("reminder", "resend"),
    }
    return RenderedEmail(
        subject=subject,
        text=render_template("emails/action.txt", **context),
        html=render_template("emails/action.html", **context),
    )


def _render_staff_email(row: OutboxEmail, firm: Firm) -> RenderedEmail:
    sentence = describe_details(row.purpose, row.context)
    context = {
        "name": row.recipient.name if row.recipient else "",
        "sentence": sentence,
        "url": absolute_url(row.context.get("path", "/")),
        "firm": firm.name,
    }
    return RenderedEmail(
        subject=sentence if len(sentence) < 120 else sentence[:117] + "…",
        text=render_template("emails/staff.txt", **context),
        html=render_template("emails/staff.html", **context),
    )
