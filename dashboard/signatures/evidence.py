"""What a client decision is recorded with: consent text, request facts, and checked input.

Signature requests use it today; proposals (and sealed organizers) record their decisions
through the same functions, so there is one consent text, one drawing check, one evidence shape.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Protocol

from flask import Request
from flask_babel import lazy_gettext as _l

#: Bump when the sentence changes; the version is stored with every signature.
CONSENT_VERSION = "2026-12-v1"
CONSENT_TEXT = _l(
    "I have read this document and I sign it electronically. I agree that this electronic "
    "signature is as binding as my handwritten signature."
)

#: A drawn signature arrives as a PNG from the signature pad; anything else is refused.
MAX_DRAWING_BYTES = 300 * 1024
MAX_DRAWING_SIDE = 4000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_NAME = 200


class EvidenceError(ValueError):
    """The decision cannot be recorded as given; the message is shown to the client."""


@dataclass(frozen=True)
class RequestFacts:
    """Where a decision came from: the client's address and browser."""

    ip: str
    user_agent: str

    @classmethod
    def of(cls, request: Request) -> RequestFacts:
        # Behind a reverse proxy, run with ProxyFix so remote_addr is the client, not the proxy.
        return cls((request.remote_addr or "")[:64], (request.user_agent.string or "")[:512])


def check_drawing(data: bytes) -> bytes:
    """A PNG of sane size (the header's width and height), or EvidenceError."""
    if not data or len(data) > MAX_DRAWING_BYTES:
        raise EvidenceError(str(_l("The drawn signature is empty or too large.")))
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        raise EvidenceError(str(_l("The drawn signature could not be read.")))
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_DRAWING_SIDE and 0 < height <= MAX_DRAWING_SIDE):
        raise EvidenceError(str(_l("The drawn signature could not be read.")))
    try:  # decode it whole: a PNG the PDF stamp cannot draw is refused now, not at sealing
        from PIL import Image

        with Image.open(BytesIO(data)) as image:
            image.load()
    except Exception as error:  # Pillow raises many kinds on a broken image
        raise EvidenceError(str(_l("The drawn signature could not be read."))) from error
    return data


def decode_data_url(value: str) -> bytes:
    """The bytes of a `data:image/png;base64,…` value from the signature pad."""
    import base64
    import binascii

    prefix = "data:image/png;base64,"
    if not value.startswith(prefix) or len(value) > MAX_DRAWING_BYTES * 4 // 3 + 100:
        raise EvidenceError(str(_l("Draw your signature first.")))
    try:
        return base64.b64decode(value[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise EvidenceError(str(_l("The drawn signature could not be read."))) from error


def clean_name(value: str) -> str:
    name = " ".join(value.split())[:MAX_NAME]
    if any(ord(ch) < 32 for ch in name):
        raise EvidenceError(str(_l("Type your full name.")))
    return name


@dataclass(frozen=True)
class Mark:
    """How a person signed, checked: "typed" with the name, or "drawn" with the PNG."""

    method: str
    typed_name: str
    drawing_png: bytes | None


def checked_mark(method: str, typed_name: str, drawing: bytes | None, consent: bool) -> Mark:
    """The signature as given, or EvidenceError: no consent, no name, an unreadable drawing."""
    if not consent:
        raise EvidenceError(str(_l("Tick the box to confirm that you sign.")))
    name = clean_name(typed_name)
    if method == "typed":
        if len(name) < 2:
            raise EvidenceError(str(_l("Type your full name.")))
        return Mark("typed", name, None)
    if method == "drawn":
        return Mark("drawn", name, check_drawing(drawing or b""))
    raise EvidenceError(str(_l("Choose how you sign.")))


class Evidence(Protocol):
    """What holds a signature's evidence: a signer, a signed proposal (SignatureEvidence)."""

    decided_at: datetime | None
    ip: str | None
    user_agent: str | None
    document_sha256: str | None
    consent_version: str | None
    consent_locale: str | None
    consent_text: str | None
    method: str | None
    typed_name: str | None
    drawing_png: bytes | None


def record(
    target: Evidence,
    mark: Mark,
    facts: RequestFacts,
    shown_sha256: str,
    consent_locale: str,
    moment: datetime,
    fallback_name: str,
) -> None:
    """Write a signature's evidence on `target`: when, from where, what was shown, the
    consent sentence exactly as shown (in the current locale), and the mark."""
    target.decided_at = moment
    target.ip, target.user_agent = facts.ip, facts.user_agent
    target.document_sha256 = shown_sha256
    target.consent_version, target.consent_locale = CONSENT_VERSION, consent_locale
    target.consent_text = str(CONSENT_TEXT)
    target.method = mark.method
    target.typed_name = mark.typed_name or fallback_name
    target.drawing_png = mark.drawing_png
