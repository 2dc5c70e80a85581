"""Rendering an outbox email in its recipient's language and time zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from email.utils import formataddr, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from dashboard.auth.models import Firm, User
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
    #: The From header: the firm's name with the configured sending address.
    sender: str = ""
    #: The Reply-To header: the staff member who sent the item, when there is one.
    reply_to: str | None = None
    #: (file name, MIME type, bytes) attached to the message.
    attachments: tuple[tuple[str, str, bytes], ...] = ()


#: Emails about no action item, rendered by the feature that writes them (by purpose).
RENDERERS: dict[str, Callable[[OutboxEmail, Firm], RenderedEmail]] = {}
#: Purposes rendered as an action item's email (the kind's content, the portal button).
ITEM_EMAIL_PURPOSES = {"notification", "reminder", "resend"}


def register_item_email(purpose: str) -> None:
    """A kind's own purpose that reads like its notification (an invoice's copy after payment)."""
    ITEM_EMAIL_PURPOSES.add(purpose)


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


def firm_sender(firm: Firm) -> str:
    """ "Firm name <address>": the firm's name shown, the address from MAIL_DEFAULT_SENDER."""
    configured = current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    if isinstance(configured, tuple):
        address = configured[1]
    else:
        address = parseaddr(configured)[1] or configured
    return formataddr((firm.name, address))


def render(row: OutboxEmail) -> RenderedEmail:
    firm = db.session.get(Firm, row.firm_id)
    assert firm is not None
    with force_locale(row.locale):
        if row.purpose in RENDERERS:
            rendered = RENDERERS[row.purpose](row, firm)
        elif row.item_id is not None and row.purpose in ITEM_EMAIL_PURPOSES:
            rendered = _render_item_email(row, firm)
        else:
            rendered = _render_staff_email(row, firm)
    if not rendered.sender:
        rendered = replace(rendered, sender=firm_sender(firm))
    return rendered


def _render_item_email(row: OutboxEmail, firm: Firm) -> RenderedEmail:
    item = db.session.get(ActionItem, row.item_id)
    assert item is not None
    kind = kind_of(item)
    content = kind.email(item, row.purpose, {**row.context, "firm": firm.name})
    if row.purpose == "reminder":
        # "Reminder: <the item>", never a prefix on the notification's own subject.
        subject = _(
            "%(reminder)s: %(title)s",
            reminder=reminder_label(row.reminder_number),
            title=kind.title(item),
        )
    elif row.purpose == "resend":
        subject = _("Sent again: %(title)s", title=kind.title(item))
    else:
        subject = content.subject
    sent_by = db.session.get(User, item.sent_by_id) if item.sent_by_id else None
    context = {
        "name": row.recipient.name if row.recipient else "",
        "content": content,
        "url": absolute_url(kind.portal_path(item)),
        "firm": firm.name,
        "is_reminder": row.purpose == "reminder",
        "is_resend": row.purpose == "resend",
    }
    return RenderedEmail(
        subject=subject,
        text=render_template("emails/action.txt", **context),
        html=render_template("emails/action.html", **context),
        reply_to=formataddr((sent_by.name, sent_by.email)) if sent_by else None,
        attachments=content.attachments,
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
