"""Sealing signed copies in a worker, and re-enqueueing copies a lost job left waiting."""

from __future__ import annotations

from dashboard.signatures import signed_copy
from jobs.context import app_job


@app_job
def make_signed_copy(request_id: int) -> bool:
    """Stamp, certify and seal the request's signed copy (a no-op once it is done)."""
    return signed_copy.make_signed_copy(request_id)


@app_job
def requeue_unsealed() -> int:
    """Enqueue again every signed copy still waiting after a couple of minutes."""
    return signed_copy.requeue_unsealed()
