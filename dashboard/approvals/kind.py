"""Document approvals as a kind of action item: what the engine needs to know."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from dashboard.approvals.models import ApprovalRequest
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.items.kinds import AccountKind, EmailContent, register
from dashboard.items.models import ActionItem


class ApprovalKind(AccountKind):
    name = "approval"
    topic = "approvals"

    def is_complete(self, item: ActionItem) -> bool:
        """Approved, disapproved (the client acted) or cancelled by the firm."""
        assert isinstance(item, ApprovalRequest)
        return item.status != "pending" or item.decision is not None

    def preload(self, items: list[ActionItem]) -> None:
        """One query for the documents of all the items."""
        requests = [item for item in items if isinstance(item, ApprovalRequest)]
        ids = {request.document_id for request in requests}
        if not ids:
            return
        documents = {
            d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(ids)))
        }
        for request in requests:
            set_committed_value(request, "document", documents.get(request.document_id))

    def title(self, item: ActionItem) -> str:
        assert isinstance(item, ApprovalRequest)
        return item.document.name

    def todo_label(self, item: ActionItem) -> str:
        return _("Approve %(document)s", document=self.title(item))

    def portal_path(self, item: ActionItem) -> str:
        return f"/portal/approvals/{item.id}"

    def staff_path(self, item: ActionItem) -> str:
        assert isinstance(item, ApprovalRequest)
        return f"/clients/{item.account_id}/documents/{item.document_id}"

    def email(self, item: ActionItem, purpose: str, context: dict) -> EmailContent:
        assert isinstance(item, ApprovalRequest)
        document = item.document.name
        message = context.get("message") or item.message
        return EmailContent(
            subject=_("Please review %(document)s", document=document),
            intro=_(
                "%(firm)s asks you to approve the document %(document)s.",
                firm=context["firm"],
                document=document,
            ),
            action_label=_("Review documents"),
            details=message,
        )


register(ApprovalKind())
