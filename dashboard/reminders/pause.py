"""Pausing automatic reminders (B9): one client account (a holiday) or the whole firm (an
office closure), until a date.

A pause is one date on the account or the firm, the day reminders start again: none goes out
before it (in the recipient's local calendar, like every reminder time), and from that day's
send-window opening they go again. Pausing rewrites nothing: the sweep is the one place that
sends, so it is the one place that checks. A reminder that falls due while paused is claimed
as usual and put off to the window's opening on the resume day (`next_at`, with
`stopped_reason` "paused"); then it goes once however long the pause was: its number is the
next one and nothing is caught up, and with the digest on, a client's put-off reminders of
that day arrive together. Resuming early or changing the date makes the put-off reminders due
again at once (one bulk UPDATE), and the sweep then sends them inside the window or puts them
off to the new date.

What is not paused: a manual *Resend* (staff asking for that email explicitly, B7 still
restarting the timer) and the notification of an item sent now (sending is explicit too). Only
the automatic reminders wait.

Who: any staff member pauses or resumes an account (it is part of looking after a client, like
NOTIFY); owners and admins pause the whole firm, as they alone change its reminder defaults.
Each pause and resume is in the audit trail (the account's, or the firm's for a firm-wide one)
and in the timeline of every item it affects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from dashboard.accounts.models import Account
from dashboard.audit.service import PLURAL_LABELS, record_event
from dashboard.auth.models import Firm, User
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.reminders.models import Reminder
from dashboard.reminders.schedule import SendWindow, into_window

#: `stopped_reason` of a due reminder put off until its pause ends.
PAUSED = "paused"
#: The longest pause staff can set, from today.
MAX_PAUSE_DAYS = 366
PAUSED_ACTION, RESUMED_ACTION = "reminders.paused", "reminders.resumed"


class PauseError(ValueError):
    """The date cannot be a pause's end; the message says why, in the reader's language."""


@dataclass(frozen=True)
class Pause:
    """A pause in force: reminders start again on `until`; `scope` is "account" or "firm"."""

    until: date
    scope: str


def firm_today(firm: Firm) -> date:
    """Today in the firm's time zone: what staff mean by "today" when they pick a date."""
    return now().astimezone(ZoneInfo(firm.time_zone)).date()


def parse_until(raw: str | None, firm: Firm) -> date:
    """The date staff entered (ISO, from a date input): after today, within a year."""
    try:
        until = date.fromisoformat((raw or "").strip())
    except ValueError as error:
        raise PauseError(_("Choose the day reminders start again.")) from error
    today = firm_today(firm)
    if until <= today:
        raise PauseError(_("Choose a day after today."))
    if until > today + timedelta(days=MAX_PAUSE_DAYS):
        raise PauseError(_("Choose a day within a year."))
    return until


def active_pauses(account: Account | None, firm: Firm) -> list[Pause]:
    """The pauses in force for an account (and the firm's), the account's first."""
    today = firm_today(firm)
    pauses = []
    if (
        account is not None
        and account.reminders_paused_until
        and (account.reminders_paused_until > today)
    ):
        pauses.append(Pause(account.reminders_paused_until, "account"))
    if firm.reminders_paused_until and firm.reminders_paused_until > today:
        pauses.append(Pause(firm.reminders_paused_until, "firm"))
    return pauses


def effective_pause(account: Account | None, firm: Firm) -> Pause | None:
    """The pause that ends last, when any is in force."""
    pauses = active_pauses(account, firm)
    return max(pauses, key=lambda pause: pause.until) if pauses else None


# --- the sweep's side ---------------------------------------------------------------------


def paused_until(
    account_until: date | None, firm_until: date | None, moment: datetime, zone: str
) -> date | None:
    """The day a reminder may go again, when `moment` falls inside a pause in `zone`."""
    today = moment.astimezone(ZoneInfo(zone)).date()
    days = [day for day in (account_until, firm_until) if day is not None and day > today]
    return max(days) if days else None


