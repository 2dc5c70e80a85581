"""Proposals in a worker: seal a signed letter, re-enqueue lost seals, expire overdue ones."""

from __future__ import annotations

from dashboard.proposals import service, signed_pdf
from jobs.context import app_job


@app_job
def make_signed_pdf(proposal_id: int) -> bool:
    """Render, certify and seal the signed letter (a no-op once it is done)."""
    return signed_pdf.make_signed_pdf(proposal_id)


@app_job
def requeue_unsealed() -> int:
    return signed_pdf.requeue_unsealed()


@app_job
def expire_proposals() -> int:
    """Open proposals past their last day become Expired; their reminders stop."""
    return service.expire_due()
