"""What pipelines add to the engine: a stop condition (an item of an archived job gets no
reminder, R4), and how their events read in timelines and the audit trail."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from dashboard.audit.service import ACTION_LABELS
from dashboard.extensions import db
from dashboard.items.kinds import register_stop_condition
from dashboard.pipelines.models import AutomationRun, Job
from dashboard.pipelines.service import JOB_ARCHIVED
from dashboard.reminders.timeline import register_timeline_events


def archived_job_items(item_ids: list[int]) -> dict[int, str]:
    """Of these items, those created for a job that is archived now (one query)."""
    rows = db.session.scalars(
        select(AutomationRun.item_id)
        .join(Job, Job.id == AutomationRun.job_id)
        .where(AutomationRun.item_id.in_(item_ids), Job.archived_at.is_not(None))
    )
    return {item_id: JOB_ARCHIVED for item_id in rows}


register_stop_condition(archived_job_items)
register_timeline_events(
    {
        "reminders.stopped": _l("Reminders stopped"),
        "reminders.restarted": _l("Reminders restarted"),
    },
    stops={JOB_ARCHIVED: _l("its job was archived")},
)
ACTION_LABELS.update(
    {
        "job.created": _l("Created the job %(title)s in %(stage)s"),
        "job.moved": _l("Moved the job %(title)s from %(previous)s to %(stage)s"),
        "job.archived": _l("Archived the job %(title)s"),
        "job.unarchived": _l("Unarchived the job %(title)s"),
        "reminders.stopped": _l("Stopped the reminders of %(title)s (its job was archived)"),
        "reminders.restarted": _l("Restarted the reminders of %(title)s (its job is back)"),
    }
)
