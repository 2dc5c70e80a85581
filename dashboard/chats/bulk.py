"""Bulk messaging (C2): one chat thread per selected account, created by a worker in chunks.

The web request only validates and writes a BulkSend row; after commit its id is enqueued
(jobs.bulk.run_bulk_send). The job takes the accounts in chunks, one transaction per chunk:
it locks the row, skips every account already in `results` (so a re-run or a second worker
creates nothing twice), starts the threads through dashboard.chats.service.start_thread (the
engine sends the notifications), and appends the outcome of each account with the counts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    event,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from dashboard.accounts.models import Account, Contact
from dashboard.auth.models import User
from dashboard.chats.service import MAX_MESSAGE, ChatError, chat_upload_folder, start_thread
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.documents import storage
from dashboard.documents.service import add_document_bytes
from dashboard.documents.uploads import UploadRefused, stage_upload
from dashboard.extensions import db
from dashboard.reminders.service import ReminderSettings

log = logging.getLogger(__name__)

BULK_JOB = "jobs.bulk.run_bulk_send"
BULK_STATES = ("queued", "running", "done", "failed")
#: Accounts handled per transaction: progress moves in steps of this size.
CHUNK_SIZE = 25
#: More than this many accounts in one bulk send is refused (the Clients list selects a page).
MAX_ACCOUNTS = 5000
#: A queued or running bulk send untouched for this long lost its job (Redis restart).
STALLED_AFTER = timedelta(minutes=10)

#: Why an account got no thread; the code is stored, the label shown.
SKIP_REASONS = {
    "no_portal_contact": _l("no contact with portal access"),
    "no_chat_folder": _l("no folder the client can view, for the files"),
    "not_found": _l("not found"),
}


class BulkSend(db.Model):
    """One "Send message" to many accounts, and how far the worker got."""

    __tablename__ = "chat_bulk_send"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
        CheckConstraint("created_count >= 0 AND skipped_count >= 0", name="counts"),
        CheckConstraint("interval_days BETWEEN 1 AND 365", name="interval_days"),
        CheckConstraint("max_count BETWEEN 0 AND 10", name="max_count"),
        Index("ix_chat_bulk_send_firm_created", "firm_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The owning firm; the progress page is loaded through it.
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"))
    #: The staff member who sent it: the author of every first message.
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: Subject of every thread.
    subject: Mapped[str] = mapped_column(String(200))
    #: The message as typed (plain text); start_thread turns it into sanitised HTML.
    body: Mapped[str] = mapped_column(Text)
    #: Reminder settings given to every thread.
    reminders_enabled: Mapped[bool] = mapped_column(default=False)
    interval_days: Mapped[int] = mapped_column(default=3)
    max_count: Mapped[int] = mapped_column(default=1)
    #: Where they came from (B8: the firm default, a template, or "item": set in the form).
    reminders_origin: Mapped[str] = mapped_column(String(16), default="item")
    #: The account ids selected, in order, without duplicates (not yet checked for tenancy).
    account_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: queued → running → done, or failed (last_error says why).
    state: Mapped[str] = mapped_column(String(16), default="queued")
    created_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    #: One entry per handled account, in order: {"account_id", "name", "thread_id"} when
    #: created, {"account_id", "name", "reason"} (a SKIP_REASONS code) when skipped.
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Files given with the message, checked and kept under UPLOAD_DIR/bulk until the job has
    #: copied them into each account's chat folder: [{"name", "key", "content_type"}].
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    #: Moved by every chunk: a queued or running row that stops moving lost its job.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def total(self) -> int:
        return len(self.account_ids or [])

    @property
    def processed(self) -> int:
        return self.created_count + self.skipped_count

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.processed * 100 // self.total)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def settings(self) -> ReminderSettings:
        return ReminderSettings(
            self.reminders_enabled, self.interval_days, self.max_count, self.reminders_origin
        )

    def created(self) -> list[dict[str, Any]]:
        return [r for r in self.results or [] if r.get("thread_id")]

    def skipped(self) -> list[dict[str, Any]]:
        return [r for r in self.results or [] if not r.get("thread_id")]


class BulkError(ValueError):
    """The form is refused; `errors` maps a field to the message shown next to it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def parse_account_ids(values: Iterable[str]) -> list[int]:
    """Positive integer ids in the order given, without duplicates; anything else is ignored."""
    seen: dict[int, None] = {}
    for value in values:
        value = (value or "").strip()
        if value.isdigit() and 0 < int(value) < 2**31:
            seen.setdefault(int(value), None)
    return list(seen)


