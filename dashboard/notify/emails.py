"""Rendering an outbox email in its recipient's language and time zone."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.utils import formataddr, parseaddr
from functools import lru_cache

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

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


def render_email(template: str, /, **context: object) -> str:
    """An email template rendered with `context` alone.

    Not `render_template`: its context processors compute the pages' globals (the locale,
    the sidebar's counters…), which no email template reads, on every call. The Jinja
    environment (its globals, gettext and filters) is the same.
    """
    return current_app.jinja_env.get_template(template).render(context)


def absolute_url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def firm_sender(firm: Firm) -> str:
    """ "Firm name <address>": the firm's name shown, the address from MAIL_DEFAULT_SENDER."""
    configured = current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    if isinstance(configured, tuple):
        return formataddr((firm.name, configured[1]))
    return _sender(firm.name, configured)


@lru_cache(maxsize=1024)
def _sender(name: str, configured: str) -> str:
    return formataddr((name, parseaddr(configured)[1] or configured))


def render(row: OutboxEmail) -> RenderedEmail:
    firm = db.session.get(Firm, row.firm_id)
    assert firm is not None
    with force_locale(row.locale):
        if row.purpose == "digest":
            from dashboard.notify.digest import render_digest_row  # it imports this module

            rendered = render_digest_row(row, firm)
        elif row.purpose in RENDERERS:
            rendered = RENDERERS[row.purpose](row, firm)
        elif is_item_email(row):
            rendered = _render_item_email(row, firm, recipient_name(row))
        else:
            rendered = _render_staff_email(row, firm)
    if not rendered.sender:
        rendered = replace(rendered, sender=firm_sender(firm))
    return rendered


def is_item_email(row: OutboxEmail) -> bool:
    """Rendered as an action item's email (the kind's content, the portal button)?"""
    return (
        row.item_id is not None
        and row.purpose in ITEM_EMAIL_PURPOSES
        and row.purpose not in RENDERERS
    )


def recipient_name(row: OutboxEmail) -> str:
    return row.recipient.name if row.recipient else ""


#: Stands for the recipient's name in an email rendered once for several recipients. Letters
#: only, so HTML escaping leaves it as it is.
NAME_SLOT = "RelanceRecipientNameSlot"


class RenderCache:
    """Renders an item's email once for every recipient who gets the same one.

    Everything an item email shows but the greeting comes from the item, the purpose, the
    language, the reminder number and the row's context; the recipient's name is the only
    thing that differs. So it is rendered once per such key with `NAME_SLOT` for the name,
    and each recipient's copy has the slot replaced (HTML-escaped in the HTML, exactly as
    Jinja escapes it). Other emails are rendered one by one. One cache serves one batch.
    """

    def __init__(self) -> None:
        self._shared: dict[tuple[object, ...], RenderedEmail] = {}

    def render(self, row: OutboxEmail) -> RenderedEmail:
        key = shared_key(row)
        if key is None:
            return render(row)
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = _render_shared(row)
        return with_name(shared, recipient_name(row))


def shared_key(row: OutboxEmail) -> tuple[object, ...] | None:
    """What the rendering of an item email depends on, the recipient's name aside."""
    if not is_item_email(row):
        return None
    context = json.dumps(row.context or {}, sort_keys=True, default=str)
    return (row.firm_id, row.item_id, row.purpose, row.locale, row.reminder_number, context)


def with_name(shared: RenderedEmail, name: str) -> RenderedEmail:
    return replace(
        shared,
        text=shared.text.replace(NAME_SLOT, name),
        html=shared.html.replace(NAME_SLOT, str(escape(name))),
    )


def _render_shared(row: OutboxEmail) -> RenderedEmail:
    firm = db.session.get(Firm, row.firm_id)
    assert firm is not None
    with force_locale(row.locale):
        rendered = _render_item_email(row, firm, NAME_SLOT)
    return replace(rendered, sender=rendered.sender or firm_sender(firm))


def _render_item_email(row: OutboxEmail, firm: Firm, name: str) -> RenderedEmail:
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
        "name": name,
        "content": content,
        "url": absolute_url(kind.portal_path(item)),
        "firm": firm.name,
        "is_reminder": row.purpose == "reminder",
        "is_resend": row.purpose == "resend",
    }
    return RenderedEmail(
        subject=subject,
        text=render_email("emails/action.txt", **context),
        html=render_email("emails/action.html", **context),
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
        text=render_email("emails/staff.txt", **context),
        html=render_email("emails/staff.html", **context),
    )
