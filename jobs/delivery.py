"""Delivering outbox emails: one SMTP connection per batch, exactly one send per row.

The batch's rows, items, firms and senders are read up front (a few queries, whatever its
size), and every email rendered (`Batch.render`), an item's once for all its recipients in one
language (`RenderCache`). Then, on a connection held for the batch (`batch_session`), a few
emails at a time (`Group`): one statement claims them (`claims.claim_many`: state `sent`,
attempts + 1, each one's subject), matching only rows still queued and due and, for an email
about an item, only while the item is pending, taking the item's row for the transaction (FOR
SHARE on PostgreSQL, so a completion waits while two workers may still send to two recipients
of one item; the database's write lock on SQLite); then each claimed one's message is
composed without a MIME tree (`mime.Composer`) and sent (`smtp.Mailer`: the envelope
pipelined when the server offers it), and the group committed after the last one's reply,
before the next claim.

So running a job twice sends nothing twice (the second claim finds the row sent), a client
completing the item while its email is in the SMTP server's hands waits for that send, no
email goes after the completion committed, and a worker killed before a commit leaves that
group's rows queued, to go again with the same Message-IDs. A failure is recorded on the
claimed row (4xx: queued again with a backoff; 5xx or anything unexpected: failed, the sender
told) and the rest of the batch goes on.

A digest (B3, `dashboard/reminders/digest.py`) is one row and one message listing several
reminder rows: its claim is followed, in the same transaction, by the claim of each listed row
(each with its item's lock, as above), so what it lists is exactly what is still pending at
that moment; with nothing left it is cancelled, and a failure is recorded on every row it
claimed. A listed row is never sent on its own while its digest waits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, joinedload, with_polymorphic

from dashboard.auth.models import Firm, User
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.kinds import kind_of, load_items
from dashboard.items.models import ActionItem
from dashboard.notify import claims, smtp
from dashboard.notify.digest import PURPOSE as DIGEST
from dashboard.notify.digest import listed_rows, render_digest
from dashboard.notify.emails import RenderCache, RenderedEmail
from dashboard.notify.inbox import add_entry
from dashboard.notify.mime import Composer
from dashboard.notify.models import OutboxEmail
from dashboard.notify.outbox import ITEM_PURPOSES
from jobs.context import app_job

log = logging.getLogger(__name__)

#: Waits before the 2nd, 3rd… attempt after a temporary failure; then the email has failed.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
]
#: Emails whose claims share a transaction, and how long one stays open (see `Group`).
GROUP_SIZE = 10
GROUP_SECONDS = 0.1
OUTCOMES = ("sent", "skipped", "cancelled", "retry", "failed")


@app_job
def deliver(outbox_ids: list[int]) -> dict[str, int]:
    """Deliver these outbox rows; returns counts by outcome."""
    counts = dict.fromkeys(OUTCOMES, 0)
    with smtp.Mailer() as mailer, batch_session():
        batch = Batch(mailer)
        rows = batch.load(outbox_ids)
        counts["skipped"] = len(set(outbox_ids)) - len(rows)  # no longer queued
        batch.render(rows)
        for outcome in batch.run(rows):
            counts[outcome] += 1
    return counts


@contextmanager
def batch_session() -> Iterator[Session]:
    """`db.session`, for the batch, is a session on one connection held throughout.

    A commit per email then costs the database's commit alone: no return of the connection
    to the pool and checkout (with its ping) per email. Objects are not expired at commit,
    so the batch's items, firms and senders stay loaded. The app's session comes back after.
    """
    registry = db.session.registry
    previous = registry() if registry.has() else None
    with db.engine.connect() as connection:
        session = Session(bind=connection, expire_on_commit=False)
        registry.set(session)
        try:
            yield session
            session.commit()
        finally:
            session.close()
            if previous is not None:
                registry.set(previous)
            else:
                registry.clear()


class Batch:
    """The rows of one job, what rendering them needs, their renderings and the SMTP
    connection."""

    def __init__(self, mailer: smtp.Mailer) -> None:
        self.mailer = mailer
        self.group = Group()
        self.renders = RenderCache()
        self.composer = Composer()
        #: Strong references: the session's identity map alone would let them go.
        self.loaded: list[object] = []
        self.rendered: dict[int, RenderedEmail | Exception | None] = {}
        #: A digest's listed rows, as loaded; and the ids its rendering lists.
        self.listed: dict[int, list[OutboxEmail]] = {}
        self.rendered_for: dict[int, tuple[int, ...]] = {}

    def load(self, outbox_ids: list[int]) -> list[OutboxEmail]:
        """The queued rows in id order, with their recipients, items, firms and senders."""
        rows = _fresh(
            select(OutboxEmail)
            .where(OutboxEmail.id.in_(outbox_ids), OutboxEmail.state == "queued")
            .options(joinedload(OutboxEmail.recipient))
            .order_by(OutboxEmail.id)
        )
        waiting = {row.digest_id for row in rows if row.digest_id is not None}
        if waiting:  # a listed row goes with its digest while that one waits
            waiting &= set(
                db.session.scalars(
                    select(OutboxEmail.id).where(
                        OutboxEmail.id.in_(waiting), OutboxEmail.state == "queued"
                    )
                )
            )
            rows = [row for row in rows if row.digest_id not in waiting]
        listed = listed_rows([row.id for row in rows if row.purpose == DIGEST])
        for row in listed:
            self.listed.setdefault(row.digest_id, []).append(row)  # type: ignore[arg-type]
        item_ids = {row.item_id for row in [*rows, *listed] if row.item_id is not None}
        items = _fresh(select(with_polymorphic(ActionItem, "*")).where(ActionItem.id.in_(item_ids)))
        load_items(items)  # what each kind's email needs (an approval's document…)
        firms = _fresh(select(Firm).where(Firm.id.in_({row.firm_id for row in rows})))
        sender_ids = {item.sent_by_id for item in items if item.sent_by_id is not None}
        senders = _fresh(select(User).where(User.id.in_(sender_ids)))
        self.loaded = [*rows, *listed, *items, *firms, *senders]
        return rows

    def run(self, rows: list[OutboxEmail]) -> Iterator[str]:
        """Each row's outcome, in order: claimed, sent, and committed with its group.

        Consecutive emails are claimed together, as many as the group has room for (one
        statement, `_deliver_group`); a digest is claimed on its own (`_deliver_digest`)."""
        index = 0
        while index < len(rows):
            room = self.group.room()
            if room == 0:
                self.group.commit()
                room = self.group.room()
            if rows[index].purpose == DIGEST:
                yield self._deliver_digest(rows[index], self.rendered[rows[index].id])
                index += 1
            else:
                chunk = []
                while index < len(rows) and len(chunk) < room and rows[index].purpose != DIGEST:
                    chunk.append(rows[index])
                    index += 1
                yield from self._deliver_group(chunk)
            self.group.commit_if_due()
        self.group.commit()

    def _deliver_group(self, rows: list[OutboxEmail]) -> Iterator[str]:
        """Claim these rows in one statement (two when only some are about an item), then
        send each claimed one; a failure is recorded on its claimed row. All in the group's
        transaction, committed (by `run`) only after the last reply.

        While the server reads one message, the next one is composed (`Mailer.send`'s
        `while_waiting`): local work only, nothing is written or sent meanwhile.
        """
        moment = now()
        connection = db.session.connection()
        subjects = {row.id: _subject(self.rendered[row.id]) for row in rows}
        about = [row for row in rows if _about_item(row)]
        others = [row for row in rows if not _about_item(row)]
        claimed = claims.claim_many(connection, about, True, moment, subjects)
        claimed.update(claims.claim_many(connection, others, False, moment, subjects))
        self.group.joined(len(rows))
        messages: dict[int, bytes | Exception] = {}
        stopped: set[tuple[int | None, str]] = set()  # (item, address) refused for good

        def compose(row: OutboxEmail) -> None:
            rendered = self.rendered[row.id]
            if (
                row.id in claimed
                and isinstance(rendered, RenderedEmail)
                and isinstance(rendered.attachments, tuple)  # no file made meanwhile
            ):
                try:
                    messages[row.id] = self.composer.message(rendered, row.to_email, row.message_id)
                except Exception as error:  # a header with a line break: this email fails
                    messages[row.id] = error

        for index, row in enumerate(rows):
            attempts = claimed.get(row.id)
            if attempts is None:
                cancelled = _about_item(row) and claims.cancel_if_item_done(connection, row, moment)
                yield "cancelled" if cancelled else "skipped"
                continue
            if (row.item_id, row.to_email) in stopped:
                # An earlier email of this item to this address was refused for good: this
                # one, claimed with it, is cancelled as `_stop_mailing` cancels queued ones.
                claims.settle(
                    connection,
                    [row.id],
                    state="cancelled",
                    sent_at=None,
                    subject=None,
                    last_error="address refused permanently",
                )
                yield "cancelled"
                continue
            rendered = self.rendered[row.id]
            assert rendered is not None
            if isinstance(rendered, Exception):
                problem: Exception | None = rendered
            else:
                following = rows[index + 1] if index + 1 < len(rows) else None
                problem = self._send(
                    row,
                    rendered,
                    messages.pop(row.id, None),
                    partial(compose, following) if following is not None else None,
                )
            if problem is None:
                yield "sent"
                continue
            outcome = _record_failure(row, attempts, problem)
            if isinstance(problem, smtp.Permanent) and row.item_id is not None:
                stopped.add((row.item_id, row.to_email))
            yield outcome

    def _send(
        self,
        row: OutboxEmail,
        rendered: RenderedEmail,
        message: bytes | Exception | None = None,
        while_waiting: Callable[[], None] | None = None,
    ) -> Exception | None:
        """None once the server accepted the message, else the classified problem."""
        if message is None:
            try:
                message = self.composer.message(rendered, row.to_email, row.message_id)
            except Exception as error:  # a header with a line break: this email fails
                message = error
        if isinstance(message, Exception):
            return smtp.classify(message)
        try:
            self.mailer.send(rendered.sender, row.to_email, message, while_waiting)
        except Exception as error:  # 4xx, 5xx, dropped, timed out…
            self.mailer.discard()
            return smtp.classify(error)
        return None

    def render(self, rows: list[OutboxEmail]) -> None:
        """Render every row's email before the first claim (rendering reads, and stores an
        invoice's first PDF), committed: no statement of it can spoil a group's transaction.
        An email that cannot be rendered fails alone (classified as unexpected). A digest is
        rendered with what it lists that is still pending (None: nothing is).

        All in one savepoint; only if one rendering fails is that undone and every row
        rendered again in a savepoint of its own, so that the failure undoes that row's
        writes alone (a savepoint per row costs two statements per email on PostgreSQL)."""
        try:
            with db.session.begin_nested():
                for row in rows:
                    self.rendered[row.id] = self._render(row)
        except Exception:  # a rendering error: that email fails, not the batch
            self.renders = RenderCache()
            self.rendered.clear()
            self.rendered_for.clear()
            for row in rows:
                try:
                    with db.session.begin_nested():
                        self.rendered[row.id] = self._render(row)
                except Exception as error:
                    self.rendered[row.id] = smtp.classify(error)
        db.session.commit()

    def _render(self, row: OutboxEmail) -> RenderedEmail | None:
        if row.purpose == DIGEST:
            listed = [m for m in self.listed.get(row.id, []) if _pending(m)]
            self.rendered_for[row.id] = tuple(m.id for m in listed)
            return self._render_digest(row, listed)
        return self.renders.render(row)

    def _render_digest(self, row: OutboxEmail, listed: list[OutboxEmail]) -> RenderedEmail | None:
        """The digest's email; with one reminder left, that item's ordinary reminder email."""
        if not listed:
            return None
        if len(listed) == 1:
            return self.renders.render(listed[0])
        firm = db.session.get(Firm, row.firm_id)
        assert firm is not None
        items = [(m, db.session.get(ActionItem, m.item_id)) for m in listed]
        return render_digest(row, firm, [(m, item) for m, item in items if item is not None])

    def _deliver_digest(self, row: OutboxEmail, rendered: RenderedEmail | Exception | None) -> str:
        """Claim the digest, then each reminder it lists (only while its item is pending, the
        item's row taken as for any email about it); send one message listing exactly those.
        Nothing left: the digest is cancelled, nothing is sent."""
        moment = now()
        subject = rendered.subject[:300] if isinstance(rendered, RenderedEmail) else None
        connection = db.session.connection()
        attempts = claims.claim(connection, row, False, moment, subject)
        self.group.joined()
        if attempts is None:
            return "skipped"
        claimed = []
        for listed in claims.listed_in(connection, row.id):
            if claims.claim(connection, listed, True, moment, subject) is not None:
                claimed.append(listed.id)
            else:
                claims.cancel_if_item_done(connection, listed, moment)
        if not claimed:
            claims.settle(
                connection,
                [row.id],
                state="cancelled",
                sent_at=None,
                subject=None,
                last_error="nothing left to remind",
            )
            return "cancelled"
        if tuple(claimed) != self.rendered_for.get(row.id):
            # An item completed, or a sweep added a reminder, since the rendering: list what
            # was claimed (reads only; the claims stay in this transaction).
            rendered = self._render_claimed(row, claimed)
            if isinstance(rendered, RenderedEmail):
                claims.settle(connection, [row.id, *claimed], subject=rendered.subject[:300])
        assert rendered is not None
        problem = rendered if isinstance(rendered, Exception) else self._send(row, rendered)
        if problem is None:
            return "sent"
        outcome = _record_failure(row, attempts, problem)
        _fail_listed(row, claimed, outcome, problem)
        return outcome

    def _render_claimed(self, row: OutboxEmail, claimed: list[int]) -> RenderedEmail | Exception:
        known = {m.id: m for m in self.listed.get(row.id, [])}
        if set(claimed) - set(known):
            fresh = listed_rows([row.id], ("queued", "sent"))
            self.loaded.extend(fresh)
            known.update((m.id, m) for m in fresh)
        try:
            rendered = self._render_digest(row, [known[i] for i in claimed])
        except Exception as error:  # the claimed rows fail together, below
            return smtp.classify(error)
        assert rendered is not None
        return rendered


class Group:
    """The emails whose claims share one transaction, committed once their sends are done.

    A commit per email would cost the database's commit (a flush to disk) per email: about
    what a whole send costs. So a few go per transaction, claimed together and committed
    after the last one's reply, before the next claim (a claim is never committed before its
    send is done). A group holds at most `GROUP_SIZE` emails, and as many as take about
    `GROUP_SECONDS` at the pace measured (`limit`; it may grow while it is open: more rows
    are claimed into it), so that a slow server means a commit per email. A worker killed
    before a commit leaves that group's rows queued: they go again, with their Message-IDs
    (at most that many, and what the server accepted within that time). Until the commit,
    the items' rows stay taken, so a completion waits that long at most.
    """

    def __init__(self) -> None:
        self.size = 0
        self.opened = 0.0
        #: Seconds per email in the last group committed; None before the first.
        self.pace: float | None = None

    @property
    def limit(self) -> int:
        """`GROUP_SIZE` at most; as many as fit in `GROUP_SECONDS` at the pace of the last
        group, or before the first commit at that of this group so far (its first email,
        the SMTP connection's opening included, is claimed alone)."""
        pace = self.pace
        if pace is None:
            if not self.size:
                return 1
            pace = (time.monotonic() - self.opened) / self.size
        fits = int(GROUP_SECONDS / pace) if pace > 0 else GROUP_SIZE
        return max(1, min(GROUP_SIZE, fits))

    def room(self) -> int:
        """How many more emails may be claimed into this transaction."""
        if self.size and time.monotonic() - self.opened >= GROUP_SECONDS:
            return 0
        return max(0, self.limit - self.size)

    def joined(self, count: int = 1) -> None:
        if self.size == 0:
            self.opened = time.monotonic()
        self.size += count

    def commit_if_due(self) -> None:
        if self.size >= self.limit or (
            self.size and time.monotonic() - self.opened >= GROUP_SECONDS
        ):
            self.commit()

    def commit(self) -> None:
        db.session.commit()
        if self.size:
            self.pace = (time.monotonic() - self.opened) / self.size
        self.size = 0


def _fresh(statement: Select) -> list:
    return list(db.session.scalars(statement.execution_options(populate_existing=True)))


def _about_item(row: OutboxEmail) -> bool:
    """Sent only while its item is pending: claimed with the item's row taken."""
    return row.item_id is not None and row.purpose in ITEM_PURPOSES


def _subject(rendered: RenderedEmail | Exception | None) -> str | None:
    return rendered.subject[:300] if isinstance(rendered, RenderedEmail) else None


def _pending(row: OutboxEmail) -> bool:
    item = db.session.get(ActionItem, row.item_id) if row.item_id is not None else None
    return item is not None and item.is_pending


def _fail_listed(digest: OutboxEmail, claimed: list[int], outcome: str, problem: Exception) -> None:
    """The digest's failure, on every reminder it listed: queued again with it (a temporary
    failure: the digest's retry sends them), or failed, each item's sender told."""
    error = str(problem)
    connection = db.session.connection()
    if outcome == "retry":
        claims.settle(
            connection, claimed, state="queued", sent_at=None, subject=None, last_error=error
        )
        return
    claims.settle(connection, claimed, state="failed", sent_at=None, subject=None, last_error=error)
    for listed in db.session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(claimed))):
        if isinstance(problem, smtp.Permanent):
            _stop_mailing(listed)
        _tell_sender(listed, error)