def describe_accounts(firm_id: int, account_ids: list[int]) -> tuple[list[Account], set[int]]:
    """The firm's accounts among `account_ids` (in that order) and those with a portal contact."""
    if not account_ids:
        return [], set()
    found = {
        a.id: a
        for a in db.session.scalars(
            select(Account).where(Account.firm_id == firm_id, Account.id.in_(account_ids))
        )
    }
    return [found[i] for i in account_ids if i in found], reachable_account_ids(list(found))


def reachable_account_ids(account_ids: list[int]) -> set[int]:
    """Accounts with at least one contact who has portal access (C10), in one query."""
    if not account_ids:
        return set()
    return set(
        db.session.scalars(
            select(Contact.account_id)
            .where(Contact.account_id.in_(account_ids), Contact.portal_access.is_(True))
            .distinct()
        )
    )


def create_bulk_send(
    actor: User,
    account_ids: list[int],
    subject: str,
    text: str,
    settings: ReminderSettings,
    files: list | None = None,
) -> BulkSend:
    """Record a bulk send; its job is enqueued when the transaction commits.

    Files are checked like every upload (type, size, zip paths and expansion) and kept once;
    the job gives each account its own copy in the chat folder (C2: "+ documents").
    """
    errors: dict[str, str] = {}
    if not account_ids:
        errors["account"] = str(_l("Select at least one client."))
    elif len(account_ids) > MAX_ACCOUNTS:
        errors["account"] = str(_l("Select at most %(count)d clients at once.", count=MAX_ACCOUNTS))
    subject = (subject or "").strip()[:200]
    if not subject:
        errors["subject"] = str(_l("Write a subject."))
    text = (text or "").strip()
    if not text:
        errors["message"] = str(_l("Write a message."))
    elif len(text) > MAX_MESSAGE:
        errors["message"] = str(_l("The message is too long."))
    if errors:
        raise BulkError(errors)
    kept = _keep_files([f for f in (files or []) if f and f.filename], actor.firm_id)
    moment = now()
    bulk = BulkSend(
        firm_id=actor.firm_id,
        created_by_id=actor.id,
        subject=subject,
        body=text,
        reminders_enabled=settings.enabled,
        interval_days=settings.interval_days,
        max_count=settings.max_count,
        reminders_origin=settings.origin,
        account_ids=list(account_ids),
        state="queued",
        created_count=0,
        skipped_count=0,
        results=[],
        files=kept,
        created_at=moment,
        updated_at=moment,
    )
    db.session.add(bulk)
    db.session.flush()
    db.session.info.setdefault("bulk_sends", []).append(bulk)
    return bulk


