"""Organizers as a kind of action item: pending until submitted (or sealed by the firm).

Its emails say how far the client got ("5 of 12 answered") and link to the first question
still unanswered."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from dashboard.extensions import db
from dashboard.items.kinds import AccountKind, EmailContent, register
from dashboard.items.models import ActionItem
from dashboard.notify.inbox import register_inbox
from dashboard.organizers import questions as rules
from dashboard.organizers.models import Organizer, OrganizerAnswer
from dashboard.organizers.service import answers_of
from dashboard.reminders.timeline import register_timeline_events


class OrganizerKind(AccountKind):
    name = "organizer"
    topic = "organizers"

    def is_complete(self, item: ActionItem) -> bool:
        return not item.is_pending

    def preload(self, items: list[ActionItem]) -> None:
        """One query for the answers of all the organizers (their links need them)."""
        organizers = [item for item in items if isinstance(item, Organizer)]
        if not organizers:
            return
        by_organizer: dict[int, list[OrganizerAnswer]] = {o.id: [] for o in organizers}
        for answer in db.session.scalars(
            select(OrganizerAnswer).where(OrganizerAnswer.organizer_id.in_(by_organizer))
        ):
            by_organizer[answer.organizer_id].append(answer)
        for organizer in organizers:
            set_committed_value(organizer, "answers", by_organizer[organizer.id])

    def title(self, item: ActionItem) -> str:
        return item.title

    def todo_label(self, item: ActionItem) -> str:
        return _("Fill in %(title)s", title=item.title)

    def portal_path(self, item: ActionItem) -> str:
        assert isinstance(item, Organizer)
        first = rules.first_unanswered(item.questions, answers_of(item))
        anchor = f"#q-{first['key']}" if first else ""
        return f"/portal/organizers/{item.id}{anchor}"

    def staff_path(self, item: ActionItem) -> str:
        return f"/clients/{item.account_id}/organizers/{item.id}"

    def email(self, item: ActionItem, purpose: str, context: dict) -> EmailContent:
        assert isinstance(item, Organizer)
        done, total = rules.progress(item.questions, answers_of(item))
        intro = _("%(firm)s asks you to fill in %(title)s.", firm=context["firm"], title=item.title)
        if done:
            intro += " " + ngettext(
                "You answered %(done)d of %(num)d question so far.",
                "You answered %(done)d of %(num)d questions so far.",
                total,
                done=done,
            )
        return EmailContent(
            subject=_("Please fill in %(title)s", title=item.title),
            intro=intro,
            action_label=_("Continue") if done else _("Fill in"),
            details=context.get("message") or item.message,
        )


register(OrganizerKind())
register_timeline_events(
    {
        "organizer.submitted": _l("Submitted by the client"),
        "organizer.reopened": _l("Reopened for changes"),
        "organizer.sealed": _l("Sealed"),
    },
)
register_inbox(
    topics={"organizers": _l("Organizers")},
    labels={"organizer_submitted": _l("%(client)s submitted %(title)s")},
)
