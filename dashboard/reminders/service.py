"""The engine's services: send, resend, change settings, complete. Every kind uses these.

They take the acting user and objects, flush, and leave the commit to the caller (a view or a
job), so the state change, its audit entry and its outbox emails commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from dashboard.audit.models import AuditEvent
from dashboard.audit.service import record_item_event
from dashboard.auth.models import Firm, User
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.kinds import kind_of
from dashboard.items.models import ActionItem
from dashboard.notify.outbox import cancel_undelivered, queue_email
from dashboard.reminders.models import COUNT_RANGE, INTERVAL_RANGE, Reminder
from dashboard.reminders.schedule import SendWindow, next_reminder_at


class HasTimeZone(Protocol):
    time_zone: str | None


#: A second resend within this time (a double-click, two tabs) sends nothing more.
RESEND_GUARD = timedelta(minutes=10)


class SettingsError(ValueError):
    """Reminder settings out of range; `errors` maps a field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class ReminderSettings:
    enabled: bool
    interval_days: int
    max_count: int
    #: Where the values came from (B8): "firm" default, a "template", an "automation", or
    #: the "item" itself (staff set them when sending or later). Not part of equality: two
    #: settings are equal when their values are (B8 compares them to keep an origin).
    origin: str = dataclass_field(default="item", compare=False)

    @classmethod
    def defaults_for(cls, firm: Firm) -> ReminderSettings:
        return cls(
            firm.reminders_enabled, firm.reminder_interval_days, firm.reminder_max_count, "firm"
        )

    @classmethod
    def parse(cls, form: Any, defaults: ReminderSettings) -> ReminderSettings:
        """Read the Reminders fields of a form; out-of-range numbers raise SettingsError.

        `defaults` is what the form was prefilled from, resolved by the server (the firm
        default, a template, the item's current settings): values equal to it keep its
        origin (B8), others are the item's own ("item"). The browser never names an origin.
        """
        enabled = form.get("reminders") in ("on", "true", "1", "y")
        errors: dict[str, str] = {}
        values = {}
        for field, (low, high), default in (
            ("interval_days", INTERVAL_RANGE, defaults.interval_days),
            ("max_count", COUNT_RANGE, defaults.max_count),
        ):
            raw = form.get(field)
            if raw in (None, ""):
                values[field] = default
                continue
            try:
                value = int(str(raw).strip())
            except ValueError:
                value = None
            if value is None or not low <= value <= high:
                errors[field] = str(
                    _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
                )
            else:
                values[field] = value
        if errors:
            raise SettingsError(errors)
        interval_days, max_count = values["interval_days"], values["max_count"]
        same = (enabled, interval_days, max_count) == (
            defaults.enabled,
            defaults.interval_days,
            defaults.max_count,
        )
        return cls(enabled, interval_days, max_count, defaults.origin if same else "item")


def window_of(firm: Firm) -> SendWindow:
    return SendWindow.from_string(
        firm.window_start_hour, firm.window_end_hour, firm.window_weekdays
    )


def zone_for(firm: Firm, recipients: Sequence[HasTimeZone]) -> str:
    """The recipients' time zone when they share one, else the firm's."""
    zones = {user.time_zone for user in recipients if user.time_zone}
    if len(zones) == 1 and all(user.time_zone for user in recipients):
        return zones.pop()
    return firm.time_zone


def next_state(
    *,
    pending: bool,
    enabled: bool,
    sent_count: int,
    max_count: int,
    timer_from: datetime,
    interval_days: int,
    zone: str,
    window: SendWindow,
) -> tuple[datetime | None, str | None]:
    """(next_at, stopped_reason): the next reminder, or None and why nothing more will go."""
    if not pending:
        return None, "completed"
    if not enabled:
        return None, "disabled"
    if sent_count >= max_count:
        return None, "count_reached"
    return next_reminder_at(timer_from, interval_days, zone, window), None


def reschedule(reminder: Reminder, item: ActionItem, firm: Firm, recipients: list[User]) -> None:
    """Set next_at from the timer, or NULL with the reason nothing more will go."""
    reminder.next_at, reminder.stopped_reason = next_state(
        pending=item.is_pending,
        enabled=reminder.enabled,
        sent_count=reminder.sent_count,
        max_count=reminder.max_count,
        timer_from=reminder.timer_from or item.sent_at,
        interval_days=reminder.interval_days,
        zone=zone_for(firm, recipients),
        window=window_of(firm),
    )


def _settings_details(settings: ReminderSettings) -> dict[str, Any]:
    return {
        "reminders": settings.enabled,
        "interval_days": settings.interval_days,
        "max_count": settings.max_count,
    }


