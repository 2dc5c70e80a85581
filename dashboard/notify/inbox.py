"""Inbox+ entries and staff notification preferences (F3, F4)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import bindparam, func, select

from dashboard.auth.models import STAFF_ROLES, User
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.notify.models import InboxEntry, NotificationPreference

#: Topics a staff member can switch on or off; all are on until switched off.
TOPICS = {
    "approvals": _l("Approvals"),
    "chats": _l("Chats"),
    "signatures": _l("Signatures"),
    "documents": _l("Documents uploaded by clients"),
}

#: How each Inbox+ entry reads; the details fill the placeholders.
INBOX_LABELS = {
    "approval_approved": _l("%(client)s approved %(document)s"),
    "approval_rejected": _l("%(client)s disapproved %(document)s"),
    "signature_signed": _l("%(client)s signed %(document)s"),
    "signature_completed": _l("Everyone signed %(document)s; the signed copy is being sealed"),
    "signature_declined": _l("%(client)s declined to sign %(document)s: %(reason)s"),
    "signature_seal_failed": _l("The signed copy of %(document)s could not be sealed: %(error)s"),
    "reminders_exhausted": _l(
        "The last reminder about %(title)s went to %(account)s; the client has not acted yet."
    ),
    "chat_replied": _l("%(client)s replied in “%(subject)s”"),
    "chat_created": _l("%(client)s started “%(subject)s”"),
    "chat_mention": _l("%(author)s mentioned you in “%(subject)s”"),
    "chat_task": _l("%(client)s ticked “%(task)s” in “%(subject)s”"),
    "delivery_failed": _l(
        "An email about %(title)s to %(email)s could not be delivered: %(error)s"
    ),
}


def register_inbox(topics: dict | None = None, labels: dict | None = None) -> None:
    """A kind adds its preference topics and how its Inbox+ entries read (notify imports no
    kind)."""
    TOPICS.update(topics or {})
    INBOX_LABELS.update(labels or {})


#: Sentences with a count, in the singular or the plural of the reader's language.
PLURAL_LABELS: dict[str, Callable[[dict[str, Any]], str]] = {
    "client_uploaded": lambda d: ngettext(
        "%(client)s uploaded %(num)d document to %(folder)s",
        "%(client)s uploaded %(num)d documents to %(folder)s",
        int(d["count"]),
        client=d["client"],
        folder=d["folder"],
    ),
    "chat_attachment": lambda d: ngettext(
        "%(client)s attached %(num)d file in “%(subject)s”",
        "%(client)s attached %(num)d files in “%(subject)s”",
        int(d["count"]),
        client=d["client"],
        subject=d["subject"],
    ),
}


def wants(user_id: int, topic: str) -> bool:
    choice = db.session.scalar(
        select(NotificationPreference.enabled).where(
            NotificationPreference.user_id == user_id, NotificationPreference.topic == topic
        )
    )
    return choice is not False


def staff_wanting(firm_id: int, topic: str) -> list[User]:
    """Staff of the firm who have not switched `topic` off."""
    switched_off = select(NotificationPreference.user_id).where(
        NotificationPreference.topic == topic, NotificationPreference.enabled.is_(False)
    )
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.firm_id == firm_id, User.role.in_(STAFF_ROLES), User.id.not_in(switched_off)
            )
            .order_by(User.id)
        )
    )


def set_preference(user: User, topic: str, enabled: bool) -> None:
    if topic not in TOPICS:
        raise ValueError(topic)
    row = db.session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user.id, NotificationPreference.topic == topic
        )
    )
    if row is None:
        db.session.add(NotificationPreference(user_id=user.id, topic=topic, enabled=enabled))
    else:
        row.enabled = enabled


def add_entry(
    user_id: int,
    firm_id: int,
    topic: str,
    *,
    account_id: int | None = None,
    item_id: int | None = None,
    **details: Any,
) -> InboxEntry:
    entry = InboxEntry(
        firm_id=firm_id,
        user_id=user_id,
        topic=topic,
        account_id=account_id,
        item_id=item_id,
        details=details,
        created_at=now(),
        bumped_at=now(),
    )
    db.session.add(entry)
    return entry


def unread_count(user_id: int) -> int:
    return db.session.scalar(_unread_count_statement(), {"inbox_user_id": user_id}) or 0


@cache
def _unread_count_statement() -> Any:
    """unread_count's SELECT, built once (the sidebar asks on every page)."""
    return select(func.count(InboxEntry.id)).where(
        InboxEntry.user_id == bindparam("inbox_user_id"), InboxEntry.read_at.is_(None)
    )


def describe_details(topic: str, details: dict[str, Any]) -> str:
    """The sentence for an Inbox+ topic (also the subject of the matching staff email)."""
    if topic in PLURAL_LABELS:
        try:
            return PLURAL_LABELS[topic](details)
        except (KeyError, TypeError, ValueError):
            return topic
    label = INBOX_LABELS.get(topic)
    if label is None:
        return topic
    try:
        return str(label) % details
    except (KeyError, TypeError):
        return topic


def describe(entry: InboxEntry) -> str:
    return describe_details(entry.topic, entry.details)
