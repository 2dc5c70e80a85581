"""Pipelines: set-up (stages, automations), jobs on the board (create, move, assign, archive).

A job entering a stage writes one AutomationRun per automation of that stage in the same
transaction (unique per job and automation, so moving back and forth creates nothing twice);
after the commit the caller enqueues them (`enqueue_runs`), and a worker carries them out
(`automations.carry_out`). Services flush and leave the commit to the caller.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from dashboard.accounts.models import Account
from dashboard.audit.service import record_event
from dashboard.auth.models import Firm, User
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.pipelines.models import (
    AUTOMATION_ACTIONS,
    AutomationRun,
    Job,
    Pipeline,
    PipelineStage,
    StageAutomation,
)
from dashboard.reminders.service import ReminderSettings, restart_reminders, stop_reminders

#: The stop reason an archived job gives its items' reminders (R4).
JOB_ARCHIVED = "job_archived"
MAX_STAGES = 20
#: How an item's engine status reads on a job's page.
ITEM_STATUS_LABELS = {
    "draft": _l("Draft"),
    "pending": _l("Waiting for the client"),
    "completed": _l("Done"),
    "cancelled": _l("Cancelled"),
}


class PipelineError(ValueError):
    """A refused change, with a message for the person who asked."""


def _name(value: str | None, limit: int = 120) -> str:
    name = " ".join((value or "").split())[:limit]
    if not name:
        raise PipelineError(str(_l("Give it a name.")))
    return name


# --- set-up -------------------------------------------------------------------------------


def create_pipeline(firm_id: int, name: str, stage_names: list[str]) -> Pipeline:
    """A pipeline with its first stages (at least one)."""
    name = _name(name)
    if db.session.scalar(
        select(Pipeline.id).where(Pipeline.firm_id == firm_id, Pipeline.name == name)
    ):
        raise PipelineError(str(_l("A pipeline with this name exists already.")))
    names = [" ".join(s.split())[:120] for s in stage_names if s and s.strip()][:MAX_STAGES]
    if not names:
        raise PipelineError(str(_l("Add at least one stage.")))
    pipeline = Pipeline(firm_id=firm_id, name=name)
    db.session.add(pipeline)
    db.session.flush()
    for position, stage_name in enumerate(names):
        db.session.add(
            PipelineStage(
                firm_id=firm_id, pipeline_id=pipeline.id, name=stage_name, position=position
            )
        )
    db.session.flush()
    return pipeline


def rename_pipeline(pipeline: Pipeline, name: str) -> None:
    name = _name(name)
    taken = db.session.scalar(
        select(Pipeline.id).where(
            Pipeline.firm_id == pipeline.firm_id, Pipeline.name == name, Pipeline.id != pipeline.id
        )
    )
    if taken:
        raise PipelineError(str(_l("A pipeline with this name exists already.")))
    pipeline.name = name
    db.session.flush()


def add_stage(pipeline: Pipeline, name: str) -> PipelineStage:
    if len(pipeline.stages) >= MAX_STAGES:
        raise PipelineError(str(_l("A pipeline has at most 20 stages.")))
    stage = PipelineStage(
        firm_id=pipeline.firm_id,
        pipeline_id=pipeline.id,
        name=_name(name),
        position=len(pipeline.stages),
    )
    db.session.add(stage)
    db.session.flush()
    db.session.expire(pipeline, ["stages"])
    return stage


def rename_stage(stage: PipelineStage, name: str) -> None:
    stage.name = _name(name)
    db.session.flush()


def move_stage(stage: PipelineStage, offset: int) -> None:
    """Move a column one place left (-1) or right (+1)."""
    stages = list(stage.pipeline.stages)
    index = stages.index(stage)
    target = index + offset
    if not 0 <= target < len(stages):
        return
    stages[index], stages[target] = stages[target], stages[index]
    for position, each in enumerate(stages):
        each.position = position
    db.session.flush()


def live_jobs_in(stage: PipelineStage) -> int:
    return (
        db.session.scalar(
            select(func.count(Job.id)).where(Job.stage_id == stage.id, Job.archived_at.is_(None))
        )
        or 0
    )


def delete_stage(stage: PipelineStage) -> None:
    """Only an empty stage goes (archived jobs move to the first remaining one)."""
    pipeline = stage.pipeline
    if len(pipeline.stages) <= 1:
        raise PipelineError(str(_l("A pipeline keeps at least one stage.")))
    if live_jobs_in(stage):
        raise PipelineError(str(_l("Move the jobs out of this stage first.")))
    remaining = [s for s in pipeline.stages if s.id != stage.id]
    db.session.execute(update(Job).where(Job.stage_id == stage.id).values(stage_id=remaining[0].id))
    db.session.execute(
        update(AutomationRun)
        .where(AutomationRun.stage_id == stage.id)
        .values(stage_id=remaining[0].id)
    )
    for automation in list(stage.automations):
        db.session.delete(automation)
    db.session.delete(stage)
    db.session.flush()
    for position, each in enumerate(remaining):
        each.position = position
    db.session.expire(pipeline, ["stages"])
    db.session.flush()


def save_automation(
    stage: PipelineStage,
    automation: StageAutomation | None,
    action: str,
    template_id: int | None,
    inherit: bool,
    settings: ReminderSettings,
) -> StageAutomation:
    """Add or change an automation: its action, template and Reminders (own or the firm's)."""
    from dashboard.pipelines.automations import template_choices

    if action not in AUTOMATION_ACTIONS:
        raise PipelineError(str(_l("Choose what the automation does.")))
    if template_id not in {choice_id for choice_id, _ in template_choices(stage.firm_id, action)}:
        raise PipelineError(str(_l("Select a template.")))
    if automation is None:
        automation = StageAutomation(
            firm_id=stage.firm_id, stage_id=stage.id, position=len(stage.automations)
        )
        db.session.add(automation)
    automation.action, automation.template_id = action, template_id
    automation.reminders_inherit = inherit
    automation.reminders_enabled = settings.enabled
    automation.reminder_interval_days = settings.interval_days
    automation.reminder_max_count = settings.max_count
    db.session.flush()
    db.session.expire(stage, ["automations"])
    return automation


def delete_automation(automation: StageAutomation) -> None:
    db.session.delete(automation)
    db.session.flush()


# --- jobs ---------------------------------------------------------------------------------


def _check_assignee(firm_id: int, assignee_id: int | None) -> int | None:
    if assignee_id is None:
        return None
    user = db.session.get(User, assignee_id)
    if user is None or user.firm_id != firm_id or not user.is_staff:
        raise PipelineError(str(_l("Choose a member of the firm.")))
    return user.id


def create_job(
    actor: User,
    account: Account,
    pipeline: Pipeline,
    title: str,
    assignee_id: int | None = None,
    stage: PipelineStage | None = None,
) -> tuple[Job, list[int]]:
    """A job on top of its first (or chosen) stage; returns it and the runs to enqueue."""
    if account.firm_id != pipeline.firm_id:
        raise PipelineError(str(_l("Choose a client of the firm.")))
    stage = stage or pipeline.stages[0]
    if stage.pipeline_id != pipeline.id:
        raise PipelineError(str(_l("Choose a stage of this pipeline.")))
    job = Job(
        firm_id=pipeline.firm_id,
        account_id=account.id,
        pipeline_id=pipeline.id,
        stage_id=stage.id,
        title=_name(title, 200),
        assignee_id=_check_assignee(pipeline.firm_id, assignee_id),
        created_by_id=actor.id,
        stage_entries=1,
        stage_entered_at=now(),
        position=0,
    )
    _make_room(stage.id, 0)
    db.session.add(job)
    db.session.flush()
    _record(job, actor, "job.created", stage=stage.name)
    return job, _write_runs(job, stage, actor)


def _place(job: Job, stage_id: int, index: int) -> None:
    """Put the job at `index` among the column's other live jobs, in a constant number of
    statements: the job now at that index and those below it move down one place."""
    others = (
        select(Job.position)
        .where(Job.stage_id == stage_id, Job.archived_at.is_(None), Job.id != job.id)
        .order_by(Job.position, Job.id)
    )
    at_index = db.session.scalar(others.offset(index).limit(1))
    if at_index is None:  # past the end: under the last one
        last = db.session.scalar(
            select(func.max(Job.position)).where(
                Job.stage_id == stage_id, Job.archived_at.is_(None), Job.id != job.id
            )
        )
        target = 0 if last is None else last + 1
    else:
        target = at_index
        _make_room(stage_id, target, leaving_job=job.id)
    db.session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(position=target)
        .execution_options(synchronize_session=False)
    )


