"""Proposals as a kind of action item: pending until signed, declined, cancelled or expired."""

from __future__ import annotations

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from dashboard.auth.models import Firm
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.kinds import (
    AccountKind,
    EmailContent,
    SweepFacts,
    notify_recipient_rows,
    register,
)
from dashboard.items.models import ActionItem
from dashboard.notify.inbox import register_inbox
from dashboard.proposals.models import Proposal
from dashboard.reminders.timeline import register_timeline_events


def _expired_ids(item_ids: list[int]) -> set[int]:
    """Which of these open proposals are past their last day, in their firm's time zone."""
    from zoneinfo import ZoneInfo

    rows = db.session.execute(
        select(Proposal.id, Proposal.expires_on, Firm.time_zone)
        .join(Firm, Firm.id == Proposal.firm_id)
        .where(Proposal.id.in_(item_ids), Proposal.expires_on.is_not(None))
    ).all()
    moment = now()
    return {
        item_id
        for item_id, expires_on, zone in rows
        if expires_on < moment.astimezone(ZoneInfo(zone)).date()
    }


class ProposalKind(AccountKind):
    name = "proposal"
    topic = "proposals"

    def is_complete(self, item: ActionItem) -> bool:
        from dashboard.proposals.service import is_expired

        assert isinstance(item, Proposal)
        return not item.is_pending or is_expired(item)

    def sweep_facts(self, items: list[tuple[int, int, str, str]]) -> dict[int, SweepFacts]:
        """Complete once answered, withdrawn, or past its expiry date (no reminder after it)."""
        expired = _expired_ids([item_id for item_id, _, _, _ in items])
        people = notify_recipient_rows({account_id for _, account_id, _, _ in items})
        return {
            item_id: SweepFacts(
                status != "pending" or item_id in expired, title, people.get(account_id, [])
            )
            for item_id, account_id, status, title in items
        }

    def title(self, item: ActionItem) -> str:
        return item.title

    def todo_label(self, item: ActionItem) -> str:
        return _("Read and sign %(title)s", title=item.title)

    def portal_path(self, item: ActionItem) -> str:
        return f"/portal/proposals/{item.id}"

    def staff_path(self, item: ActionItem) -> str:
        return f"/clients/{item.account_id}/proposals/{item.id}"

    def email(self, item: ActionItem, purpose: str, context: dict) -> EmailContent:
        assert isinstance(item, Proposal)
        intro = _(
            "%(firm)s sent you %(title)s to read and sign.", firm=context["firm"], title=item.title
        )
        if item.expires_on:
            until = format_date(item.expires_on, "long", locale=str(get_locale() or "en"))
            intro += " " + _("It can be signed until %(date)s.", date=until)
        return EmailContent(
            subject=_("%(firm)s: %(title)s", firm=context["firm"], title=item.title),
            intro=intro,
            action_label=_("Read and sign"),
            details=context.get("message") or item.message,
        )


register(ProposalKind())
register_timeline_events(
    {
        "proposal.viewed": _l("Opened by the client"),
        "proposal.signed": _l("Signed by the client"),
        "proposal.declined": _l("Declined"),
        "proposal.cancelled": _l("Proposal cancelled"),
        "proposal.expired": _l("Expired"),
        "proposal.sealed": _l("Signed PDF sealed"),
        "proposal.invoiced": _l("Invoice issued"),
        "proposal.invoice_failed": _l("No invoice could be issued"),
    },
    staff_emails={
        "proposal_signed": "proposal.signed",
        "proposal_declined": "proposal.declined",
    },
    hidden={"proposal.drafted"},
)
register_inbox(
    topics={"proposals": _l("Proposals & ELs")},
    labels={
        "proposal_signed": _l("%(client)s signed %(title)s"),
        "proposal_declined": _l("%(client)s declined %(title)s: %(reason)s"),
        "proposal_seal_failed": _l("The signed PDF of %(title)s could not be sealed: %(error)s"),
    },
)
