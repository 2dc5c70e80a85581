"""Pipelines with ordered stages; jobs (an account's piece of work) move through them, and a
stage's automations create action items when a job enters it (R8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.accounts.models import Account
from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db
from dashboard.reminders.cascade import InheritableReminders

#: What an automation does when a job enters its stage.
AUTOMATION_ACTIONS = ("send_message", "create_invoice", "create_organizer", "send_proposal")
#: queued (written with the move, waiting for a worker) → done (item created) or skipped (why
#: not: no portal contact, template missing, job archived) or failed (an unexpected error).
RUN_STATES = ("queued", "done", "skipped", "failed")


class Pipeline(db.Model):
    __tablename__ = "pipeline"
    __table_args__ = (UniqueConstraint("firm_id", "name", name="uq_pipeline_firm_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    stages: Mapped[list[PipelineStage]] = relationship(
        back_populates="pipeline", order_by="PipelineStage.position"
    )


class PipelineStage(db.Model):
    __tablename__ = "pipeline_stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipeline.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    #: Order of the columns on the board (0 first).
    position: Mapped[int] = mapped_column(default=0)

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")
    automations: Mapped[list[StageAutomation]] = relationship(
        back_populates="stage", order_by="StageAutomation.position"
    )


class StageAutomation(InheritableReminders, db.Model):
    """One thing done when a job enters the stage, from a template, with its Reminders (B8:
    the firm's defaults unless it sets its own)."""

    __tablename__ = "stage_automation"
    __table_args__ = (
        CheckConstraint(
            "action IN ('send_message', 'create_invoice', 'create_organizer', 'send_proposal')",
            name="action",
        ),
        CheckConstraint("reminder_interval_days BETWEEN 1 AND 365", name="interval_days"),
        CheckConstraint("reminder_max_count BETWEEN 0 AND 10", name="max_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stage.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    #: The chosen template of the action's kind (chat, invoice, organizer or proposal
    #: template). No foreign key: it points into one of four tables, and a template deleted
    #: later makes the run say so ("template missing") rather than fail.
    template_id: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    stage: Mapped[PipelineStage] = relationship(back_populates="automations")


class Job(db.Model):
    """An account's piece of work ("2026 tax return") on a pipeline's board."""

    __tablename__ = "pipeline_job"
    __table_args__ = (
        # The board: a pipeline's live jobs by column and order.
        Index(
            "ix_pipeline_job_board",
            "pipeline_id",
            "stage_id",
            "position",
            postgresql_where=text("archived_at IS NULL"),
            sqlite_where=text("archived_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipeline.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stage.id"))
    title: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Order inside its column (0 on top).
    position: Mapped[int] = mapped_column(default=0)
    #: How many times the job entered a stage (its creation is the first entry).
    stage_entries: Mapped[int] = mapped_column(default=1)
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    #: Archived jobs leave the board, and their items' reminders stop (R4).
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship()
    pipeline: Mapped[Pipeline] = relationship()
    stage: Mapped[PipelineStage] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])


class AutomationRun(db.Model):
    """One automation for one job: written in the move's transaction, carried out by a worker.

    Unique per (job, automation): two workers, a retried job or a job moved back and forth
    through the stage create the item once. The worker takes the row with a conditional
    UPDATE (queued → done) in the transaction that creates the item, so a crash before the
    commit leaves it queued for the next try and nothing half-made.
    """

    __tablename__ = "automation_run"
    __table_args__ = (
        UniqueConstraint("job_id", "automation_id", name="uq_automation_run_job_automation"),
        CheckConstraint("state IN ('queued', 'done', 'skipped', 'failed')", name="state"),
        Index(
            "ix_automation_run_queued",
            "created_at",
            postgresql_where=text("state = 'queued'"),
            sqlite_where=text("state = 'queued'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("pipeline_job.id"), index=True)
    automation_id: Mapped[int | None] = mapped_column(
        ForeignKey("stage_automation.id", ondelete="SET NULL")
    )
    #: Copied from the automation, so the job's history reads right after it is deleted.
    action: Mapped[str] = mapped_column(String(32))
    stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stage.id"))
    #: Which entry into a stage (Job.stage_entries at the time) wrote this run.
    stage_entry: Mapped[int] = mapped_column(default=1)
    #: Who moved the job: the created item is sent in their name.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    #: The created action item (a chat, an invoice, an organizer, a proposal).
    item_id: Mapped[int | None] = mapped_column(ForeignKey("action_item.id"), index=True)
    #: Why nothing was created: no_portal_contact, template_missing, job_archived, error.
    reason: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    job: Mapped[Job] = relationship()
