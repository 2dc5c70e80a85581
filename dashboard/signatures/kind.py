"""Signature requests as a kind of action item: who is emailed (the signers who must act now)."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from dashboard.auth.models import Firm, User
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.items.kinds import AccountKind, EmailContent, Recipient, SweepFacts, register
from dashboard.items.models import ActionItem
from dashboard.reminders.timeline import register_timeline_events
from dashboard.signatures.models import SignatureRequest, Signer
from dashboard.signatures.service import waiting_signers


class SignatureKind(AccountKind):
    name = "signature"
    topic = "signatures"

    def recipients(self, item: ActionItem) -> list[User]:
        """The signers who have not signed (in order: only the one whose turn it is), whose
        address works. Signers are chosen by name for this document, so NOTIFY does not apply."""
        assert isinstance(item, SignatureRequest)
        return [s.user for s in waiting_signers(item) if s.user.email_bounced_at is None]

    def is_complete(self, item: ActionItem) -> bool:
        return not item.is_pending

    def sweep_facts(self, items: list[tuple[int, int, str, str]]) -> dict[int, SweepFacts]:
        """One query for the waiting signers of every item of the batch."""
        ids = [item_id for item_id, _, _, _ in items]
        rows = db.session.execute(
            select(
                Signer.request_id,
                Signer.position,
                SignatureRequest.in_order,
                User.id,
                User.email,
                func.coalesce(User.language, Firm.default_language),
                User.time_zone,
            )
            .join(SignatureRequest, SignatureRequest.id == Signer.request_id)
            .join(User, User.id == Signer.user_id)
            .join(Firm, Firm.id == User.firm_id)
            .where(
                Signer.request_id.in_(ids),
                Signer.state == "waiting",
                User.email_bounced_at.is_(None),
            )
            .order_by(Signer.request_id, Signer.position)
        ).all()
        people: dict[int, list[Recipient]] = {}
        for request_id, _position, in_order, user_id, email, locale, zone in rows:
            current = people.setdefault(request_id, [])
            if in_order and current:
                continue  # only the first waiting signer's turn
            current.append(Recipient(user_id, email, locale, zone))
        return {
            item_id: SweepFacts(status != "pending", title, people.get(item_id, []))
            for item_id, _account_id, status, title in items
        }

    def preload(self, items: list[ActionItem]) -> None:
        requests = [item for item in items if isinstance(item, SignatureRequest)]
        if requests:
            ids = [r.id for r in requests]
            db.session.scalars(
                select(SignatureRequest)
                .where(SignatureRequest.id.in_(ids))
                .options(selectinload(SignatureRequest.signers))
            ).all()
            doc_ids = {r.document_id for r in requests}
            db.session.scalars(select(Document).where(Document.id.in_(doc_ids))).all()

    def title(self, item: ActionItem) -> str:
        assert isinstance(item, SignatureRequest)
        return item.document.name

    def todo_label(self, item: ActionItem) -> str:
        """ "Sign …" for a signer who must act now; otherwise who the request waits for."""
        assert isinstance(item, SignatureRequest)
        viewer = getattr(g, "portal_user", None)
        waiting = waiting_signers(item)
        if viewer is None or any(s.user_id == viewer.id for s in waiting):
            return _("Sign %(document)s", document=item.title)
        return _(
            "%(document)s: waiting for %(names)s to sign",
            document=item.title,
            names=", ".join(s.user.name for s in waiting),
        )

    def portal_path(self, item: ActionItem) -> str:
        return f"/portal/signatures/{item.id}"

    def staff_path(self, item: ActionItem) -> str:
        assert isinstance(item, SignatureRequest)
        return f"/clients/{item.account_id}/documents/{item.document_id}"

    def email(self, item: ActionItem, purpose: str, context: dict) -> EmailContent:
        assert isinstance(item, SignatureRequest)
        message = context.get("message") or item.message
        return EmailContent(
            subject=_("Please sign %(document)s", document=item.title),
            intro=_(
                "%(firm)s asks you to sign the document %(document)s.",
                firm=context["firm"],
                document=item.title,
            ),
            action_label=_("Review and sign"),
            details=message,
        )


register(SignatureKind())
register_timeline_events(
    {
        "signature.viewed": _l("Opened by a signer"),
        "signature.signed": _l("Signed by a signer"),
        "signature.declined": _l("Declined"),
        "signature.cancelled": _l("Request cancelled"),
        "signature.sealed": _l("Signed copy sealed"),
    },
    staff_emails={
        "signature_completed": "signature.sealed",
        "signature_declined": "signature.declined",
    },
    hidden={"signature.requested"},
)
