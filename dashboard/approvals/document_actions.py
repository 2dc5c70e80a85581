"""What approvals add to documents: status badges, ⋯ entries, the viewer's ✓, upload, filters."""

from __future__ import annotations

from collections.abc import Mapping

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select

from dashboard.accounts.models import Folder
from dashboard.approvals import service
from dashboard.approvals.models import ApprovalRequest
from dashboard.auth.models import Firm, User
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.items.document_actions import (
    Badge,
    BaseDocumentAction,
    DocumentFilter,
    MenuEntry,
    PageTab,
    SubTab,
    UploadOption,
    ViewerSection,
    register_document_action,
)
from dashboard.pagination import paginate
from dashboard.reminders.service import ReminderSettings
from dashboard.reminders.timeline import build_timeline


def _latest_state():
    """The status of the document's latest request that was not cancelled (correlated)."""
    return (
        select(
            case((ApprovalRequest.status == "pending", "awaiting"), else_=ApprovalRequest.decision)
        )
        .where(ApprovalRequest.document_id == Document.id, ApprovalRequest.status != "cancelled")
        .order_by(ApprovalRequest.sent_at.desc(), ApprovalRequest.id.desc())
        .limit(1)
        .correlate(Document)
        .scalar_subquery()
    )


def _state_is(state: str):
    return lambda: _latest_state() == state


def _load_approvals_tab(firm_id: int, status: str, per_page: int) -> dict:
    stmt = service.approvals_select(firm_id)
    if status == "awaiting":
        stmt = stmt.where(ApprovalRequest.status == "pending")
    elif status in ("approved", "rejected"):
        stmt = stmt.where(ApprovalRequest.decision == status)
    else:  # another kind's filter of the page (Pending payment): on the request's document
        from dashboard.documents.actions import filters

        chosen = {item.key: item for item in filters()}.get(status)
        if chosen is not None:
            stmt = stmt.where(
                ApprovalRequest.document_id.in_(select(Document.id).where(chosen.where()))
            )
    return {"page": paginate(stmt, per_page)}


class ApprovalDocumentAction(BaseDocumentAction):
    name = "approvals"

    def badges(self, document_ids: list[int]) -> dict[int, Badge]:
        if not document_ids:
            return {}
        rows = db.session.execute(
            select(
                ApprovalRequest.document_id,
                ApprovalRequest.id,
                ApprovalRequest.status,
                ApprovalRequest.decision,
            )
            .where(
                ApprovalRequest.document_id.in_(document_ids),
                ApprovalRequest.status != "cancelled",
            )
            .order_by(ApprovalRequest.sent_at, ApprovalRequest.id)
        ).all()
        badges: dict[int, Badge] = {}
        for document_id, request_id, status, decision in rows:  # later rows win
            state = "pending" if status == "pending" else (decision or status)
            badges[document_id] = Badge(
                str(service.STATUS_LABELS[state]),
                service.STATUS_BADGES[state],
                state,
                request_id if state == "pending" else None,
            )
        return badges

    def staff_menu(self, document: Document, folder: Folder, badge: Badge | None):
        if not folder.client_can_view:
            return []
        viewer = url_for(
            "documents.viewer", account_id=document.account_id, document_id=document.id
        )
        if badge is not None and badge.state == "pending":
            return [
                MenuEntry(
                    _("Resend approval request"),
                    f"{viewer}?resend=1#resend-approval",
                    testid=f"resend-approval-{document.id}",
                ),
                MenuEntry(
                    _("Cancel approval request"),
                    url_for(
                        "approvals.cancel", account_id=document.account_id, request_id=badge.ref
                    ),
                    testid=f"cancel-approval-{document.id}",
                    method="post",
                    confirm=_("Cancel the approval request for %(name)s?", name=document.name),
                    danger=True,
                ),
            ]
        return [
            MenuEntry(
                _("Request approval"),
                f"{viewer}?request=1#request-approval",
                testid=f"request-approval-{document.id}",
            )
        ]

    def portal_buttons(self, document_ids: list[int]) -> dict[int, list[MenuEntry]]:
        pending = db.session.execute(
            select(ApprovalRequest.document_id, ApprovalRequest.id).where(
                ApprovalRequest.document_id.in_(document_ids),
                ApprovalRequest.status == "pending",
            )
        ).all()
        return {
            document_id: [
                MenuEntry(
                    _("Review documents"),
                    url_for("portal.approval", request_id=request_id),
                    testid=f"review-{document_id}",
                )
            ]
            for document_id, request_id in pending
        }

    def viewer(self, document: Document, folder: Folder, extra: dict) -> ViewerSection:
        requests = db.session.scalars(
            select(ApprovalRequest)
            .where(ApprovalRequest.document_id == document.id)
            .order_by(ApprovalRequest.sent_at.desc())
        ).all()
        pending = next((r for r in requests if r.is_pending), None)
        firm = db.session.get(Firm, document.firm_id)
        assert firm is not None
        return ViewerSection(
            body_template="approvals/_viewer_section.html",
            toolbar_template="approvals/_viewer_toolbar.html",
            context={
                "requests": requests,
                "pending": pending,
                "timeline": build_timeline(pending) if pending else None,
                "defaults": ReminderSettings.defaults_for(firm),
            },
        )

    def upload_options(self, folder: Folder) -> list[UploadOption]:
        if not folder.client_can_view:
            return []
        return [UploadOption("request_approval", _("Request approval"))]

    def after_upload(
        self, uploader: User, folder: Folder, documents: list[Document], form: Mapping[str, str]
    ) -> None:
        """D1 at upload: ask for approval of each uploaded document, firm default reminders."""
        if form.get("request_approval") != "on" or not folder.client_can_view:
            return
        firm = db.session.get(Firm, folder.firm_id)
        assert firm is not None
        for document in documents:
            service.request_approval(
                uploader, document, form.get("message", ""), ReminderSettings.defaults_for(firm)
            )

    def filters(self) -> list[DocumentFilter]:
        return [
            DocumentFilter("awaiting", _l("Awaiting approval"), _state_is("awaiting")),
            DocumentFilter("approved", _l("Approved"), _state_is("approved")),
            DocumentFilter("rejected", _l("Rejected"), _state_is("rejected")),
        ]

    def page_tabs(self) -> list[PageTab]:
        return [
            PageTab(
                "approvals",
                _l("Approvals"),
                "approvals/_documents_page_tab.html",
                _load_approvals_tab,
            )
        ]

    def docs_subtabs(self) -> list[SubTab]:
        return [SubTab("approvals", _l("Approvals"), "approvals.approvals_tab")]


register_document_action(ApprovalDocumentAction())
