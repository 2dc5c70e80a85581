"""The periodic sweep job (rq cron, every 30 seconds)."""

from __future__ import annotations

from dashboard.chats.bulk import requeue_stalled
from dashboard.reminders.sweep import sweep
from jobs.context import app_job


@app_job
def run_sweep() -> dict[str, int]:
    """Due reminders and lost emails (the engine), then bulk sends whose job was lost."""
    result = sweep()
    return {
        "reminders": result.reminders,
        "emails": result.emails,
        "stopped": result.stopped,
        "requeued": result.requeued,
        "paused": result.paused,
        "pulled": result.pulled,
        "digests": result.digests,
        "bulk_requeued": requeue_stalled(),
    }
