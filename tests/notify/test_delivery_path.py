"""The delivery worker's fast path (issue 12 §1) keeps every guarantee: a group of emails is
claimed by one statement with the same conditions as one claim, MAIL FROM / RCPT TO / DATA go
in one write only when the server advertises PIPELINING (each reply still checked as its own
command's), and addresses are written as Flask-Mail and smtplib write them."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from flask_mail import sanitize_address
from sqlalchemy import event, select, update

from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.notify import claims
from dashboard.notify.mime import address
from dashboard.notify.models import OutboxEmail
from dashboard.notify.outbox import enqueue_delivery, queue_email
from dashboard.notify.smtp import recipient_path, sender_path
from tests.conftest import SmtpSink
from tests.factories import make_approval, make_contact, make_document, make_folder


class PipeliningSink(SmtpSink):
    """The tests' SMTP sink, advertising PIPELINING (RFC 2920) as Postfix does."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


@pytest.fixture()
def pipelining_mailbox(app) -> Iterator[SmtpSink]:
    sink = PipeliningSink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    state = app.extensions["mail"]
    saved = (state.server, state.port, state.use_tls, state.use_ssl, state.suppress)
    state.server, state.port, state.use_tls, state.use_ssl = "127.0.0.1", port, False, False
    state.suppress = False
    try:
        yield sink
    finally:
        state.server, state.port, state.use_tls, state.use_ssl, state.suppress = saved
        controller.stop()


@pytest.fixture()
def writes(monkeypatch) -> list[bytes]:
    """What the SMTP client wrote, one entry per write."""
    written: list[bytes] = []
    real_send = smtplib.SMTP.send

    def send(self, data):
        written.append(data.encode("ascii") if isinstance(data, str) else data)
        return real_send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", send)
    return written


def all_rows() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def envelopes(written: list[bytes]) -> list[bytes]:
    return [w for w in written if w.lower().startswith(b"mail from:")]


def test_pipelined_envelope_with_each_reply_checked(
    ctx, world, pipelining_mailbox, writes, redis_queue, run_worker
):
    """The server advertises PIPELINING: one write per envelope; a 550 to RCPT fails that
    email (the address marked), a 451 queues it again, the others go once each."""
    refused = make_contact(world.a.account, name="Refused")
    delayed = make_contact(world.a.account, name="Delayed")
    db.session.commit()
    pipelining_mailbox.script[refused.user.email] = ["550 5.1.1 No such user"] * 3
    pipelining_mailbox.script[delayed.user.email] = ["451 4.3.0 Try again later"]
    folder = make_folder(world.a.account, "Bulk", "view")
    for n in range(3):
        make_approval(world.a.staff, make_document(folder, f"doc-{n}.pdf"), enabled=False)
    run_worker()
    sent = envelopes(writes)
    assert len(sent) == 9  # each of the 9 emails' envelope once, in one write
    for envelope in sent:
        lines = envelope.split(b"\r\n")
        assert lines[1].lower().startswith(b"rcpt to:<") and lines[2] == b"data", envelope
    by_address: dict[str, list[str]] = {}
    for row in all_rows():
        by_address.setdefault(row.to_email, []).append(row.state)
    assert by_address[world.a.contact.user.email] == ["sent"] * 3
    assert by_address[refused.user.email] == ["failed"] * 3
    assert by_address[delayed.user.email] == ["queued", "sent", "sent"]
    assert len(pipelining_mailbox.to(world.a.contact.user.email)) == 3
    assert pipelining_mailbox.to(refused.user.email) == []
    assert len(pipelining_mailbox.to(delayed.user.email)) == 2
    failed = [r for r in all_rows() if r.state == "failed"]
    assert all("550" in (r.last_error or "") for r in failed)
    db.session.refresh(refused.user)
    assert refused.user.email_bounced_at is not None


def test_no_pipelining_unless_advertised(ctx, world, mailbox, writes, run_worker):
    """aiosmtpd does not advertise PIPELINING: each command is its own write, as smtplib's."""
    make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    run_worker()
    (envelope,) = envelopes(writes)
    assert envelope.count(b"\r\n") == 1
    assert any(w.lower().startswith(b"rcpt to:") for w in writes)
    assert b"data\r\n" in writes
    assert len(mailbox.messages) == 1


