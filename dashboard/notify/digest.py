"""The daily digest email (B3): one email listing a contact's reminders of the day.

Each line is one item's reminder: its number ("2nd reminder"), what the client is asked to do
(the kind's to-do label) and the link where they do it (the kind's portal path), grouped by
client account when the contact has items on several. Rendered in the recipient's language,
from the firm, with Reply-To the staff member who sent the items when one person sent them
all. A digest left with a single reminder is that item's ordinary reminder email. Why and
when digests are written: `dashboard/reminders/digest.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formataddr

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, with_polymorphic

from dashboard.accounts.models import Account
from dashboard.auth.models import Firm, User
from dashboard.extensions import db
from dashboard.items.kinds import kind_of, load_items
from dashboard.items.models import ActionItem
from dashboard.notify.emails import (
    RenderedEmail,
    absolute_url,
    firm_sender,
    recipient_name,
    reminder_label,
    render_email,
)
from dashboard.notify.models import OutboxEmail

PURPOSE = "digest"


@dataclass(frozen=True)
class DigestLine:
    number_label: str
    action: str
    url: str
    account: str


def render_digest(
    row: OutboxEmail, firm: Firm, listed: Sequence[tuple[OutboxEmail, ActionItem]]
) -> RenderedEmail:
    """The digest `row` listing these (reminder row, item) pairs, in the row's language."""
    accounts = {
        account.id: account.name
        for account in db.session.scalars(
            select(Account).where(Account.id.in_({item.account_id for _, item in listed}))
        )
    }
    with force_locale(row.locale):
        lines = sorted(
            (
                DigestLine(
                    number_label=reminder_label(reminder.reminder_number),
                    action=kind_of(item).todo_label(item),
                    url=absolute_url(kind_of(item).portal_path(item)),
                    account=accounts.get(item.account_id, ""),
                )
                for reminder, item in listed
            ),
            key=lambda line: line.account,
        )
        count = len(lines)
        context = {
            "name": recipient_name(row),
            "firm": firm.name,
            "lines": lines,
            "by_account": len({line.account for line in lines}) > 1,
            "count": count,
            "portal_url": absolute_url("/portal/"),
        }
        subject = ngettext(
            "%(num)d reminder from %(firm)s",
            "%(num)d reminders from %(firm)s",
            count,
            firm=firm.name,
        )
        rendered = RenderedEmail(
            subject=subject if count else _("Reminders from %(firm)s", firm=firm.name),
            text=render_email("emails/digest.txt", **context),
            html=render_email("emails/digest.html", **context),
            sender=firm_sender(firm),
            reply_to=_reply_to([item for _, item in listed]),
        )
    return rendered


def _reply_to(items: list[ActionItem]) -> str | None:
    """The staff member who sent every listed item, when it is one person."""
    senders = {item.sent_by_id for item in items}
    if len(senders) != 1 or None in senders:
        return None
    sender = db.session.get(User, senders.pop())
    return formataddr((sender.name, sender.email)) if sender else None


def listed_rows(digest_ids: Sequence[int], states: Sequence[str] = ("queued",)) -> list:
    """The reminder rows listed in these digests (in those states), with their recipients,
    and their items loaded the way each kind's labels need."""
    if not digest_ids:
        return []
    rows = list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.digest_id.in_(digest_ids), OutboxEmail.state.in_(states))
            .options(joinedload(OutboxEmail.recipient))
            .order_by(OutboxEmail.id)
            .execution_options(populate_existing=True)
        )
    )
    item_ids = {row.item_id for row in rows if row.item_id is not None}
    if item_ids:
        load_items(
            list(
                db.session.scalars(
                    select(with_polymorphic(ActionItem, "*"))
                    .where(ActionItem.id.in_(item_ids))
                    .execution_options(populate_existing=True)
                )
            )
        )
    return rows


def render_digest_row(row: OutboxEmail, firm: Firm) -> RenderedEmail:
    """A digest as it was or will be sent, from its listed rows (a preview, the demo's
    delivered history): the sent ones once it went, the queued ones before."""
    rows = listed_rows([row.id], ("sent",) if row.state == "sent" else ("queued", "sent"))
    listed = [(listed, db.session.get(ActionItem, listed.item_id)) for listed in rows]
    listed = [(listed, item) for listed, item in listed if item is not None]
    if len(listed) == 1:
        from dashboard.notify.emails import render

        return render(listed[0][0])
    return render_digest(row, firm, listed)