def resume_at(until: date, zone: str, window: SendWindow) -> datetime:
    """The first moment in the send window on the resume day (UTC)."""
    local = ZoneInfo(zone)
    return into_window(datetime.combine(until, time(0), tzinfo=local), local, window)


# --- staff actions --------------------------------------------------------------------------


def _scope(target: Account | Firm):
    """(scope name, the account id for the audit trail, the items it covers)."""
    if isinstance(target, Account):
        return "account", target.id, ActionItem.account_id == target.id
    return "firm", None, ActionItem.firm_id == target.id


def _record_pause(actor: User, target: Account | Firm, action: str, **details) -> None:
    scope, account_id, _ = _scope(target)
    record_event(
        firm_id=target.firm_id if isinstance(target, Account) else target.id,
        account_id=account_id,
        actor=actor,
        subject_type=scope,
        subject_id=target.id,
        action=action,
        scope=scope,
        **details,
    )


def _pause(actor: User, target: Account | Firm, until: date) -> None:
    target.reminders_paused_until = until
    _record_pause(actor, target, PAUSED_ACTION, until=until.isoformat())
    _release(_scope(target)[2])
    db.session.flush()


def _resume(actor: User, target: Account | Firm, firm: Firm) -> bool:
    if target.reminders_paused_until is None:
        return False
    in_force = target.reminders_paused_until > firm_today(firm)
    target.reminders_paused_until = None
    if in_force:  # a pause that simply reached its day needs no "resumed" entry
        _record_pause(actor, target, RESUMED_ACTION)
    _release(_scope(target)[2])
    db.session.flush()
    return in_force


def pause_account(actor: User, account: Account, until: date) -> None:
    """Pause an account's automatic reminders until `until` (or move the end of its pause)."""
    _pause(actor, account, until)


def resume_account(actor: User, account: Account) -> bool:
    """End an account's pause now; False when it was not paused."""
    firm = db.session.get(Firm, account.firm_id)
    assert firm is not None
    return _resume(actor, account, firm)


def pause_firm(actor: User, firm: Firm, until: date) -> None:
    """Pause every automatic reminder of the firm until `until` (an office closure)."""
    _pause(actor, firm, until)


def resume_firm(actor: User, firm: Firm) -> bool:
    """End the firm-wide pause now; False when it was not paused."""
    return _resume(actor, firm, firm)


def _release(items_where) -> int:
    """Make the reminders put off by a pause due now (one statement): the sweep sends them
    inside the window, or puts them off again if a pause (another one, a new date) holds."""
    items = select(ActionItem.id).where(items_where, ActionItem.status == "pending")
    return (
        db.session.execute(
            update(Reminder)
            .where(Reminder.stopped_reason == PAUSED, Reminder.item_id.in_(items))
            .values(next_at=now(), stopped_reason=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


# --- how pauses read --------------------------------------------------------------------------


def long_date(day: date) -> str:
    return format_date(day, "long") if get_locale() else day.isoformat()


def _paused_sentence(details: dict) -> str:
    until = long_date(date.fromisoformat(details["until"]))
    if details.get("scope") == "firm":
        return _("Paused every reminder of the firm until %(date)s", date=until)
    return _("Paused this client’s reminders until %(date)s", date=until)


def _resumed_sentence(details: dict) -> str:
    if details.get("scope") == "firm":
        return _("Resumed the reminders of the firm")
    return _("Resumed this client’s reminders")


#: The audit trail's sentences (PLURAL_LABELS takes callables: the date is formatted).
PLURAL_LABELS.update({PAUSED_ACTION: _paused_sentence, RESUMED_ACTION: _resumed_sentence})


def timeline_label(details: dict, action: str) -> str:
    """A pause event as the item timeline shows it."""
    firm_wide = details.get("scope") == "firm"
    if action == RESUMED_ACTION:
        return str(_l("Reminders resumed (whole firm)") if firm_wide else _l("Reminders resumed"))
    until = long_date(date.fromisoformat(details["until"]))
    if firm_wide:
        return _("Reminders paused until %(date)s (whole firm)", date=until)
    return _("Reminders paused until %(date)s", date=until)
