"""The RQ worker class for `rq worker --worker-class jobs.worker.AppWorker`.

RQ forks a work horse per job. Building the Flask app once in the parent means every horse
inherits it, instead of each job paying for create_app() (about 0.4 s here). The parent never
opens a database connection, so no connection is shared across the fork.
"""

from __future__ import annotations

from typing import Any

from rq import Worker

from jobs.context import get_app


class AppWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        get_app()
