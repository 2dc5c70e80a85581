"""The reminder timeline of an item (B2): what went, to whom, what became of it, what is next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from dashboard.accounts.models import Account
from dashboard.audit.models import AuditEvent
from dashboard.auth.models import Firm
from dashboard.extensions import db
from dashboard.items.kinds import kind_of
from dashboard.items.models import ActionItem
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.pause import (
    PAUSED_ACTION,
    RESUMED_ACTION,
    Pause,
    effective_pause,
    resume_at,
    timeline_label,
)
from dashboard.reminders.schedule import next_reminder_at
from dashboard.reminders.service import window_of, zone_for

EVENT_LABELS = {
    "item.sent": _l("Sent"),
    "item.resent": _l("Resent"),
    "reminder.sent": _l("Automatic reminder"),
    "reminders.updated": _l("Reminder settings changed"),
    "approval.approved": _l("Approved"),
    "approval.rejected": _l("Rejected"),
    "approval.cancelled": _l("Request cancelled"),
    "chat.started": _l("Conversation started by the client"),
    "chat.replied": _l("Client replied"),
    "chat.archived": _l("Archived"),
    "chat.reopened": _l("Reopened"),
    "chat.task_ticked": _l("Client ticked a task"),
    "chat.task_unticked": _l("Client unticked a task"),
}
PURPOSE_LABELS = {
    "notification": _l("Notification"),
    "reminder": _l("Reminder"),
    "resend": _l("Resend"),
}
#: Emails to the firm about an item: filed under the event that caused them.
STAFF_EMAIL_EVENTS = {
    "chat_replied": "chat.replied",
    "chat_attachment": "chat.replied",
    "chat_task": "chat.task_ticked",
    "chat_created": "chat.started",
    "approval_approved": "approval.approved",
    "approval_rejected": "approval.rejected",
}


#: Audit actions that say nothing the timeline does not already show ("Sent" covers them).
HIDDEN_EVENTS: set[str] = set()


def register_timeline_events(
    labels: dict,
    staff_emails: dict[str, str] | None = None,
    hidden: set[str] | None = None,
    stops: dict | None = None,
) -> None:
    """A kind (or a feature such as pipelines) names its own audit actions for the timeline,
    and the reasons it stops reminders for (the engine imports no feature)."""
    EVENT_LABELS.update(labels)
    STAFF_EMAIL_EVENTS.update(staff_emails or {})
    HIDDEN_EVENTS.update(hidden or set())
    STOP_LABELS.update(stops or {})


def cancel_reason(text: str | None) -> str:
    """Why an email was not sent, in the reader's language (stored as a short code)."""
    if not text:
        return ""
    if text.startswith("superseded"):
        return str(_l("a newer message replaced it"))
    if text == "signer signed":
        return str(_l("the signer signed"))
    if text.startswith("address refused"):
        return str(_l("the address was refused"))
    if text in ("item archived", "item cancelled"):
        return str(STOPPED_BY_FIRM[text.split()[1]])
    if text in STOP_LABELS:
        return str(STOP_LABELS[text])
    if text.startswith("item"):
        return str(_l("the client acted or the request was withdrawn"))
    return text


