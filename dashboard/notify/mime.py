"""Composing a rendered email into the bytes handed to SMTP.

Flask-Mail builds an `email` MIME tree per message and flattens it with the header registry
(most of a millisecond per message). The structure is always the same here (text and HTML
alternatives, then the attachments), so it is written directly: base64 bodies (line length
and dots at line starts are never a concern), boundaries that cannot occur in base64, and the
headers encoded with Flask-Mail's own helpers, so they read exactly as before. An attachment
is encoded once per batch, however many recipients receive it.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Callable, Sequence
from email.header import Header
from email.utils import formatdate
from urllib.parse import quote

from flask_mail import BadHeaderError, sanitize_address

from dashboard.items.kinds import Attachment
from dashboard.notify.emails import RenderedEmail

CRLF = "\r\n"


def check_header(value: str) -> str:
    """A header value must not carry a line break (it would start a header of its own)."""
    if "\r" in value or "\n" in value:
        raise BadHeaderError(f"Header values may not contain line breaks: {value[:80]!r}")
    return value


def encode_subject(subject: str) -> str:
    """ASCII as it is, anything else as RFC 2047 encoded words (as Flask-Mail does)."""
    check_header(subject)
    if subject.isascii():
        return subject
    return Header(subject, "utf-8").encode(linesep=CRLF)


#: A bare ASCII address (dot-atom local part, plain domain): Flask-Mail's `sanitize_address`
#: gives it back as it is, so it is not parsed.
PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)


def address(value: str) -> str:
    if PLAIN_ADDRESS.fullmatch(value):
        return value
    return sanitize_address(check_header(value), "utf-8")


_date: tuple[int, str] = (0, "")


def date_header() -> str:
    """`formatdate(localtime=True)`, computed once per second."""
    global _date
    second = int(time.time())
    if _date[0] != second:
        _date = (second, formatdate(second, localtime=True))
    return _date[1]


def base64_lines(data: bytes) -> str:
    """Base64 in lines of 76 characters, CRLF-terminated."""
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF)


def text_part(subtype: str, content: str) -> str:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}"
        f"{base64_lines(content.encode('utf-8'))}"
    )


def disposition(filename: str) -> str:
    """Content-Disposition with the file name quoted, or RFC 2231-encoded when not ASCII."""
    check_header(filename)
    if filename.isascii():
        escaped = filename.replace("\\", "\\\\").replace('"', '\\"')
        return f'attachment; filename="{escaped}"'
    return f"attachment; filename*=utf-8''{quote(filename, safe='')}"


def attachment_part(filename: str, mimetype: str, data: bytes) -> str:
    check_header(mimetype)
    return (
        f"Content-Type: {mimetype}{CRLF}"
        f"Content-Transfer-Encoding: base64{CRLF}"
        f"Content-Disposition: {disposition(filename)}{CRLF}{CRLF}"
        f"{base64_lines(data)}"
    )


def multipart(subtype: str, parts: Sequence[str]) -> str:
    """A multipart body; the boundary has an underscore, which base64 never contains."""
    boundary = f"=_{uuid.uuid4().hex}"
    body = "".join(f"--{boundary}{CRLF}{part}" for part in parts)
    return (
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"{CRLF}{CRLF}'
        f"{body}--{boundary}--{CRLF}"
    )


def compose(
    rendered: RenderedEmail,
    to: str,
    message_id: str,
    attachments: Sequence[str] = (),
    encode_address: Callable[[str], str] = address,
) -> bytes:
    """The whole message: headers, then text and HTML alternatives, then `attachments`
    (parts made by `attachment_part`)."""
    headers = [
        f"Subject: {encode_subject(rendered.subject)}",
        f"From: {encode_address(rendered.sender)}",
        f"To: {address(to)}",
        f"Date: {date_header()}",
        f"Message-ID: {check_header(message_id)}",
    ]
    if rendered.reply_to:
        headers.append(f"Reply-To: {encode_address(rendered.reply_to)}")
    headers += ["Auto-Submitted: auto-generated", "MIME-Version: 1.0"]
    body = multipart(
        "alternative", [text_part("plain", rendered.text), text_part("html", rendered.html)]
    )
    if attachments:
        body = multipart("mixed", [body, *attachments])
    return (CRLF.join(headers) + CRLF + body).encode("ascii")


class Composer:
    """Composes the messages of one batch; each set of attachments, each firm's From and
    each sender's Reply-To is encoded once."""

    def __init__(self) -> None:
        #: id(attachments) -> (the attachments, kept alive so the id stays theirs; parts)
        self._parts: dict[int, tuple[Sequence[Attachment], tuple[str, ...]]] = {}
        self._addresses: dict[str, str] = {}

    def message(self, rendered: RenderedEmail, to: str, message_id: str) -> bytes:
        parts = self.attachment_parts(rendered.attachments)
        return compose(rendered, to, message_id, parts, self.address)

    def address(self, value: str) -> str:
        encoded = self._addresses.get(value)
        if encoded is None:
            encoded = self._addresses[value] = address(value)
        return encoded

    def attachment_parts(self, attachments: Sequence[Attachment]) -> tuple[str, ...]:
        if isinstance(attachments, tuple) and not attachments:
            return ()
        known = self._parts.get(id(attachments))
        if known is None or known[0] is not attachments:
            known = (attachments, tuple(attachment_part(*a) for a in attachments))
            self._parts[id(attachments)] = known
        return known[1]