def _make_room(stage_id: int, position: int, leaving_job: int | None = None) -> None:
    """Shift the column's jobs from `position` down by one."""
    statement = update(Job).where(
        Job.stage_id == stage_id, Job.archived_at.is_(None), Job.position >= position
    )
    if leaving_job is not None:
        statement = statement.where(Job.id != leaving_job)
    db.session.execute(
        statement.values(position=Job.position + 1).execution_options(synchronize_session=False)
    )


def move_job(actor: User, job: Job, stage: PipelineStage, position: int | None = None) -> list[int]:
    """Put the job in `stage` at `position` (top when None); entering a new stage writes
    the runs of its automations that have not run for this job. Returns their ids."""
    if job.archived_at is not None:
        raise PipelineError(str(_l("Unarchive the job to move it.")))
    if stage.pipeline_id != job.pipeline_id:
        raise PipelineError(str(_l("Choose a stage of this pipeline.")))
    entering = stage.id != job.stage_id
    _place(job, stage.id, max(0, int(position or 0)))
    if not entering:
        db.session.refresh(job)
        return []
    previous = job.stage.name
    job.stage_id, job.stage_entered_at = stage.id, now()
    job.stage_entries += 1
    db.session.flush()
    db.session.refresh(job)
    _record(job, actor, "job.moved", stage=stage.name, previous=previous)
    return _write_runs(job, stage, actor)