def test_a_group_is_claimed_in_one_statement(ctx, world, mailbox, redis_queue, run_worker):
    """Twelve emails in one job: far fewer claim statements than emails, each sent once."""
    folder = make_folder(world.a.account, "Bulk", "view")
    for n in range(12):
        make_approval(world.a.staff, make_document(folder, f"doc-{n:02}.pdf"), enabled=False)
    redis_queue.empty()
    ids = [row.id for row in all_rows()]
    claimed: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE OUTBOX_EMAIL SET STATE"):
            claimed.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        enqueue_delivery(ids)
        run_worker()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    rows = all_rows()
    assert [(r.state, r.attempts) for r in rows] == [("sent", 1)] * 12
    assert [r.subject for r in rows] == [f"Please review doc-{n:02}.pdf" for n in range(12)]
    assert len(mailbox.messages) == 12
    assert 2 <= len(claimed) <= 6  # the first alone, then groups of up to 10


def test_claim_many_has_the_conditions_of_one_claim(ctx, world):
    """Only rows still queued and due, and for an item email only while the item is
    pending; each claimed row gets attempts + 1 and its own subject."""
    folder = make_folder(world.a.account, "Claims", "view")
    requests = [
        make_approval(world.a.staff, make_document(folder, f"c-{n}.pdf"), enabled=False)
        for n in range(4)
    ]
    rows = all_rows()
    by_item = {row.item_id: row for row in rows}
    due, later, done, sent = (by_item[r.id] for r in requests)
    moment = now()
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == later.id)
        .values(next_attempt_at=moment + timedelta(minutes=5))
    )
    db.session.execute(
        update(ActionItem).where(ActionItem.id == done.item_id).values(status="completed")
    )
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id == sent.id).values(state="sent"))
    db.session.commit()
    subjects = {row.id: f"subject {row.id}" for row in rows}
    connection = db.session.connection()
    claimed = claims.claim_many(connection, rows, True, moment, subjects)
    assert claimed == {due.id: 1}
    db.session.commit()
    states = {row.id: (row.state, row.subject) for row in all_rows()}
    assert states[due.id] == ("sent", f"subject {due.id}")
    assert states[later.id] == ("queued", None)
    assert states[done.id] == ("queued", None)  # the worker cancels it (cancel_if_item_done)


def test_a_permanent_refusal_cancels_the_same_items_next_email_to_that_address(
    ctx, world, mailbox, redis_queue, run_worker
):
    """Two emails of one item to one address in one job (a notification and a resend): the
    first is refused for good, the second is not sent, whether it was claimed with it or not."""
    other = make_contact(world.a.account, name="Other")
    db.session.commit()
    request = make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    redis_queue.empty()
    contact = world.a.contact.user
    queue_email(
        firm_id=world.a.firm.id,
        key=f"resend:{request.id}:test",
        purpose="resend",
        to=contact,
        item=request,
    )
    db.session.commit()
    redis_queue.empty()
    rows = all_rows()
    assert [r.to_email for r in rows] == [contact.email, other.user.email, contact.email]
    mailbox.script[contact.email] = ["550 5.1.1 No such user"]
    # The other contact's email first, so the refused pair can share a group.
    enqueue_delivery([rows[1].id, rows[0].id, rows[2].id])
    run_worker()
    states = {r.id: (r.state, r.last_error) for r in all_rows()}
    assert states[rows[1].id] == ("sent", None)
    assert states[rows[0].id][0] == "failed" and "550" in (states[rows[0].id][1] or "")
    assert states[rows[2].id] == ("cancelled", "address refused permanently")
    assert mailbox.to(contact.email) == []


@pytest.mark.parametrize(
    "value",
    [
        "client0-1@client.bench",
        "a.b+c@x-y.example",
        "o'brien@example.ie",
        "Zoë <zoe@example.com>",
        "Bench & Associés <no-reply@relance.test>",
        '"Quoted, Name" <q@example.com>',
        "a..b@example.com",
        "jose@exämple.com",
    ],
)
def test_addresses_are_written_as_before(value):
    """The header's fast path gives what Flask-Mail's `sanitize_address` gives; the envelope
    what smtplib's `sendmail` writes."""
    assert address(value) == sanitize_address(value, "utf-8")
    from email.utils import parseaddr

    assert sender_path(value) == smtplib.quoteaddr(parseaddr(value)[1] or value)
    assert recipient_path(value) == smtplib.quoteaddr(value)