def process_bulk_send(bulk_id: int, chunk_size: int = CHUNK_SIZE) -> BulkSend | None:
    """Create the threads of a bulk send, one committed chunk at a time; safe to run again."""
    while True:
        # Locks the row for the chunk (a second worker waits here, then sees our results),
        # and only a bulk send still queued or running is worked on.
        claimed = db.session.execute(
            update(BulkSend)
            .where(BulkSend.id == bulk_id, BulkSend.state.in_(("queued", "running")))
            .values(state="running", updated_at=now())
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            db.session.rollback()
            return db.session.get(BulkSend, bulk_id)
        bulk = db.session.get(BulkSend, bulk_id, populate_existing=True)
        assert bulk is not None
        handled = {entry["account_id"] for entry in bulk.results or []}
        todo = [i for i in bulk.account_ids if i not in handled][:chunk_size]
        if not todo:
            bulk.state, bulk.finished_at = "done", now()
            db.session.commit()
            storage.remove([item["key"] for item in bulk.files or []])
            return bulk
        outcome = _process_chunk(bulk, todo)
        results = [*(bulk.results or []), *outcome]
        bulk.results = results  # a new list, so the JSON column is written
        bulk.created_count = sum(1 for r in results if r.get("thread_id"))
        bulk.skipped_count = len(results) - bulk.created_count
        db.session.commit()


def _process_chunk(bulk: BulkSend, account_ids: list[int]) -> list[dict[str, Any]]:
    actor = db.session.get(User, bulk.created_by_id)
    assert actor is not None
    accounts = {
        a.id: a
        for a in db.session.scalars(
            select(Account).where(Account.firm_id == bulk.firm_id, Account.id.in_(account_ids))
        )
    }
    reachable = reachable_account_ids(list(accounts))
    settings = bulk.settings
    outcome: list[dict[str, Any]] = []
    for account_id in account_ids:
        account = accounts.get(account_id)
        if account is None:
            outcome.append({"account_id": account_id, "name": None, "reason": "not_found"})
        elif account_id not in reachable:
            outcome.append(
                {"account_id": account_id, "name": account.name, "reason": "no_portal_contact"}
            )
        else:
            try:
                document_ids = _copy_files(actor, account, bulk.files or [])
            except ChatError:
                outcome.append(
                    {"account_id": account_id, "name": account.name, "reason": "no_chat_folder"}
                )
                continue
            thread = start_thread(
                actor, account, bulk.subject, bulk.body, settings, document_ids=document_ids
            )
            outcome.append({"account_id": account_id, "name": account.name, "thread_id": thread.id})
    return outcome


def _keep_files(files: list, firm_id: int) -> list[dict[str, Any]]:
    """Check the uploads and keep them until the job has copied them (raises BulkError)."""
    if not files:
        return []
    staging = storage.new_staging_dir()
    try:
        staged = stage_upload(files, staging)
        return [
            {
                "name": item.name,
                "content_type": item.content_type,
                "key": storage.keep(item.path, firm_id),
            }
            for item in staged
        ]
    except UploadRefused as refused:
        raise BulkError({"files": str(refused)}) from None
    finally:
        storage.remove_staging(staging)


def _copy_files(actor: User, account: Account, files: list[dict[str, Any]]) -> list[int]:
    if not files:
        return []
    folder = chat_upload_folder(account.id)
    return [
        add_document_bytes(
            actor,
            folder,
            item["name"],
            storage.path_for(item["key"]).read_bytes(),
            item["content_type"],
        ).id
        for item in files
    ]


def fail_bulk_send(bulk_id: int, error: str) -> None:
    """The job broke: say so on the progress page (what was committed stays created)."""
    db.session.rollback()
    db.session.execute(
        update(BulkSend)
        .where(BulkSend.id == bulk_id, BulkSend.state.in_(("queued", "running")))
        .values(state="failed", last_error=error[:500], finished_at=now(), updated_at=now())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def enqueue_bulk_send(bulk_id: int) -> bool:
    """Put the job on the queue; False (logged) when Redis cannot be reached."""
    from dashboard.notify.outbox import delivery_queue

    try:
        delivery_queue().enqueue(BULK_JOB, bulk_id, job_timeout=3600, result_ttl=3600)
    except Exception as error:  # Redis down: requeue_stalled() enqueues it again later
        log.warning("could not enqueue bulk send %s: %s", bulk_id, error)
        return False
    return True


def requeue_stalled() -> int:
    """Enqueue again the bulk sends whose job was lost; the job skips what is done."""
    ids = list(
        db.session.scalars(
            select(BulkSend.id).where(
                BulkSend.state.in_(("queued", "running")),
                BulkSend.updated_at <= now() - STALLED_AFTER,
            )
        )
    )
    for bulk_id in ids:
        if enqueue_bulk_send(bulk_id):
            db.session.execute(
                update(BulkSend)
                .where(BulkSend.id == bulk_id)
                .values(updated_at=now())
                .execution_options(synchronize_session=False)
            )
    db.session.commit()
    return len(ids)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    rows = session.info.pop("bulk_sends", None) or []
    # Objects are expired after commit: read the ids from their identity, without SQL.
    for row in rows:
        identity = inspect(row).identity
        if identity:
            enqueue_bulk_send(identity[0])


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop("bulk_sends", None)
