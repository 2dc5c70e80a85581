"""One bad email must not stop everybody's (issue 12 §4)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from dashboard.chats import service as chats
from dashboard.chats.models import ChatThread
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.notify.models import InboxEntry, OutboxEmail
from dashboard.reminders.service import ReminderSettings
from tests.factories import make_approval, make_document, make_folder

POISON = "Receipts\r\nBcc: x@evil.example"


def test_a_subject_with_a_line_break_is_refused_at_input(ctx, world):
    with pytest.raises(chats.ChatError):
        chats.start_thread(
            world.a.staff, world.a.account, POISON, "Hi", ReminderSettings(False, 3, 1)
        )


def test_one_poisoned_row_among_fifty(ctx, world, mailbox, redis_queue, run_worker):
    """49 emails go out, the poisoned one fails with its reason, the job does not fail, and
    the sender is told."""
    folder = make_folder(world.a.account, "Bulk", "view")
    for n in range(49):
        make_approval(world.a.staff, make_document(folder, f"doc-{n:02}.pdf"))
    thread = chats.start_thread(
        world.a.staff,
        world.a.account,
        "Receipts",
        "Please send them.",
        ReminderSettings(False, 3, 1),
    )
    db.session.flush()
    # Data written before input was checked (or by another path): the header is poisoned.
    db.session.execute(update(ChatThread).where(ChatThread.id == thread.id).values(subject=POISON))
    db.session.execute(update(ActionItem).where(ActionItem.id == thread.id).values(title=POISON))
    db.session.commit()
    ids = list(db.session.scalars(select(OutboxEmail.id).order_by(OutboxEmail.id)))
    assert len(ids) == 50
    redis_queue.empty()
    from dashboard.notify.outbox import enqueue_delivery

    enqueue_delivery(ids)  # one job with all fifty
    run_worker()  # asserts that no job failed
    states = dict(db.session.execute(select(OutboxEmail.item_id, OutboxEmail.state)).all())
    assert list(states.values()).count("sent") == 49
    poisoned = db.session.scalar(select(OutboxEmail).where(OutboxEmail.item_id == thread.id))
    assert poisoned.state == "failed" and "Header" in (poisoned.last_error or "")
    assert len(mailbox.messages) == 49
    assert all("evil.example" not in str(m) for m in mailbox.messages)
    told = db.session.scalar(select(InboxEntry).where(InboxEntry.topic == "delivery_failed"))
    assert told is not None and told.user_id == world.a.staff.id
