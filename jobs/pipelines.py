"""Pipelines in a worker: carry out automation runs, re-enqueue runs whose job was lost."""

from __future__ import annotations

from dashboard.pipelines import automations
from jobs.context import app_job


@app_job
def run_automations(run_ids: list[int]) -> dict[str, int]:
    """Create the items of these runs (each at most once, whoever else runs them)."""
    return automations.run_all(run_ids)


@app_job
def requeue_automation_runs() -> int:
    """Runs left queued (Redis flushed, a worker killed): enqueue them again."""
    ids = automations.stale_runs()
    automations.enqueue_runs(ids)
    return len(ids)
