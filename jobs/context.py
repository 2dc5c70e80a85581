"""One Flask app per worker process, an app context per job."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Flask

P = ParamSpec("P")
R = TypeVar("R")

_app: Flask | None = None


def use_app(app: Flask | None) -> None:
    """Run jobs in this app (tests hand over theirs); None goes back to create_app()."""
    global _app
    _app = app


def get_app() -> Flask:
    global _app
    if _app is None:
        from dashboard import create_app

        _app = create_app()
    return _app


def app_job(func: Callable[P, R]) -> Callable[P, R]:
    """Run the job inside an app context; reuse the current one when there is one (tests)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from flask import has_app_context

        if has_app_context():
            return func(*args, **kwargs)
        with get_app().app_context():
            return func(*args, **kwargs)

    return wrapper
