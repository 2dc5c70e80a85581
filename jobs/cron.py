"""Periodic jobs, registered for `rq cron jobs/cron.py`."""

import os

from rq import cron

from jobs.maintenance import purge_stale_staging
from jobs.pipelines import requeue_automation_runs
from jobs.proposals import expire_proposals
from jobs.proposals import requeue_unsealed as requeue_unsealed_proposals
from jobs.signatures import requeue_unsealed
from jobs.sweep import run_sweep

QUEUE = os.environ.get("RQ_QUEUE", "relance")

cron.register(run_sweep, queue_name=QUEUE, interval=30, job_timeout=600)
cron.register(purge_stale_staging, queue_name=QUEUE, interval=3600)
cron.register(requeue_unsealed, queue_name=QUEUE, interval=120)
cron.register(requeue_unsealed_proposals, queue_name=QUEUE, interval=120)
cron.register(expire_proposals, queue_name=QUEUE, interval=600)
cron.register(requeue_automation_runs, queue_name=QUEUE, interval=120)
