"""What signatures add to documents: status badges, ⋯ entries, the viewer's section, upload,
the Documents page filter and the Docs › Signatures sub-tab."""

from __future__ import annotations

from collections.abc import Mapping

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dashboard.accounts.models import Folder
from dashboard.auth.models import Firm, User
from dashboard.documents.models import Document
from dashboard.documents.uploads import UploadRefused
from dashboard.extensions import db
from dashboard.items.document_actions import (
    Badge,
    BaseDocumentAction,
    DocumentFilter,
    MenuEntry,
    SubTab,
    UploadOption,
    ViewerSection,
    register_document_action,
)
from dashboard.reminders.service import ReminderSettings
from dashboard.reminders.timeline import build_timeline
from dashboard.signatures import service
from dashboard.signatures.models import SignatureRequest, Signer


def _pending_on_document():
    return (
        select(SignatureRequest.id)
        .where(SignatureRequest.document_id == Document.id, SignatureRequest.status == "pending")
        .correlate(Document)
        .exists()
    )


class SignatureDocumentAction(BaseDocumentAction):
    name = "signatures"

    def badges(self, document_ids: list[int]) -> dict[int, Badge]:
        """The latest request that was not cancelled; a signed copy shows as Signed too."""
        if not document_ids:
            return {}
        requests = db.session.scalars(
            select(SignatureRequest)
            .options(selectinload(SignatureRequest.signers))
            .where(
                (SignatureRequest.document_id.in_(document_ids))
                | (SignatureRequest.signed_document_id.in_(document_ids)),
                SignatureRequest.status != "cancelled",
            )
            .order_by(SignatureRequest.sent_at, SignatureRequest.id)
        ).all()
        badges: dict[int, Badge] = {}
        for request in requests:  # later rows win
            state = service.status_of(request)
            badge = Badge(
                str(service.STATUS_LABELS[state]),
                service.STATUS_BADGES[state],
                f"signature-{state}",
                request.id if request.is_pending else None,
            )
            if request.document_id in document_ids:
                badges[request.document_id] = badge
            if request.signed_document_id in document_ids:
                badges[request.signed_document_id] = badge
        return badges

    def staff_menu(self, document: Document, folder: Folder, badge: Badge | None):
        if not folder.client_can_view or not service.is_signable(document):
            return []
        viewer = url_for(
            "documents.viewer", account_id=document.account_id, document_id=document.id
        )
        if badge is not None and badge.ref is not None:
            return [
                MenuEntry(
                    _("Resend signature request"),
                    f"{viewer}?resend_signature=1#resend-signature",
                    testid=f"resend-signature-{document.id}",
                ),
                MenuEntry(
                    _("Cancel signature request"),
                    url_for(
                        "signatures.cancel", account_id=document.account_id, request_id=badge.ref
                    ),
                    testid=f"cancel-signature-{document.id}",
                    method="post",
                    confirm=_("Cancel the signature request for %(name)s?", name=document.name),
                    danger=True,
                ),
            ]
        if badge is not None and badge.state == "signature-signed":
            return []
        return [
            MenuEntry(
                _("Request signature"),
                f"{viewer}?request_signature=1#request-signature",
                testid=f"request-signature-{document.id}",
            )
        ]

    def portal_buttons(self, document_ids: list[int]) -> dict[int, list[MenuEntry]]:
        from flask import g

        user = getattr(g, "portal_user", None)
        if user is None or not document_ids:
            return {}
        rows = db.session.execute(
            select(SignatureRequest.document_id, SignatureRequest.id)
            .join(Signer, Signer.request_id == SignatureRequest.id)
            .where(
                SignatureRequest.document_id.in_(document_ids),
                SignatureRequest.status == "pending",
                Signer.user_id == user.id,
                Signer.state == "waiting",
            )
        ).all()
        buttons: dict[int, list[MenuEntry]] = {
            document_id: [
                MenuEntry(
                    _("Review and sign"),
                    url_for("portal.signature", request_id=request_id),
                    testid=f"sign-{document_id}",
                )
            ]
            for document_id, request_id in rows
        }
        # A signed original points to its sealed copy (kept in the same folder).
        sealed = db.session.execute(
            select(SignatureRequest.document_id, SignatureRequest.signed_document_id).where(
                SignatureRequest.document_id.in_(document_ids),
                SignatureRequest.signed_document_id.is_not(None),
            )
        ).all()
        for document_id, copy_id in sealed:
            buttons.setdefault(document_id, []).append(
                MenuEntry(
                    _("Download the signed copy"),
                    url_for("portal.download", document_id=copy_id),
                    testid=f"signed-copy-{document_id}",
                )
            )
        return buttons

    def viewer(self, document: Document, folder: Folder, extra: dict) -> ViewerSection | None:
        requests = db.session.scalars(
            select(SignatureRequest)
            .options(selectinload(SignatureRequest.signers))
            .where(SignatureRequest.document_id == document.id)
            .order_by(SignatureRequest.sent_at.desc())
        ).all()
        signed_from = db.session.scalar(
            select(SignatureRequest).where(SignatureRequest.signed_document_id == document.id)
        )
        if not requests and not service.is_signable(document):
            return None
        pending = next((r for r in requests if r.is_pending), None)
        firm = db.session.get(Firm, document.firm_id)
        assert firm is not None
        return ViewerSection(
            body_template="signatures/_viewer_section.html",
            toolbar_template="signatures/_viewer_toolbar.html",
            context={
                "signature_requests": requests,
                "signature_pending": pending,
                "signature_signed_from": signed_from,
                "signature_timeline": build_timeline(pending) if pending else None,
                "signature_defaults": ReminderSettings.defaults_for(firm),
                "signature_contacts": service.signable_contacts(document.account_id),
                "signature_labels": service.STATUS_LABELS,
                "signature_badges": service.STATUS_BADGES,
                "signer_labels": service.SIGNER_LABELS,
                "signature_status": service.status_of,
                "signer_state": service.signer_state,
                "signature_signable": service.is_signable(document) and folder.client_can_view,
            },
        )

    def upload_options(self, folder: Folder) -> list[UploadOption]:
        if not folder.client_can_view:
            return []
        return [UploadOption("request_signature", _("Request signature"))]

    def after_upload(
        self, uploader: User, folder: Folder, documents: list[Document], form: Mapping[str, str]
    ) -> None:
        """S1 at upload: every PDF is sent for signature to the account's contacts who can
        sign, at once, signatures after the last page, with the firm's reminder defaults."""
        if form.get("request_signature") != "on" or not folder.client_can_view:
            return
        firm = db.session.get(Firm, folder.firm_id)
        assert firm is not None
        contacts = [c for c, reason in service.signable_contacts(folder.account_id) if not reason]
        if not contacts:
            raise UploadRefused(str(_l("No contact of this account can sign in the portal.")))
        for document in documents:
            if not service.is_signable(document):
                continue
            try:
                service.request_signatures(
                    uploader,
                    document,
                    [service.SignerSpec(c.user_id) for c in contacts],
                    in_order=False,
                    message=form.get("message", ""),
                    settings=ReminderSettings.defaults_for(firm),
                )
            except service.SignatureError as refused:
                raise UploadRefused(f"{document.name}: {refused}") from refused

    def filters(self) -> list[DocumentFilter]:
        return [DocumentFilter("signatures", _l("Pending signatures"), _pending_on_document)]

    def docs_subtabs(self) -> list[SubTab]:
        return [SubTab("signatures", _l("Signatures"), "signatures.signatures_tab")]


register_document_action(SignatureDocumentAction())