STATE_LABELS = {
    "queued": _l("Queued"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
}
#: The item stopped because the firm closed it, not because the client acted.
STOPPED_BY_FIRM = {
    "archived": _l("the conversation was archived"),
    "cancelled": _l("the request was withdrawn"),
}
STOP_LABELS = {
    "completed": _l("the client acted"),
    "disabled": _l("reminders are off"),
    "count_reached": _l("the set number of reminders was sent"),
    "no_recipients": _l("no contact has NOTIFY on with portal access"),
}


@dataclass
class TimelineEntry:
    at: datetime
    label: str
    actor: str = ""
    emails: list[OutboxEmail] = field(default_factory=list)
    planned: bool = False


@dataclass
class Timeline:
    entries: list[TimelineEntry]
    reminder: Reminder | None
    stop_label: str = ""
    #: With a limit: the cursor of the older entries left out (None when there are none),
    #: and the address of the panel's *Load earlier* button (set by the kind's view).
    earlier_before: datetime | None = None
    earlier_url: str | None = None
    #: The pause in force for the item's account or firm (B9), when there is one.
    pause: Pause | None = None


def build_timeline(
    item: ActionItem, limit: int | None = None, before: datetime | None = None
) -> Timeline:
    """Past events (newest last) with their emails, then the reminders still planned.

    With `limit`, only the newest `limit` events (older than `before`) and the emails written
    since the oldest of them: a long conversation's page does not grow with its history.
    """
    events, lower, more = _events(item, limit, before)
    emails = _emails(item, events, lower, before)
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == item.id))
    entries = []
    for event in events:
        label = str(EVENT_LABELS.get(event.action, event.action))
        if event.action == "reminder.sent":
            from dashboard.notify.emails import reminder_label

            label = reminder_label(event.details.get("number"))
        entries.append(
            TimelineEntry(event.created_at, label, event.actor.name if event.actor else "")
        )
    _attach_emails(entries, events, emails)
    start = lower if more else (events[0].created_at if events else item.sent_at)
    entries.extend(_pause_entries(item, start, before))
    entries.sort(key=lambda e: e.at)
    firm = db.session.get(Firm, item.firm_id)
    assert firm is not None
    pause = (
        effective_pause(db.session.get(Account, item.account_id), firm) if item.is_pending else None
    )
    if before is None and reminder is not None and reminder.next_at is not None:
        entries.extend(_planned(item, reminder, pause))
    stop = str(STOP_LABELS.get(reminder.stopped_reason, "")) if reminder else ""
    if reminder and reminder.stopped_reason == "completed" and item.outcome in STOPPED_BY_FIRM:
        stop = str(STOPPED_BY_FIRM[item.outcome])
    return Timeline(entries, reminder, stop, earlier_before=lower if more else None, pause=pause)


def _pause_entries(
    item: ActionItem, start: datetime | None, before: datetime | None
) -> list[TimelineEntry]:
    """The pauses and resumes of the item's account, or of its whole firm, in the page's time
    (B9): every item they held back shows them."""
    conditions = [
        AuditEvent.action.in_((PAUSED_ACTION, RESUMED_ACTION)),
        or_(
            AuditEvent.account_id == item.account_id,
            and_(AuditEvent.account_id.is_(None), AuditEvent.firm_id == item.firm_id),
        ),
    ]
    if start is not None:
        conditions.append(AuditEvent.created_at >= start)
    if before is not None:
        conditions.append(AuditEvent.created_at < before)
    events = db.session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(*conditions)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return [
        TimelineEntry(
            event.created_at,
            timeline_label(event.details or {}, event.action),
            event.actor.name if event.actor else "",
        )
        for event in events
    ]


def _events(
    item: ActionItem, limit: int | None, before: datetime | None
) -> tuple[list[AuditEvent], datetime | None, bool]:
    """The item's shown events, oldest first; the time from which they are shown; whether
    older ones exist. A page never splits the events of one instant (their emails are
    matched by time)."""
    mine = [AuditEvent.subject_type == item.kind, AuditEvent.subject_id == item.id]
    shown = select(AuditEvent).options(joinedload(AuditEvent.actor))
    if limit is None:
        rows = db.session.scalars(
            shown.where(*mine).order_by(AuditEvent.created_at, AuditEvent.id)
        ).all()
        return [event for event in rows if event.action not in HIDDEN_EVENTS], None, False
    # The account's (account, time) index walks back from `before` to the item's events.
    mine.append(AuditEvent.account_id == item.account_id)
    if HIDDEN_EVENTS:
        mine.append(AuditEvent.action.not_in(HIDDEN_EVENTS))
    if before is not None:
        mine.append(AuditEvent.created_at < before)
    newest = shown.where(*mine).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    rows = db.session.scalars(newest.limit(limit + 1)).all()
    if len(rows) <= limit:
        return list(reversed(rows)), None, False
    lower = rows[limit - 1].created_at
    if rows[limit].created_at < lower:
        return list(reversed(rows[:limit])), lower, True
    # The instant goes on past the limit: take it whole, then see whether anything is older.
    rows = db.session.scalars(newest.where(AuditEvent.created_at >= lower)).all()
    older = db.session.scalar(
        select(AuditEvent.id).where(*mine, AuditEvent.created_at < lower).limit(1)
    )
    return list(reversed(rows)), lower, older is not None


