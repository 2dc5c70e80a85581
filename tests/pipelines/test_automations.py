"""Automations (R8): a job entering a stage creates each item once, with the automation's
reminders; archiving the job stops them (R4)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.notify.models import OutboxEmail
from dashboard.pipelines import automations, service
from dashboard.pipelines.models import AutomationRun
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import ReminderSettings
from dashboard.reminders.sweep import sweep
from tests.pipelines.helpers import make_pipeline

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris
KINDS = {"chat", "invoice", "organizer", "proposal"}


def enter_documents(world, pipeline):
    job, runs = service.create_job(world.a.staff, world.a.account, pipeline, "2026 tax return")
    db.session.commit()
    assert runs == []  # "Intake" has no automation
    runs = service.move_job(world.a.staff, job, pipeline.stages[1])
    db.session.commit()
    return job, runs


def items_of(job):
    return {item.kind: item for item in service.job_items(job)}


def test_entering_a_stage_creates_the_four_items_once(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """Does each automation create its item once, even when its job runs twice?"""
    frozen_clock(MONDAY_10)
    pipeline = make_pipeline(world.a.firm)
    job, runs = enter_documents(world, pipeline)
    assert len(runs) == 4
    automations.enqueue_runs(runs)
    automations.enqueue_runs(runs)  # a retried job: the same runs again
    run_worker()
    items = items_of(job)
    assert set(items) == KINDS
    assert all(item.status == "pending" for item in items.values())
    states = db.session.scalars(select(AutomationRun.state).where(AutomationRun.job_id == job.id))
    assert sorted(states) == ["done"] * 4
    assert automations.run_all(runs) == {"done": 0, "skipped": 0, "failed": 0, "taken": 4}
    notified = mailbox.to(world.a.contact.user.email)
    assert len(notified) == 4  # one notification per item, nothing twice


def test_the_items_carry_the_automations_reminders(ctx, world, run_worker, frozen_clock):
    frozen_clock(MONDAY_10)
    pipeline = make_pipeline(world.a.firm, own=ReminderSettings(True, 5, 2))
    job, runs = enter_documents(world, pipeline)
    automations.run_all(runs)
    reminders = db.session.scalars(
        select(Reminder).where(Reminder.item_id.in_([i.id for i in service.job_items(job)]))
    ).all()
    assert len(reminders) == 4
    assert {(r.enabled, r.interval_days, r.max_count) for r in reminders} == {(True, 5, 2)}
    assert {r.origin for r in reminders} == {"automation"}


def test_an_inheriting_automation_takes_the_firm_default(ctx, world, frozen_clock):
    frozen_clock(MONDAY_10)
    world.a.firm.reminder_interval_days, world.a.firm.reminder_max_count = 6, 3
    pipeline = make_pipeline(world.a.firm, inherit=True)
    job, runs = enter_documents(world, pipeline)
    automations.run_all(runs)
    reminders = db.session.scalars(
        select(Reminder).where(Reminder.item_id.in_([i.id for i in service.job_items(job)]))
    ).all()
    assert {(r.interval_days, r.max_count, r.origin) for r in reminders} == {(6, 3, "firm")}


def test_moving_back_and_forth_creates_nothing_twice(ctx, world, frozen_clock):
    frozen_clock(MONDAY_10)
    pipeline = make_pipeline(world.a.firm)
    job, runs = enter_documents(world, pipeline)
    automations.run_all(runs)
    for stage in (pipeline.stages[0], pipeline.stages[1], pipeline.stages[2], pipeline.stages[1]):
        again = service.move_job(world.a.staff, job, stage)
        db.session.commit()
        assert again == []
    assert job.stage_entries == 6
    assert db.session.scalar(select(func.count(AutomationRun.id))) == 4
    assert len(service.job_items(job)) == 4


def _run_in_thread(app, run_ids, outcomes):
    with app.app_context():
        try:
            outcomes.append(automations.run_all(run_ids))
        finally:
            db.session.remove()


def test_two_workers_at_once_create_each_item_once(app, ctx, world, frozen_clock):
    """Two workers carrying out the same runs at the same moment: one item per automation."""
    frozen_clock(MONDAY_10)
    pipeline = make_pipeline(world.a.firm)
    job, runs = enter_documents(world, pipeline)
    db.session.remove()
    outcomes: list[dict] = []
    threads = [
        threading.Thread(target=_run_in_thread, args=(app, runs, outcomes)) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(outcome["done"] for outcome in outcomes) == 4
    assert db.session.scalar(select(func.count(ActionItem.id))) == 4
    assert (
        db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.purpose == "notification")
        )
        == 4
    )


def test_archiving_the_job_stops_all_four_and_unarchiving_sends_nothing(
    ctx, world, mailbox, run_worker, frozen_clock
):
    frozen_clock(MONDAY_10)
    pipeline = make_pipeline(world.a.firm, own=ReminderSettings(True, 2, 2))
    job, runs = enter_documents(world, pipeline)
    automations.run_all(runs)
    run_worker()
    before = len(mailbox.to(world.a.contact.user.email))
    assert service.archive_job(world.a.staff, job) == 4
    db.session.commit()
    reminders = db.session.scalars(select(Reminder)).all()
    assert {(r.next_at, r.stopped_reason) for r in reminders} == {(None, "job_archived")}
    frozen_clock(MONDAY_10 + timedelta(days=3))
    assert sweep().emails == 0
    run_worker()
    assert len(mailbox.to(world.a.contact.user.email)) == before
    service.unarchive_job(world.a.staff, job)
    db.session.commit()
    assert sweep().emails == 0  # nothing at once: the timer restarted from the unarchive
    run_worker()
    assert len(mailbox.to(world.a.contact.user.email)) == before
    reminders = db.session.scalars(select(Reminder)).all()
    assert all(r.next_at is not None and r.stopped_reason is None for r in reminders)
    # Unarchived on Thursday: two days later is Saturday, so they wait for Monday's window.
    frozen_clock(MONDAY_10 + timedelta(days=5, hours=1))
    assert sweep().reminders == 0
    frozen_clock(MONDAY_10 + timedelta(days=7, hours=1))
    assert sweep().reminders == 4


def test_the_sweep_stops_an_item_whose_job_is_archived(ctx, world, run_worker, frozen_clock):
    """Even a reminder still due (its job archived in the same moment) is not sent."""
    frozen_clock(MONDAY_10)
    pipeline = make_pipeline(world.a.firm, own=ReminderSettings(True, 2, 2))
    job, runs = enter_documents(world, pipeline)
    automations.run_all(runs)
    job.archived_at = MONDAY_10  # as if archived while the sweep had claimed the rows
    db.session.commit()
    frozen_clock(MONDAY_10 + timedelta(days=3))
    result = sweep()
    assert (result.reminders, result.stopped) == (0, 4)
    assert {r.stopped_reason for r in db.session.scalars(select(Reminder))} == {"job_archived"}


@pytest.mark.parametrize("problem", ["no_portal_contact", "template_missing", "job_archived"])
def test_a_run_that_cannot_create_says_why(ctx, world, frozen_clock, problem):
    frozen_clock(MONDAY_10)
    pipeline = make_pipeline(world.a.firm)
    job, runs = enter_documents(world, pipeline)
    if problem == "no_portal_contact":
        world.a.contact.portal_access = False
    elif problem == "template_missing":
        for automation in pipeline.stages[1].automations:
            automation.template_id = 999_999
    else:
        service.archive_job(world.a.staff, job)
    db.session.commit()
    assert automations.run_all(runs)["skipped"] == 4
    reasons = db.session.scalars(select(AutomationRun.reason)).all()
    assert reasons == [problem] * 4
    assert db.session.scalar(select(func.count(ActionItem.id))) == 0


def test_lost_runs_are_requeued(ctx, world, frozen_clock):
    frozen_clock(MONDAY_10)
    pipeline = make_pipeline(world.a.firm)
    _, runs = enter_documents(world, pipeline)  # never enqueued: as if Redis lost them
    assert automations.stale_runs() == []
    frozen_clock(MONDAY_10 + timedelta(minutes=3))
    assert sorted(automations.stale_runs()) == sorted(runs)
