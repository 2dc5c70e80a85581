"""Writing to the audit trail and reading it back for an account."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from dashboard.audit.models import AuditEvent
from dashboard.auth.models import User
from dashboard.extensions import db

#: How each action reads in the trail; the details fill the placeholders.
ACTION_LABELS = {
    "document.uploaded": _l("Uploaded %(name)s to %(folder)s"),
    "document.deleted": _l("Deleted %(name)s from %(folder)s"),
    "folder.created": _l("Created folder %(folder)s"),
    "folder.access_changed": _l("Changed access of %(folder)s from %(old)s to %(new)s"),
    "contact.notify_on": _l("Turned NOTIFY on for %(contact)s"),
    "contact.notify_off": _l("Turned NOTIFY off for %(contact)s"),
    "contact.added": _l("Added contact %(contact)s"),
    "contact.updated": _l("Edited contact %(contact)s"),
    "contact.invited": _l("Invited %(contact)s to the portal"),
    "contact.password_set": _l("%(contact)s set a portal password from an invitation"),
    "portal.viewed_as": _l("Opened the read-only portal view as %(contact)s"),
    "approval.approved": _l("Approved %(title)s"),
    "approval.rejected": _l("Disapproved %(title)s"),
    "approval.cancelled": _l("Cancelled the approval request for %(title)s"),
    "signature.requested": _l("Requested signatures on %(title)s from %(signers)s"),
    "signature.viewed": _l("Opened %(title)s to sign it"),
    "signature.signed": _l("Signed %(title)s"),
    "signature.declined": _l("Declined to sign %(title)s: %(reason)s"),
    "signature.cancelled": _l("Cancelled the signature request for %(title)s"),
    "signature.sealed": _l("Sealed the signed copy %(document)s"),
    "chat.replied": _l("Replied in %(title)s"),
    "chat.started": _l("Started the conversation %(title)s"),
    "chat.archived": _l("Archived %(title)s"),
    "chat.reopened": _l("Reopened %(title)s"),
    "chat.task_ticked": _l("Ticked “%(task)s” in %(title)s"),
    "chat.task_unticked": _l("Unticked “%(task)s” in %(title)s"),
}


def _reminders_updated(d: dict[str, Any]) -> str:
    every = ngettext("every day", "every %(num)d days", int(d["interval_days"]))
    count = ngettext("%(num)d reminder", "%(num)d reminders", int(d["max_count"]))
    return str(
        _l(
            "Changed the reminders of %(title)s: %(every)s, %(count)s",
            title=d["title"],
            every=every,
            count=count,
        )
    )


#: Sentences with a count, in the singular or the plural of the reader's language.
PLURAL_LABELS = {
    "item.sent": lambda d: ngettext(
        "Sent %(title)s to %(num)d contact",
        "Sent %(title)s to %(num)d contacts",
        int(d["recipients"]),
        title=d["title"],
    ),
    "item.resent": lambda d: ngettext(
        "Resent %(title)s to %(num)d contact",
        "Resent %(title)s to %(num)d contacts",
        int(d["recipients"]),
        title=d["title"],
    ),
    "reminder.sent": lambda d: ngettext(
        "Automatic reminder %(number)s about %(title)s sent to %(num)d contact",
        "Automatic reminder %(number)s about %(title)s sent to %(num)d contacts",
        int(d["recipients"]),
        number=d["number"],
        title=d["title"],
    ),
    "reminders.updated": _reminders_updated,
}


def record_event(
    *,
    firm_id: int,
    action: str,
    subject_type: str,
    subject_id: int | None = None,
    account_id: int | None = None,
    actor: User | None = None,
    **details: Any,
) -> AuditEvent:
    """Append one event; the caller's transaction commits it with the change it describes."""
    event = AuditEvent(
        firm_id=firm_id,
        account_id=account_id,
        actor_id=actor.id if actor else None,
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        details=details,
    )
    db.session.add(event)
    return event


def record_item_event(
    item: Any, action: str, actor: User | None = None, **details: Any
) -> AuditEvent:
    """Append an event about an action item (approval, chat…): the subject is the item."""
    return record_event(
        firm_id=item.firm_id,
        account_id=item.account_id,
        actor=actor,
        subject_type=item.kind,
        subject_id=item.id,
        action=action,
        **details,
    )


def account_trail_select(firm_id: int, account_id: int) -> Select[tuple[AuditEvent]]:
    """Newest first, with the actor loaded in the same query."""
    return (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.firm_id == firm_id, AuditEvent.account_id == account_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )


def describe(event: AuditEvent) -> str:
    """The event as a sentence in the reader's language."""
    from dashboard.accounts.labels import folder_access_label

    details = dict(event.details or {})
    if event.action in PLURAL_LABELS:
        try:
            return PLURAL_LABELS[event.action](details)
        except (KeyError, TypeError, ValueError):
            return event.action
    label = ACTION_LABELS.get(event.action)
    if label is None:
        return event.action
    for key in ("old", "new"):
        if key in details:
            details[key] = folder_access_label(details[key])
    try:
        return str(label) % details
    except (KeyError, TypeError):
        return event.action
