"""Periodic jobs, registered for `rq cron jobs/cron.py`."""

import os

from rq import cron

from jobs.maintenance import purge_stale_staging

QUEUE = os.environ.get("RQ_QUEUE", "relance")

cron.register(purge_stale_staging, queue_name=QUEUE, interval=3600)
