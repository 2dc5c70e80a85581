"""SignatureRequest (an action item), its Signers, and each firm's sealing key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.items.models import ActionItem

SIGNER_STATES = ("waiting", "signed", "declined")


class SignatureRequest(ActionItem):
    __tablename__ = "signature_request"
    __table_args__ = (
        CheckConstraint("seal_state IN ('none', 'queued', 'sealed', 'failed')", name="seal_state"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("action_item.id"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    #: The firm's message shown with the request (plain text).
    message: Mapped[str] = mapped_column(Text, default="")
    #: True: signers sign one after the other (position order); False: all at once.
    in_order: Mapped[bool] = mapped_column(default=False)
    #: SHA-256 of the bytes the signers are shown and sign; a changed file cannot be signed.
    document_sha256: Mapped[str] = mapped_column(String(64))
    #: none → queued (last signer signed) → sealed (signed copy written) or failed.
    seal_state: Mapped[str] = mapped_column(String(8), default="none")
    #: The sealed copy, next to the original in the same folder.
    signed_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seal_error: Mapped[str | None] = mapped_column(Text)

    document: Mapped[Document] = relationship(foreign_keys=[document_id])
    signed_document: Mapped[Document | None] = relationship(foreign_keys=[signed_document_id])
    signers: Mapped[list[Signer]] = relationship(
        back_populates="request", order_by="Signer.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"polymorphic_identity": "signature"}


class SignatureEvidence:
    """The columns of a signature's evidence (evidence.record writes them): a signer of a
    signature request has them, and so does a proposal signed in the portal."""

    #: Evidence, once signed (signers: or declined).
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    #: SHA-256 of what the person was shown when signing (a document's bytes, a letter's text).
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    #: Which consent sentence they ticked (evidence.CONSENT_VERSION) and in which language.
    consent_version: Mapped[str | None] = mapped_column(String(16))
    consent_locale: Mapped[str | None] = mapped_column(String(16))
    #: The consent sentence exactly as the person saw it (a translation may change later).
    consent_text: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(String(8))
    #: The name as typed (typed signatures; also kept for drawn ones).
    typed_name: Mapped[str | None] = mapped_column(String(200))
    #: The drawn signature as PNG bytes (checked and size-capped on input).
    drawing_png: Mapped[bytes | None] = mapped_column(LargeBinary)


class Signer(SignatureEvidence, db.Model):
    """One person asked to sign, where their signature goes, and the evidence once they did."""

    __tablename__ = "signer"
    __table_args__ = (
        UniqueConstraint("request_id", "user_id", name="uq_signer_request_user"),
        UniqueConstraint("request_id", "position", name="uq_signer_request_position"),
        CheckConstraint("state IN ('waiting', 'signed', 'declined')", name="state"),
        CheckConstraint("method IS NULL OR method IN ('typed', 'drawn')", name="method"),
        CheckConstraint(
            "page IS NULL OR (page >= 1 AND x >= 0 AND x <= 1 AND y >= 0 AND y <= 1)",
            name="placement",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("signature_request.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: 1, 2, …: the signing order when the request is in order.
    position: Mapped[int] = mapped_column(Integer)
    #: Where the signature is stamped: page (1-based) and the box's top-left corner as
    #: fractions of the page's width and height; NULL page: after the last page.
    page: Mapped[int | None] = mapped_column(Integer)
    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(8), default="waiting")
    #: First time the signer opened the request in the portal.
    viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(Text)

    request: Mapped[SignatureRequest] = relationship(back_populates="signers")
    user: Mapped[User] = relationship(lazy="joined")


class FirmSealKey(db.Model):
    """The firm's sealing certificate, created at first use; the key is stored encrypted
    (PKCS#8 under a passphrase derived from the app's SECRET_KEY)."""

    __tablename__ = "firm_seal_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), unique=True)
    certificate_pem: Mapped[bytes] = mapped_column(LargeBinary)
    encrypted_key_pem: Mapped[bytes] = mapped_column(LargeBinary)
    #: SHA-256 of the certificate's DER, hex: how `flask signatures verify` finds the firm.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
