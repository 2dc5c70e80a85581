"""Entry point for gunicorn and `flask`: app = create_app()."""

from dashboard import create_app

app = create_app()