#: How far apart an event and its emails may be written (one transaction writes both, the
#: notifications just before the event, the firm's emails just after).
EMAIL_SLACK = timedelta(seconds=10)
#: Owner keys that name exactly one event: such an email goes with that event's page.
ONE_EVENT_KEYS = {"item.sent", "reminder.sent", "item.resent"}


def _emails(
    item: ActionItem, events: list[AuditEvent], lower: datetime | None, before: datetime | None
) -> list[OutboxEmail]:
    """The item's emails shown with `events`, the page [lower, before) of the timeline
    (ix_outbox_email_item): an email naming one event goes with it, any other by its time.
    One naming an event not on the page is shown on its own only away from the page's
    edges: near one it is taken for the neighbouring page's (its event is there)."""
    stmt = select(OutboxEmail).where(OutboxEmail.item_id == item.id)
    if lower is None and before is None:
        return list(db.session.scalars(stmt.order_by(OutboxEmail.created_at, OutboxEmail.id)))
    if lower is not None:
        stmt = stmt.where(OutboxEmail.created_at >= lower - EMAIL_SLACK)
    if before is not None:
        stmt = stmt.where(OutboxEmail.created_at < before + EMAIL_SLACK)
    keys = {_event_key(event) for event in events}
    rows = db.session.scalars(stmt.order_by(OutboxEmail.created_at, OutboxEmail.id))
    return [email for email in rows if _on_page(email, keys, lower, before)]


def _on_page(
    email: OutboxEmail, keys: set, lower: datetime | None, before: datetime | None
) -> bool:
    key = _owner_key(email)
    if key[0] in ONE_EVENT_KEYS and key in keys:
        return True
    margin = EMAIL_SLACK if key[0] in ONE_EVENT_KEYS else timedelta(0)
    after_lower = lower is None or email.created_at >= lower + margin
    return after_lower and (before is None or email.created_at < before - margin)


def _owner_key(email: OutboxEmail) -> tuple[str, str]:
    """Which event wrote this email: the send, a numbered reminder, a resend, a decision."""
    parts = email.idempotency_key.split(":")
    if email.purpose == "notification":  # notify:<item>:<round>:<user>
        return ("item.sent", parts[2])
    if email.purpose == "reminder":  # reminder:<reminder>:<round>:<number>:<user>
        return ("reminder.sent", f"{parts[2]}:{parts[3]}")
    if email.purpose == "resend":
        return ("item.resent", email.idempotency_key.split(":")[1])
    if email.purpose in STAFF_EMAIL_EVENTS:
        return (STAFF_EMAIL_EVENTS[email.purpose], "")
    return (email.purpose, "")


def _event_key(event: AuditEvent) -> tuple[str, str]:
    if event.action == "item.sent":
        return (event.action, str(event.details.get("round", 1)))
    if event.action == "reminder.sent":
        round_, number = event.details.get("round", 1), event.details.get("number")
        return (event.action, f"{round_}:{number}")
    if event.action == "item.resent":
        return (event.action, str(event.id))
    return (event.action, "")


def _attach_emails(entries, events, emails) -> None:
    owners = {_event_key(event): entry for entry, event in zip(entries, events, strict=True)}
    for email in emails:
        owner = owners.get(_owner_key(email))
        if owner is None:  # no matching event: show the email on its own
            owner = TimelineEntry(
                email.created_at, str(PURPOSE_LABELS.get(email.purpose) or _l("Email to the firm"))
            )
            entries.append(owner)
            owners[_owner_key(email)] = owner
        owner.emails.append(email)
    entries.sort(key=lambda e: e.at)


def _planned(item: ActionItem, reminder: Reminder, pause: Pause | None) -> list[TimelineEntry]:
    firm = db.session.get(Firm, item.firm_id)
    assert firm is not None and reminder.next_at is not None
    zone = zone_for(firm, kind_of(item).recipients(item))
    planned, moment = [], reminder.next_at
    if pause is not None:  # nothing goes before the pause ends (B9)
        moment = max(moment, resume_at(pause.until, zone, window_of(firm)))
    from dashboard.notify.emails import reminder_label

    for number in range(reminder.sent_count + 1, reminder.max_count + 1):
        planned.append(TimelineEntry(moment, reminder_label(number), planned=True))
        moment = next_reminder_at(moment, reminder.interval_days, zone, window_of(firm))
    return planned
