"""Delivery in batches (issue 12 §1): jobs of a bounded size, one failure among many, an item
completed while its batch goes out."""

from __future__ import annotations

import threading

from sqlalchemy import select

from dashboard.approvals.models import ApprovalRequest
from dashboard.approvals.service import decide
from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from dashboard.notify.outbox import enqueue_delivery
from jobs import delivery
from tests.factories import make_approval, make_contact, make_document, make_folder


def all_rows() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def test_ids_go_in_jobs_of_the_batch_size_and_each_email_once(
    app, ctx, world, mailbox, redis_queue, run_worker, monkeypatch
):
    monkeypatch.setitem(app.config, "DELIVERY_BATCH_SIZE", 4)
    folder = make_folder(world.a.account, "Bulk", "view")
    for n in range(5):
        make_approval(world.a.staff, make_document(folder, f"doc-{n}.pdf"), enabled=False)
    redis_queue.empty()
    ids = [row.id for row in all_rows()]
    assert len(ids) == 5
    assert enqueue_delivery(ids + ids)  # the same ids twice, as a re-enqueue would
    assert [len(job.args[0]) for job in redis_queue.jobs] == [4, 4, 2]
    run_worker()
    assert redis_queue.count == 0
    assert [row.state for row in all_rows()] == ["sent"] * 5
    assert len(mailbox.messages) == 5  # the second claim of each row found it sent


def test_one_refused_recipient_does_not_stop_the_others(
    ctx, world, mailbox, redis_queue, run_worker
):
    """The server refuses one address (550, each time) and delays another (451, once) in the
    middle of a batch: the others go once each, the refused ones failed (the address marked),
    the delayed one waits for its backoff."""
    refused = make_contact(world.a.account, name="Refused")
    delayed = make_contact(world.a.account, name="Delayed")
    db.session.commit()
    mailbox.script[refused.user.email] = ["550 5.1.1 No such user"] * 3
    mailbox.script[delayed.user.email] = ["451 4.3.0 Try again later"]
    folder = make_folder(world.a.account, "Bulk", "view")
    for n in range(3):
        make_approval(world.a.staff, make_document(folder, f"doc-{n}.pdf"), enabled=False)
    run_worker()
    rows = all_rows()
    by_address: dict[str, list[str]] = {}
    for row in rows:
        by_address.setdefault(row.to_email, []).append(row.state)
    assert by_address[world.a.contact.user.email] == ["sent"] * 3
    assert by_address[refused.user.email] == ["failed"] * 3
    assert by_address[delayed.user.email] == ["queued", "sent", "sent"]
    assert len(mailbox.to(world.a.contact.user.email)) == 3
    assert mailbox.to(refused.user.email) == []
    assert len(mailbox.to(delayed.user.email)) == 2
    first_delayed = next(r for r in rows if r.to_email == delayed.user.email)
    assert first_delayed.attempts == 1 and first_delayed.next_attempt_at is not None
    assert all(r.attempts == 1 for r in rows if r.state == "sent")
    db.session.refresh(refused.user)
    assert refused.user.email_bounced_at is not None


def test_an_item_completed_mid_batch_sends_nothing_more(
    app, ctx, world, mailbox, redis_queue, run_worker, monkeypatch
):
    """Two items, three recipients each, one job: the client approves the first item right
    after its first email went; its two other emails are cancelled, the other item's go."""
    for n in range(2):
        make_contact(world.a.account, name=f"Contact {n}")
    db.session.commit()
    folder = make_folder(world.a.account, "Bulk", "view")
    first = make_approval(world.a.staff, make_document(folder, "first.pdf"), enabled=False)
    second = make_approval(world.a.staff, make_document(folder, "second.pdf"), enabled=False)
    first_id, client_id = first.id, world.a.contact.user_id
    redis_queue.empty()
    ids = [row.id for row in all_rows()]
    real_commit, commits = delivery.Group.commit, []

    def approve() -> None:
        with app.app_context():
            request = db.session.get(ApprovalRequest, first_id)
            decide(db.session.get(User, client_id), request, True, [], "")
            db.session.commit()

    def commit(self) -> None:
        real_commit(self)
        commits.append(self)
        if len(commits) == 1:  # the first email is sent and committed, nothing is held
            thread = threading.Thread(target=approve)
            thread.start()
            thread.join(10)
            assert not thread.is_alive()

    monkeypatch.setattr(delivery, "GROUP_SIZE", 1)  # a commit after each email
    monkeypatch.setattr(delivery.Group, "commit", commit)
    enqueue_delivery(ids)
    run_worker()
    states = [(row.item_id, row.state) for row in all_rows() if row.purpose == "notification"]
    assert (
        states == [(first_id, "sent")] + [(first_id, "cancelled")] * 2 + [(second.id, "sent")] * 3
    )
    cancelled = [r for r in all_rows() if r.state == "cancelled"]
    assert {r.last_error for r in cancelled} == {"item approved"}  # by the completion
    assert len([m for m in mailbox.messages if m["Subject"] == "Please review first.pdf"]) == 1
    assert len([m for m in mailbox.messages if m["Subject"] == "Please review second.pdf"]) == 3


def test_rows_of_an_item_no_longer_pending_are_cancelled_by_the_worker(
    ctx, world, mailbox, redis_queue, run_worker
):
    """Rows still queued for an item that is no longer pending (written by a path that did
    not cancel them): the claim refuses them, the worker cancels them, nothing is sent."""
    from sqlalchemy import update

    from dashboard.items.models import ActionItem

    request = make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    db.session.execute(
        update(ActionItem).where(ActionItem.id == request.id).values(status="completed")
    )
    db.session.commit()
    run_worker()
    rows = all_rows()
    assert [(r.state, r.last_error) for r in rows] == [("cancelled", "item no longer pending")]
    assert mailbox.messages == []
