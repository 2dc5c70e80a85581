"""The housekeeping job, run by a real RQ worker on a real Redis."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from jobs.maintenance import STALE_AFTER_SECONDS, purge_stale_staging


@pytest.fixture()
def redis_connection(app):
    connection = Redis.from_url(app.config["REDIS_URL"])
    try:
        connection.ping()
    except Exception as error:  # pragma: no cover - make test always starts Redis
        pytest.fail(f"Redis is not running at {app.config['REDIS_URL']}: {error}")
    yield connection
    connection.close()


def test_worker_purges_only_stale_staging_folders(app, ctx, redis_connection):
    """Does the cron job, run by a worker, remove orphaned staging folders and keep fresh ones?"""
    staging = Path(app.config["UPLOAD_DIR"]) / "staging"
    stale, fresh = staging / "stale-upload", staging / "fresh-upload"
    for folder in (stale, fresh):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "part").write_bytes(b"x")
    old = time.time() - STALE_AFTER_SECONDS - 60
    os.utime(stale, (old, old))

    queue = Queue(f"test-{uuid.uuid4().hex[:8]}", connection=redis_connection)
    job = queue.enqueue(purge_stale_staging)
    SimpleWorker([queue], connection=redis_connection).work(burst=True)
    job.refresh()
    assert job.is_finished, job.latest_result()
    assert job.return_value() == 1
    assert not stale.exists() and fresh.exists()
    queue.delete(delete_jobs=True)
