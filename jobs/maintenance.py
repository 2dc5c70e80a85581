"""Housekeeping: remove upload staging folders that a crashed request left behind."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from flask import current_app

from jobs.context import app_job

#: A staging folder lives for the length of one request; anything older is an orphan.
STALE_AFTER_SECONDS = 6 * 3600


@app_job
def purge_stale_staging(now_epoch: float | None = None) -> int:
    """Delete staging folders older than STALE_AFTER_SECONDS; returns how many went."""
    root = Path(current_app.config["UPLOAD_DIR"]) / "staging"
    if not root.is_dir():
        return 0
    cutoff = (now_epoch if now_epoch is not None else time.time()) - STALE_AFTER_SECONDS
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
