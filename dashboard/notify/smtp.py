"""Flask-Mail connection with a socket timeout, and how SMTP failures are classified."""

from __future__ import annotations

import smtplib
import socket
from email.utils import parseaddr

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


class Mailer:
    """One SMTP connection for a batch of composed messages, opened at the first send.

    Honours Flask-Mail's settings: `suppress` (TESTING without a sink) sends nothing, and
    `max_emails` starts a new connection after that many messages. After a failure the
    connection is dropped (`discard`); the next send opens a new one.
    """

    def __init__(self) -> None:
        self.mail = current_app.extensions["mail"]
        self.host: smtplib.SMTP | smtplib.SMTP_SSL | None = None
        self.sent = 0

    def send(self, sender: str, to: str, message: bytes) -> None:
        if self.mail.suppress:
            return
        if self.host is None:
            self.host = open_connection().configure_host()
        self.host.sendmail(parseaddr(sender)[1] or sender, [to], message)
        self.sent += 1
        if self.mail.max_emails and self.sent % self.mail.max_emails == 0:
            self.close()

    def close(self) -> None:
        """Say goodbye; a server that already dropped us is no error."""
        host, self.host = self.host, None
        if host is None:
            return
        try:
            host.quit()
        except (smtplib.SMTPException, OSError):
            host.close()

    def discard(self) -> None:
        """Forget the connection without a word (it failed: its state is unknown)."""
        host, self.host = self.host, None
        if host is not None:
            host.close()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


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
