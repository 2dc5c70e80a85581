"""What the board, the list and a job's page show, each in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from dashboard.accounts.models import Account
from dashboard.audit.models import AuditEvent
from dashboard.extensions import db
from dashboard.items.kinds import load_items
from dashboard.items.models import ActionItem
from dashboard.pipelines.models import AutomationRun, Job, Pipeline, PipelineStage
from dashboard.reminders.models import Reminder

#: Cards shown per column; the rest are in the list view.
CARDS_PER_COLUMN = 50


@dataclass
class Column:
    stage: PipelineStage
    jobs: list[Job]
    total: int

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.jobs))


@dataclass
class Summary:
    """What a job's automations did: items created, runs waiting, problems (with why)."""

    done: int = 0
    queued: int = 0
    problems: list[AutomationRun] = field(default_factory=list)


def with_names(statement: Select) -> Select:
    """The jobs with their account, assignee and stage loaded in the same query."""
    return statement.options(
        joinedload(Job.account), joinedload(Job.assignee), joinedload(Job.stage)
    )


def jobs_select(pipeline: Pipeline, filters: dict) -> Select:
    """The pipeline's jobs (live, or archived for the list), filtered by assignee."""
    statement = select(Job).where(Job.pipeline_id == pipeline.id, Job.firm_id == pipeline.firm_id)
    if filters.get("archived"):
        statement = statement.where(Job.archived_at.is_not(None))
    else:
        statement = statement.where(Job.archived_at.is_(None))
    assignee = filters.get("assignee")
    if assignee == "none":
        statement = statement.where(Job.assignee_id.is_(None))
    elif assignee and str(assignee).isdigit():
        statement = statement.where(Job.assignee_id == int(assignee))
    return statement


def columns(pipeline: Pipeline, jobs: Select) -> list[Column]:
    """Every stage with its first cards (one query for the cards, one for the counts)."""
    ranked = jobs.add_columns(
        func.row_number()
        .over(partition_by=Job.stage_id, order_by=(Job.position, Job.id))
        .label("rank")
    ).subquery()
    job_alias = aliased(Job, ranked)
    cards = db.session.scalars(
        select(job_alias)
        .options(joinedload(job_alias.account), joinedload(job_alias.assignee))
        .where(ranked.c.rank <= CARDS_PER_COLUMN)
        .order_by(ranked.c.stage_id, ranked.c.position, ranked.c.id)
    ).unique()
    counts_query = jobs.with_only_columns(Job.stage_id, func.count(Job.id)).group_by(Job.stage_id)
    counts = dict(db.session.execute(counts_query.order_by(None)).all())
    by_stage: dict[int, list[Job]] = {}
    for job in cards:
        by_stage.setdefault(job.stage_id, []).append(job)
    summary = summaries([job.id for stage_jobs in by_stage.values() for job in stage_jobs])
    for stage_jobs in by_stage.values():
        for job in stage_jobs:
            job.summary = summary.get(job.id, Summary())  # type: ignore[attr-defined]
    stages = db.session.scalars(
        select(PipelineStage)
        .options(selectinload(PipelineStage.automations))
        .where(PipelineStage.pipeline_id == pipeline.id)
        .order_by(PipelineStage.position, PipelineStage.id)
    )
    return [Column(stage, by_stage.get(stage.id, []), counts.get(stage.id, 0)) for stage in stages]


def summaries(job_ids: list[int]) -> dict[int, Summary]:
    """Per job: items created, runs waiting, and the runs that created nothing (one query)."""
    result: dict[int, Summary] = {job_id: Summary() for job_id in job_ids}
    if not job_ids:
        return result
    runs = db.session.scalars(select(AutomationRun).where(AutomationRun.job_id.in_(job_ids)))
    for run in runs:
        summary = result[run.job_id]
        if run.state == "done":
            summary.done += 1
        elif run.state == "queued":
            summary.queued += 1
        else:
            summary.problems.append(run)
    return result


def names_of(jobs: list[Job]) -> dict[int, str]:
    """Pipeline and stage names for a list of jobs of any pipelines (one query)."""
    stage_ids = {job.stage_id for job in jobs}
    if not stage_ids:
        return {}
    rows = db.session.execute(
        select(PipelineStage.id, Pipeline.name, PipelineStage.name)
        .join(Pipeline, Pipeline.id == PipelineStage.pipeline_id)
        .where(PipelineStage.id.in_(stage_ids))
    )
    return {stage_id: f"{pipeline} · {stage}" for stage_id, pipeline, stage in rows}


def job_details(job: Job) -> dict:
    """A job's page: its pipeline, runs (with their items and kinds), history."""
    runs = list(
        db.session.scalars(
            select(AutomationRun).where(AutomationRun.job_id == job.id).order_by(AutomationRun.id)
        )
    )
    items = {
        item.id: (item, kind)
        for item, kind in load_items(
            list(
                db.session.scalars(
                    select(ActionItem).where(
                        ActionItem.id.in_({run.item_id for run in runs if run.item_id})
                    )
                )
            )
        )
    }
    reminders = {
        reminder.item_id: reminder
        for reminder in db.session.scalars(
            select(Reminder).where(Reminder.item_id.in_(list(items)))
        )
    }
    history = list(
        db.session.scalars(
            select(AuditEvent)
            .options(joinedload(AuditEvent.actor))
            .where(AuditEvent.subject_type == "job", AuditEvent.subject_id == job.id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(50)
        )
    )
    account = db.session.get(Account, job.account_id)
    return {
        "job": job,
        "account": account,
        "pipeline": job.pipeline,
        "runs": runs,
        "items": items,
        "reminders": reminders,
        "history": history,
        "stage_names": {stage.id: stage.name for stage in job.pipeline.stages},
    }
