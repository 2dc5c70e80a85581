"""Flask-Mail connection with a socket timeout, and how SMTP failures are classified."""

from __future__ import annotations

import smtplib
import socket

from flask import current_app
from flask_mail import Connection


class TimeoutConnection(Connection):
    """Flask-Mail's connection, but a stuck server cannot hold a worker forever."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        timeout = current_app.config["SMTP_TIMEOUT_SECONDS"]
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def open_connection() -> TimeoutConnection:
    return TimeoutConnection(current_app.extensions["mail"])


class Permanent(Exception):
    """5xx: the address or message is refused for good."""


class Temporary(Exception):
    """4xx, a dropped connection or a timeout: try again later."""


class Unexpected(Exception):
    """Anything else on one email (a header Flask-Mail refuses, a rendering error): that email
    fails, with its reason, and the rest of the batch goes on."""


def classify(error: BaseException) -> Exception:
    """Map an SMTP or socket error to Permanent or Temporary, anything else to Unexpected,
    keeping its text."""
    code: int | None = None
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in error.recipients.values()]
        code = max(codes) if codes else None
    elif isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
    text = str(error)[:500]
    if code is not None and 500 <= code < 600:
        return Permanent(text)
    if code is not None or isinstance(
        error, smtplib.SMTPException | socket.timeout | ConnectionError | OSError
    ):
        return Temporary(text)
    return Unexpected(f"{type(error).__name__}: {text}")
