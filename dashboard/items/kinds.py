"""The protocol every kind of action item implements, and the registry the engine uses.

The engine (reminders, notify, jobs) only ever calls these methods; it imports no kind.
A kind registers itself with `register(MyKind())` when its package is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select

from dashboard.accounts.models import Contact
from dashboard.auth.models import Firm, User
from dashboard.extensions import db
from dashboard.items.models import ActionItem


@dataclass(frozen=True)
class Recipient:
    """What the sweep needs of a person it emails, without loading a User."""

    user_id: int
    email: str
    locale: str
    time_zone: str | None


@dataclass(frozen=True)
class SweepFacts:
    complete: bool
    title: str
    recipients: list[Recipient]
    #: Set by a registered stop condition (a job archived): no reminder, whatever the kind says.
    stop_reason: str | None = None


Attachment = tuple[str, str, bytes]


class LazyAttachments(Sequence[Attachment]):
    """Files made only when the email is sent: rendering an email for its subject (the
    demo's delivered history, a preview) must not render an invoice's PDF."""

    def __init__(self, load: Callable[[], tuple[Attachment, ...]]) -> None:
        self._load = load
        self._files: tuple[Attachment, ...] | None = None

    def _loaded(self) -> tuple[Attachment, ...]:
        if self._files is None:
            self._files = tuple(self._load())
        return self._files

    def __getitem__(self, index):  # type: ignore[override]
        return self._loaded()[index]

    def __len__(self) -> int:
        return len(self._loaded())

    def __iter__(self) -> Iterator[Attachment]:
        return iter(self._loaded())


@dataclass(frozen=True)
class EmailContent:
    """What a kind contributes to an email; the engine adds greeting, button and footer."""

    subject: str
    intro: str
    action_label: str
    details: str = ""
    #: Files sent with the email: (file name, MIME type, bytes) — an invoice's PDF.
    attachments: Sequence[Attachment] = ()


class Kind(Protocol):
    name: str
    #: The staff notification-preference topic for this kind ("approvals", …).
    topic: str

    def recipients(self, item: ActionItem) -> list[User]:
        """Who is emailed about the item (NOTIFY contacts with portal access, by default)."""

    def is_complete(self, item: ActionItem) -> bool:
        """Has the client done what was asked (or the firm withdrawn it)?"""

    def email(self, item: ActionItem, purpose: str, context: dict) -> EmailContent:
        """The email for `purpose`, rendered in the current locale."""

    def portal_path(self, item: ActionItem) -> str:
        """Where the client acts, relative to the site root."""

    def staff_path(self, item: ActionItem) -> str:
        """Where staff see the item, relative to the site root."""

    def todo_label(self, item: ActionItem) -> str:
        """The line shown in the client's Pending action list."""

    def title(self, item: ActionItem) -> str:
        """A short name of the item for staff (timeline, Inbox+)."""

    def preload(self, items: list[ActionItem]) -> None:
        """Load what todo_label()/title() need for many items at once (lists stay O(1))."""

    def sweep_facts(self, items: list[tuple[int, int, str, str]]) -> dict[int, SweepFacts]:
        """For (item id, account id, status, title) rows: complete?, title, recipients — in a
        constant number of queries and without ORM objects (the sweep's hot path)."""


class AccountKind:
    """Default behaviour: the account's NOTIFY contacts with portal access are the recipients."""

    name = "item"
    topic = ""

    def recipients(self, item: ActionItem) -> list[User]:
        return notify_recipients(item.account_id)

    def preload(self, items: list[ActionItem]) -> None:
        return None

    def sweep_facts(self, items: list[tuple[int, int, str, str]]) -> dict[int, SweepFacts]:
        """Default: complete once the item is no longer pending; the account's recipients.
        A kind whose completion needs more (chat tasks, signers) overrides this."""
        people = notify_recipient_rows({account_id for _, account_id, _, _ in items})
        return {
            item_id: SweepFacts(status != "pending", title, people.get(account_id, []))
            for item_id, account_id, status, title in items
        }


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    _KINDS[kind.name] = kind
    return kind


def kind_of(item: ActionItem) -> Kind:
    return _KINDS[item.kind]


def kind_named(name: str) -> Kind:
    return _KINDS[name]


def _notified(account_ids: set[int]) -> list:
    """Who is emailed about an account's items: NOTIFY on, portal access, address working."""
    return [
        Contact.account_id.in_(account_ids),
        Contact.notify.is_(True),
        Contact.portal_access.is_(True),
        User.email_bounced_at.is_(None),
    ]


def notify_recipients(account_id: int) -> list[User]:
    """Users of the account's contacts with NOTIFY on and portal access, whose address works."""
    return list(
        db.session.scalars(
            select(User)
            .join(Contact, Contact.user_id == User.id)
            .where(*_notified({account_id}))
            .order_by(Contact.id)
        )
    )


def load_items(stmt_items: list[ActionItem]) -> list[tuple[ActionItem, Kind]]:
    """Pair items with their kind, letting each kind preload what its labels need."""
    by_kind: dict[str, list[ActionItem]] = {}
    for item in stmt_items:
        by_kind.setdefault(item.kind, []).append(item)
    for name, items in by_kind.items():
        _KINDS[name].preload(items)
    return [(item, _KINDS[item.kind]) for item in stmt_items]


def notify_recipient_rows(account_ids: set[int]) -> dict[int, list[Recipient]]:
    """Recipients (NOTIFY, portal access, address working) of many accounts, as plain rows."""
    if not account_ids:
        return {}
    rows = db.session.execute(
        select(
            Contact.account_id,
            User.id,
            User.email,
            func.coalesce(User.language, Firm.default_language),
            User.time_zone,
        )
        .join(User, User.id == Contact.user_id)
        .join(Firm, Firm.id == User.firm_id)
        .where(*_notified(account_ids))
        .order_by(Contact.id)
    ).all()
    result: dict[int, list[Recipient]] = {}
    for account_id, user_id, email, locale, time_zone in rows:
        result.setdefault(account_id, []).append(Recipient(user_id, email, locale, time_zone))
    return result


#: Checks beyond a kind's own completion (R4 "for every kind"): each takes item ids and
#: returns {item id: reason} for those whose reminders must stop, e.g. the pipeline job an
#: item belongs to was archived. Features register one; the engine imports none of them.
StopCondition = Callable[[list[int]], dict[int, str]]
_STOP_CONDITIONS: list[StopCondition] = []


def register_stop_condition(check: StopCondition) -> StopCondition:
    if check not in _STOP_CONDITIONS:
        _STOP_CONDITIONS.append(check)
    return check


def stop_reasons(item_ids: list[int]) -> dict[int, str]:
    """Why these items' reminders must stop beyond their kind's completion ({} when none)."""
    reasons: dict[int, str] = {}
    if not item_ids:
        return reasons
    for check in _STOP_CONDITIONS:
        for item_id, reason in check(item_ids).items():
            reasons.setdefault(item_id, reason)
    return reasons
