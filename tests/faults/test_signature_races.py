"""Signature requests racing the engine: cancels and signatures while the sweep writes reminders.

Can a reminder reach a signer after the request was cancelled, or after that signer signed?
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.sweep import sweep
from dashboard.signatures import service
from dashboard.signatures.models import SignatureRequest
from tests.factories import make_folder
from tests.signatures.helpers import add_pdf, make_request, sign_as

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _requests(world, count: int) -> list[int]:
    folder = make_folder(world.a.account, "Bulk", "view")
    return [
        make_request(
            world.a.staff,
            add_pdf(folder, world.a.staff, f"letter-{n:03}.pdf"),
            [world.a.contact.user],
        ).id
        for n in range(count)
    ]


def _reminder_rows(ids) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.purpose == "reminder", OutboxEmail.item_id.in_(ids))
            .order_by(OutboxEmail.id)
        )
    )


def _race(app, moment, act, chosen):
    """Run the sweep (small batches) while another thread does `act(id)` on `chosen`."""
    outcome: dict = {}
    errors: list[BaseException] = []

    def run_sweep() -> None:
        with app.app_context():
            outcome["result"] = sweep(moment, batch_size=5)

    def run_acts() -> None:
        try:
            with app.app_context():
                sweeper.start()
                for item_id in chosen:
                    act(item_id)
                    db.session.commit()
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    sweeper = threading.Thread(target=run_sweep)
    actor = threading.Thread(target=run_acts)
    actor.start()
    actor.join(60)
    sweeper.join(60)
    assert not errors, errors
    assert "result" in outcome, "the sweep failed"


def test_cancelling_while_the_sweep_writes_reminders(
    app, ctx, world, sink, run_worker, frozen_clock
):
    """Staff cancel half of the requests while the sweep writes their reminders: no reminder
    reaches a cancelled request, every other one gets its reminder once."""
    frozen_clock(MONDAY_10)
    world.a.firm.digest_enabled = False  # one email per reminder (digests: test_digest_faults)
    ids = _requests(world, 40)
    run_worker()
    sink.reset()
    moment = MONDAY_10 + timedelta(days=3, hours=1)
    frozen_clock(moment)
    cancelled = ids[::2]
    staff_id = world.a.staff.id

    def cancel(item_id: int) -> None:
        request = db.session.get(SignatureRequest, item_id)
        assert service.cancel_request(db.session.get(User, staff_id), request)

    _race(app, moment, cancel, cancelled[::-1])
    run_worker()
    item_of = {row.message_id: row.item_id for row in _reminder_rows(ids)}
    received = [
        item_of[a.message_id]
        for a in sink.to(world.a.contact.user.email)
        if a.message_id in item_of
    ]
    assert sorted(received) == sorted(set(ids) - set(cancelled))
    states = {row.item_id: row.state for row in _reminder_rows(cancelled)}
    assert set(states.values()) <= {"cancelled"}


def test_signing_while_the_sweep_writes_reminders(app, ctx, world, sink, run_worker, frozen_clock):
    """Signers sign half of the requests while the sweep writes reminders: none reaches a
    request its signer signed."""
    frozen_clock(MONDAY_10)
    world.a.firm.digest_enabled = False  # one email per reminder (digests: test_digest_faults)
    ids = _requests(world, 40)
    run_worker()
    sink.reset()
    moment = MONDAY_10 + timedelta(days=3, hours=1)
    frozen_clock(moment)
    signed = ids[1::2]
    client_id = world.a.contact.user_id

    def sign(item_id: int) -> None:
        sign_as(db.session.get(SignatureRequest, item_id), db.session.get(User, client_id))

    _race(app, moment, sign, signed)
    run_worker()
    item_of = {row.message_id: row.item_id for row in _reminder_rows(ids)}
    received = [
        item_of[a.message_id]
        for a in sink.to(world.a.contact.user.email)
        if a.message_id in item_of
    ]
    assert sorted(received) == sorted(set(ids) - set(signed))
