"""Flask-Mail connection with a socket timeout, one message's SMTP transaction, and how SMTP
failures are classified."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable
from email.utils import parseaddr
from functools import lru_cache

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


@lru_cache(maxsize=4096)
def sender_path(sender: str) -> str:
    """MAIL FROM's `<address>` for a From header value, as `sendmail` quoted it (parsed once
    per address, not twice per message)."""
    return smtplib.quoteaddr(parseaddr(sender)[1] or sender)


@lru_cache(maxsize=4096)
def recipient_path(to: str) -> str:
    """RCPT TO's `<address>`, as smtplib's `rcpt` quotes it."""
    return smtplib.quoteaddr(to)


def data_payload(message: bytes) -> bytes:
    """The message as DATA sends it: leading dots doubled, CRLF, then the lone dot."""
    quoted = smtplib._quote_periods(message)  # noqa: SLF001 (what `SMTP.data` does)
    if not quoted.endswith(b"\r\n"):
        quoted += b"\r\n"
    return quoted + b".\r\n"


class Mailer:
    """One SMTP connection for a batch of composed messages, opened at the first send.

    Honours Flask-Mail's settings: `suppress` (TESTING without a sink) sends nothing, and
    `max_emails` starts a new connection after that many messages. After a failure the
    connection is dropped (`discard`); the next send opens a new one.

    `send` is smtplib's `sendmail` for one recipient, with the same replies checked and the
    same exceptions raised (so `classify` reads them alike), minus what it repeats per
    message: the addresses are quoted once each. When the server advertises PIPELINING
    (RFC 2920), MAIL FROM, RCPT TO and DATA go in one write and their three replies are read
    in order, each checked as its command's own; the message itself is sent only after DATA's
    354, as without pipelining.
    """

    def __init__(self) -> None:
        self.mail = current_app.extensions["mail"]
        self.host: smtplib.SMTP | smtplib.SMTP_SSL | None = None
        self.pipelining = False
        self.sent = 0

    def open(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        if self.host is None:
            host = open_connection().configure_host()
            host.ehlo_or_helo_if_needed()
            self.host = host
            self.pipelining = bool(host.does_esmtp and host.has_extn("pipelining"))
        return self.host

    def send(
        self,
        sender: str,
        to: str,
        message: bytes,
        while_waiting: Callable[[], None] | None = None,
    ) -> None:
        """Send `message` from `sender` to `to`; raises as `sendmail` does.

        `while_waiting` (which must not raise) runs once the message is written, while the
        server reads it and before its reply is read: local work overlaps the server's.
        """
        if self.mail.suppress:
            if while_waiting is not None:
                while_waiting()
            return
        host = self.open()
        size = f" size={len(message)}" if host.does_esmtp and host.has_extn("size") else ""
        commands = [f"mail FROM:{sender_path(sender)}{size}", f"rcpt TO:{recipient_path(to)}"]
        commands.append("data")
        for command in commands:
            if "\r" in command or "\n" in command:
                raise ValueError(f"an SMTP command with a line break: {command!r}")
        replies: list[tuple[int, bytes]] = []
        if self.pipelining:
            host.send("".join(f"{command}\r\n" for command in commands))
            replies = [host.getreply() for _ in commands]
        else:
            for command, expected in zip(commands, (250, 250, 354), strict=True):
                host.send(f"{command}\r\n")
                replies.append(host.getreply())
                if replies[-1][0] != expected and not (expected == 250 and replies[-1][0] == 251):
                    break
        _check_envelope(replies, sender, to)
        host.send(data_payload(message))
        if while_waiting is not None:
            while_waiting()
        code, reply = host.getreply()
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
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


def _check_envelope(replies: list[tuple[int, bytes]], sender: str, to: str) -> None:
    """MAIL FROM's, RCPT TO's and DATA's replies, each checked as `sendmail` checks it (a
    refusal raises what it raises there); the first refusal is the one reported."""
    (code, reply), rest = replies[0], replies[1:]
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, parseaddr(sender)[1] or sender)
    (code, reply), rest = rest[0], rest[1:]
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({to: (code, reply)})
    code, reply = rest[0]
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)


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
