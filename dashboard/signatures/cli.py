"""`flask signatures verify FILE`: is this sealed PDF intact, and which firm sealed it?"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from dashboard.auth.models import Firm
from dashboard.extensions import db
from dashboard.signatures import sealing
from dashboard.signatures.models import FirmSealKey

group = AppGroup("signatures", help="Signed documents.")


@group.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_command(path: Path) -> None:
    """Check the seal of a signed copy; exit 0 when valid, 1 when not."""
    keys = db.session.execute(select(FirmSealKey, Firm).join(Firm)).all()
    result = sealing.verify(path.read_bytes(), [key.certificate_pem for key, _ in keys])
    firms = {key.fingerprint: firm.name for key, firm in keys}
    for finding in result.findings:
        click.echo(finding)
    for fingerprint in result.fingerprints:
        click.echo(
            f"sealed by: {firms.get(fingerprint, 'a certificate this Relance does not know')}"
        )
    click.echo("VALID" if result.valid else "NOT VALID")
    sys.exit(0 if result.valid else 1)


def register(app: Flask) -> None:
    app.cli.add_command(group)
