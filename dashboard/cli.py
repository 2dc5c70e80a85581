"""Command-line commands: `flask seed-demo`, `flask mail-sink`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from dashboard.extensions import db


def register(app: Flask) -> None:
    register_reminders(app)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when a firm already exists.")
    def seed_demo_command(if_empty: bool) -> None:
        """Create the demo firm, its staff, 65 client accounts, folders, documents and a story."""
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


def register_reminders(app: Flask) -> None:
    reminders = click.Group("reminders", help="Operate the reminder engine.")

    @reminders.command("sweep")
    def sweep_command() -> None:
        """Run one sweep now (due reminders → outbox → queue), then exit."""
        from dashboard.reminders.sweep import sweep

        result = sweep()
        click.echo(
            f"reminders sent: {result.reminders}, emails queued: {result.emails}, "
            f"stopped: {result.stopped}, re-enqueued: {result.requeued}"
        )

    @reminders.command("status")
    def status_command() -> None:
        """Show what is due, the outbox by state, and when the last sweep ran."""
        from sqlalchemy import func

        from dashboard.clock import now
        from dashboard.notify.models import OutboxEmail, SweepStatus
        from dashboard.reminders.models import Reminder

        moment = now()
        due = db.session.scalar(
            select(func.count(Reminder.id)).where(
                Reminder.next_at.is_not(None), Reminder.next_at <= moment
            )
        )
        planned = db.session.scalar(
            select(func.count(Reminder.id)).where(Reminder.next_at.is_not(None))
        )
        states = dict(
            db.session.execute(
                select(OutboxEmail.state, func.count(OutboxEmail.id)).group_by(OutboxEmail.state)
            ).all()
        )
        last = db.session.get(SweepStatus, 1)
        click.echo(f"due now: {due}")
        click.echo(f"planned: {planned}")
        for state in ("queued", "sent", "failed", "cancelled"):
            click.echo(f"emails {state}: {states.get(state, 0)}")
        if last and last.finished_at:
            click.echo(
                f"last sweep: {last.finished_at.isoformat()} "
                f"({last.reminders} reminders, {last.emails} emails, "
                f"{last.requeued} re-enqueued)"
            )
        else:
            click.echo("last sweep: never")

    app.cli.add_command(reminders)