def _write_runs(job: Job, stage: PipelineStage, actor: User) -> list[int]:
    """One run per automation of the stage not run for this job yet (INSERT … ON CONFLICT
    DO NOTHING on the unique (job, automation): two moves at once write one)."""
    automations = list(
        db.session.scalars(
            select(StageAutomation)
            .where(StageAutomation.stage_id == stage.id)
            .order_by(StageAutomation.position, StageAutomation.id)
        )
    )
    if not automations:
        return []
    rows = [
        {
            "firm_id": job.firm_id,
            "job_id": job.id,
            "automation_id": automation.id,
            "action": automation.action,
            "stage_id": stage.id,
            "stage_entry": job.stage_entries,
            "actor_id": actor.id,
            "state": "queued",
            "created_at": now(),
        }
        for automation in automations
    ]
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(AutomationRun)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["job_id", "automation_id"])
    )
    return list(
        db.session.scalars(
            select(AutomationRun.id).where(
                AutomationRun.job_id == job.id,
                AutomationRun.stage_entry == job.stage_entries,
                AutomationRun.state == "queued",
            )
        )
    )


def assign_job(actor: User, job: Job, assignee_id: int | None) -> None:
    job.assignee_id = _check_assignee(job.firm_id, assignee_id)
    db.session.flush()


def rename_job(actor: User, job: Job, title: str) -> None:
    job.title = _name(title, 200)
    db.session.flush()


def job_items(job: Job) -> list[ActionItem]:
    """The items the job's automations created, oldest first."""
    return list(
        db.session.scalars(
            select(ActionItem)
            .join(AutomationRun, AutomationRun.item_id == ActionItem.id)
            .where(AutomationRun.job_id == job.id)
            .order_by(ActionItem.id)
        )
    )


def archive_job(actor: User, job: Job) -> int:
    """Off the board; the reminders of its pending items stop (R4). Returns how many."""
    if job.archived_at is not None:
        return 0
    job.archived_at = now()
    stopped = sum(stop_reminders(actor, item, JOB_ARCHIVED) for item in job_items(job))
    _record(job, actor, "job.archived", stopped=stopped)
    db.session.flush()
    return stopped


def unarchive_job(actor: User, job: Job) -> None:
    """Back on the board, on top of its stage. Reminders stopped by the archive go on from
    now (their timer restarts; nothing is sent at once); nothing runs again."""
    if job.archived_at is None:
        return
    job.archived_at = None
    db.session.flush()
    _make_room(job.stage_id, 0, leaving_job=job.id)
    job.position = 0
    for item in job_items(job):
        restart_reminders(actor, item, JOB_ARCHIVED)
    _record(job, actor, "job.unarchived")
    db.session.flush()


def _record(job: Job, actor: User | None, action: str, **details: Any) -> None:
    record_event(
        firm_id=job.firm_id,
        account_id=job.account_id,
        actor=actor,
        subject_type="job",
        subject_id=job.id,
        action=action,
        title=job.title,
        **details,
    )


def default_pipeline(firm: Firm) -> Pipeline | None:
    return db.session.scalar(
        select(Pipeline).where(Pipeline.firm_id == firm.id).order_by(Pipeline.id).limit(1)
    )