def send_item(
    actor: User | None,
    item: ActionItem,
    settings: ReminderSettings,
    context: dict[str, Any] | None = None,
) -> list[User]:
    """Send an item: notify every recipient, put it on top of the to-dos, start reminders.

    Sending an item again (a chat's new message, a reopened thread) starts a new round: the
    count starts over from the new notification, and the emails of the previous round that
    have not gone out yet are cancelled, since reminders concern the latest message (R5).
    """
    moment = now()
    kind = kind_of(item)
    item.status, item.outcome, item.completed_at = "pending", None, None
    item.sent_at, item.bumped_at = moment, moment
    item.sent_by_id = actor.id if actor else None
    item.title = kind.title(item)[:255]
    db.session.add(item)
    db.session.flush()
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == item.id))
    if reminder is None:
        reminder = Reminder(item_id=item.id, round=1)
        db.session.add(reminder)
    else:
        cancel_undelivered(item.id, "superseded by a newer message")
        reminder.round += 1
    if not (reminder.id is not None and settings.origin == "item" and _same(reminder, settings)):
        # Sent again with the values it has (a chat's next message): where they came from stays.
        reminder.origin = settings.origin
    reminder.enabled = settings.enabled
    reminder.interval_days = settings.interval_days
    reminder.max_count = settings.max_count
    reminder.sent_count, reminder.timer_from = 0, moment
    recipients = kind.recipients(item)
    for user in recipients:
        queue_email(
            firm_id=item.firm_id,
            key=f"notify:{item.id}:{reminder.round}:{user.id}",
            purpose="notification",
            to=user,
            item=item,
            context=context,
        )
    reschedule(reminder, item, _firm(item), recipients)
    record_item_event(
        item,
        actor=actor,
        action="item.sent",
        title=kind.title(item),
        recipients=len(recipients),
        round=reminder.round,
        **_settings_details(settings),
    )
    db.session.flush()
    return recipients


def resend_possible_at(item: ActionItem) -> datetime | None:
    """When a manual resend of a pending item becomes possible again (the 10-minute guard
    after a send or resend), or None when it is possible now."""
    last = db.session.scalar(
        select(func.max(AuditEvent.created_at)).where(
            AuditEvent.subject_type == item.kind,
            AuditEvent.subject_id == item.id,
            AuditEvent.action.in_(("item.resent", "item.sent")),
        )
    )
    if last is None:
        return None
    if last.tzinfo is None:  # SQLite hands back naive UTC
        last = last.replace(tzinfo=UTC)
    possible = last + RESEND_GUARD
    return possible if possible > now() else None


def resend_refusal(item: ActionItem, nobody: str) -> str:
    """Why a manual resend sent nothing, in the reader's language: no longer pending, the
    10-minute guard (and when it can go), or `nobody` (the kind's "no one can receive it")."""
    from flask_babel import format_time

    if not item.is_pending:
        return str(_l("Not sent: this request is no longer pending."))
    possible = resend_possible_at(item)
    if possible is not None:
        return str(
            _l(
                "Not sent: it was sent less than 10 minutes ago. It can be sent again at %(time)s.",
                time=format_time(possible, "short"),
            )
        )
    return nobody


def resend_item(actor: User, item: ActionItem, message: str = "") -> bool:
    """One more email to every recipient, to-do on top, timer restarted (B7).

    Returns False (and does nothing) when the item is not pending or was resent moments ago.
    """
    if not item.is_pending:
        return False
    moment = now()
    recent = db.session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.subject_type == item.kind,
            AuditEvent.subject_id == item.id,
            AuditEvent.action.in_(("item.resent", "item.sent")),
            AuditEvent.created_at > moment - RESEND_GUARD,
        )
        .limit(1)
    )
    if recent is not None:
        return False
    kind = kind_of(item)
    recipients = kind.recipients(item)
    event = record_item_event(
        item,
        actor=actor,
        action="item.resent",
        title=kind.title(item),
        recipients=len(recipients),
    )
    db.session.flush()
    for user in recipients:
        queue_email(
            firm_id=item.firm_id,
            key=f"resend:{event.id}:{user.id}",
            purpose="resend",
            to=user,
            item=item,
            context={"message": message} if message else {},
        )
    item.bumped_at = moment
    reminder = _reminder_of(item)
    reminder.timer_from = moment
    reschedule(reminder, item, _firm(item), recipients)
    db.session.flush()
    return True


