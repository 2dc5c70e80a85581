"""Command-line commands: `flask seed-demo`, `flask mail-sink`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from dashboard.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when a firm already exists.")
    def seed_demo_command(if_empty: bool) -> None:
        """Create the demo firm, its staff, 25 client accounts, folders and documents."""
        from dashboard.auth.models import Firm
        from dashboard.demo import DEMO_PASSWORD, seed_demo

        if if_empty and db.session.scalar(select(Firm.id).limit(1)) is not None:
            click.echo("The database already has data; demo not seeded.")
            return
        logins = seed_demo()
        click.echo(f"Demo firm created. Logins (password for all: {DEMO_PASSWORD}):")
        for role, email, language in logins:
            click.echo(f"  {role:<9} {email:<34} {language}")

    @app.cli.command("mail-sink")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=None, type=int)
    def mail_sink_command(host: str, port: int | None) -> None:
        """Run the development SMTP sink; staff read what it caught at /dev/mail."""
        from dashboard.dev.mailsink import serve

        serve(
            Path(current_app.config["MAIL_SINK_DIR"]),
            host,
            port or current_app.config["MAIL_PORT"],
        )
