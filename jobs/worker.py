"""The RQ worker class for `rq worker --worker-class jobs.worker.AppWorker`.

RQ forks a work horse per job. Building the Flask app once in the parent means every horse
inherits it, instead of each job paying for create_app() (about 0.4 s here). The parent never
opens a database connection, so no connection is shared across the fork. It also loads the
PDF libraries once (WeasyPrint with Pango and its fonts, pyHanko): a sealing job otherwise pays
about 1.5 s of imports and font set-up before it starts (bench/signatures.py, cold).
"""

from __future__ import annotations

from typing import Any

from rq import Worker

from jobs.context import get_app


class AppWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        get_app()
        warm_pdf_libraries()


def warm_pdf_libraries() -> None:
    """Import and exercise the PDF stack in the parent, so every forked job inherits it."""
    from pyhanko.sign import signers, validation  # noqa: F401

    from dashboard.signatures.sealing import render_html

    render_html("<p></p>", base_url=None)
