"""Chat threads as a kind of action item: what the engine needs to know."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from dashboard.chats.models import ChatMessage, ChatThread
from dashboard.chats.richtext import to_text
from dashboard.extensions import db
from dashboard.items.kinds import AccountKind, EmailContent, register
from dashboard.items.models import ActionItem


class ChatKind(AccountKind):
    name = "chat"
    topic = "chats"

    def is_complete(self, item: ActionItem) -> bool:
        """Replied to (the latest firm message) or archived."""
        assert isinstance(item, ChatThread)
        return item.status != "pending" or item.archived_at is not None

    def title(self, item: ActionItem) -> str:
        assert isinstance(item, ChatThread)
        return item.subject

    def todo_label(self, item: ActionItem) -> str:
        return _("Reply to: %(subject)s", subject=self.title(item))

    def portal_path(self, item: ActionItem) -> str:
        return f"/portal/chats/{item.id}"

    def staff_path(self, item: ActionItem) -> str:
        return f"/clients/{item.account_id}/chats/{item.id}"

    def email(self, item: ActionItem, purpose: str, context: dict) -> EmailContent:
        """Always about the latest message of the thread (R5)."""
        assert isinstance(item, ChatThread)
        latest = db.session.scalar(
            select(ChatMessage.body_html)
            .where(ChatMessage.thread_id == item.id, ChatMessage.from_client.is_(False))
            .order_by(ChatMessage.id.desc())
            .limit(1)
        )
        excerpt = to_text(latest or "")
        if len(excerpt) > 600:
            excerpt = excerpt[:600].rstrip() + "…"
        return EmailContent(
            subject=_("New message: %(subject)s", subject=item.subject),
            intro=_("%(firm)s sent you a message.", firm=context["firm"]),
            action_label=_("Reply"),
            details=context.get("message") or excerpt,
        )


register(ChatKind())
