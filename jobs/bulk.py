"""Bulk messaging (C2): create the chat threads of one bulk send, in committed chunks."""

from __future__ import annotations

from dashboard.chats.bulk import fail_bulk_send, process_bulk_send
from jobs.context import app_job


@app_job
def run_bulk_send(bulk_id: int) -> dict[str, int | str]:
    """Create the threads of bulk send `bulk_id`; running it again creates nothing more."""
    try:
        bulk = process_bulk_send(bulk_id)
    except Exception as error:
        fail_bulk_send(bulk_id, f"{type(error).__name__}: {error}")
        raise
    if bulk is None:
        return {"state": "missing"}
    return {"state": bulk.state, "created": bulk.created_count, "skipped": bulk.skipped_count}