def _record_failure(row: OutboxEmail, attempts: int, problem: Exception) -> str:
    """On the claimed row, in its transaction: queued again after a backoff (4xx, a dropped
    connection), or failed (5xx, too many attempts, an unexpected error) with the sender
    told; `attempts` counts this one."""
    retry = isinstance(problem, smtp.Temporary) and attempts <= len(BACKOFF)
    values: dict[str, object] = {"sent_at": None, "subject": None, "last_error": str(problem)}
    if retry:
        values.update(
            state="queued",
            next_attempt_at=now() + BACKOFF[attempts - 1],
            enqueued_at=None,  # the sweep picks it up when the wait is over
        )
    else:
        values["state"] = "failed"
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == row.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if retry:
        return "retry"
    if isinstance(problem, smtp.Permanent):
        _stop_mailing(row)  # an Unexpected failure says nothing about the address
    _tell_sender(row, str(problem))
    return "failed"


def _stop_mailing(row: OutboxEmail) -> None:
    """A permanent refusal: mark the address, so no more reminders go to it."""
    if row.recipient_id is not None:
        db.session.execute(
            update(User)
            .where(User.id == row.recipient_id, User.email_bounced_at.is_(None))
            .values(email_bounced_at=now())
            .execution_options(synchronize_session=False)
        )
    if row.item_id is not None:
        db.session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.item_id == row.item_id,
                OutboxEmail.to_email == row.to_email,
                OutboxEmail.state == "queued",
                OutboxEmail.id != row.id,
            )
            .values(state="cancelled", last_error="address refused permanently")
            .execution_options(synchronize_session=False)
        )


def _tell_sender(row: OutboxEmail, error: str) -> None:
    """The staff member who sent the item sees the failure in Inbox+ (and on the timeline)."""
    if row.item_id is None:
        return
    item = db.session.scalar(select(ActionItem).where(ActionItem.id == row.item_id))
    if item is None or item.sent_by_id is None:
        return
    add_entry(
        item.sent_by_id,
        item.firm_id,
        "delivery_failed",
        account_id=item.account_id,
        item_id=item.id,
        title=kind_of(item).title(item),
        email=row.to_email,
        error=error[:200],
    )