def update_settings(actor: User, item: ActionItem, settings: ReminderSettings) -> Reminder:
    """Change the toggle, days and number while the item is pending."""
    reminder = _reminder_of(item)
    before = (reminder.enabled, reminder.interval_days, reminder.max_count)
    reminder.enabled = settings.enabled
    reminder.interval_days = settings.interval_days
    reminder.max_count = settings.max_count
    if before != (settings.enabled, settings.interval_days, settings.max_count):
        reminder.origin = "item"  # B8: staff set them for this item
        recipients = kind_of(item).recipients(item)
        reschedule(reminder, item, _firm(item), recipients)
        if reminder.next_at is not None and reminder.next_at < now():
            reminder.next_at = now()
        record_item_event(
            item,
            actor=actor,
            action="reminders.updated",
            title=kind_of(item).title(item),
            **_settings_details(settings),
        )
    db.session.flush()
    return reminder


def complete_item(
    item: ActionItem, outcome: str, actor: User | None = None, status: str = "completed"
) -> bool:
    """The item is done (or withdrawn): stop reminders, cancel undelivered emails, record it."""
    if not item.is_pending:
        return False
    # Taking the item row first orders locks the same way as the delivery worker does.
    item.status, item.outcome, item.completed_at = status, outcome, now()
    db.session.flush()
    reminder = _reminder_of(item)
    reminder.next_at, reminder.stopped_reason = None, "completed"
    cancel_undelivered(item.id, f"item {outcome}")
    db.session.flush()
    return True


def stop_reminders(actor: User | None, item: ActionItem, reason: str) -> bool:
    """Stop a pending item's automatic reminders for a reason outside the kind (its pipeline
    job was archived): no reminder is due, undelivered ones are cancelled, the item stays
    pending. Takes the item's row first, like a completion, so a send in flight finishes or
    finds its email cancelled. Returns False when nothing was pending."""
    if not lock_pending(item):
        return False
    reminder = _reminder_of(item)
    reminder.next_at, reminder.stopped_reason = None, reason
    cancel_undelivered(item.id, reason)
    record_item_event(
        item, actor=actor, action="reminders.stopped", title=item.title, reason=reason
    )
    db.session.flush()
    return True


def restart_reminders(actor: User | None, item: ActionItem, reason: str) -> bool:
    """Let a stopped item's reminders go on (its job unarchived): the timer starts over from
    now, so nothing is sent at once, and the count already sent still counts."""
    if not item.is_pending:
        return False
    reminder = _reminder_of(item)
    if reminder.stopped_reason != reason:
        return False  # stopped for another reason (count reached, turned off): left alone
    reminder.timer_from = now()
    reschedule(reminder, item, _firm(item), kind_of(item).recipients(item))
    record_item_event(
        item, actor=actor, action="reminders.restarted", title=item.title, reason=reason
    )
    db.session.flush()
    return True


def lock_pending(item: ActionItem) -> bool:
    """Take the item's row for this transaction if it is still pending (False otherwise).

    The delivery worker takes the same row before it sends, so a change made under this lock
    (a signer who signs, a client who completes) and a send never overlap."""
    locked = db.session.execute(
        update(ActionItem)
        .where(ActionItem.id == item.id, ActionItem.status == "pending")
        .values(status=ActionItem.status)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(locked)


def stop_for_recipient(item: ActionItem, user_id: int, reason: str) -> int:
    """One person is done (a signer signed): cancel the emails still queued to them."""
    return cancel_undelivered(item.id, reason, recipient_id=user_id)


def start_turn(item: ActionItem, recipients: list[User], turn: int) -> None:
    """Someone new must act on a pending item (the next signer in order): notify them and
    start the reminders over for them, from now, with the item's settings."""
    moment = now()
    reminder = _reminder_of(item)
    for user in recipients:
        queue_email(
            firm_id=item.firm_id,
            key=f"notify:{item.id}:{reminder.round}:turn{turn}:{user.id}",
            purpose="notification",
            to=user,
            item=item,
        )
    item.bumped_at = moment
    reminder.sent_count, reminder.timer_from = 0, moment
    reschedule(reminder, item, _firm(item), recipients)
    db.session.flush()


def _same(reminder: Reminder, settings: ReminderSettings) -> bool:
    return (reminder.enabled, reminder.interval_days, reminder.max_count) == (
        settings.enabled,
        settings.interval_days,
        settings.max_count,
    )


def _firm(item: ActionItem) -> Firm:
    firm = db.session.get(Firm, item.firm_id)
    assert firm is not None
    return firm


def _reminder_of(item: ActionItem) -> Reminder:
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == item.id))
    if reminder is None:  # an item is always sent with its reminder row; never expected
        reminder = Reminder(item_id=item.id, enabled=False, timer_from=item.sent_at)
        db.session.add(reminder)
    return reminder
