"""The portal blueprint and its shell: whose portal this is, and the read-only view.

Each kind's client pages (`approvals/portal_views.py`, `chats/portal_views.py`, …) add their
routes to this blueprint, so every portal page passes through `resolve_portal_user` and the
read-only view refuses every change, whatever kind the page belongs to.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, session, url_for
from flask_babel import refresh
from flask_login import current_user
from sqlalchemy import func, select

from dashboard.accounts.models import Account, Contact
from dashboard.extensions import db
from dashboard.tenancy import client_account_ids

bp = Blueprint("portal", __name__, url_prefix="/portal")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@bp.before_request
def resolve_portal_user():
    """Decide whose portal this is; in the read-only view refuse every change, whatever it is."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    g.read_only = False
    if current_user.is_staff:
        contact_id = session.get("portal_view_contact_id")
        contact = db.session.scalar(
            select(Contact).where(
                Contact.id == (contact_id or 0),
                Contact.firm_id == current_user.firm_id,
                Contact.portal_access.is_(True),
            )
        )
        if contact is None:
            return redirect(url_for("accounts.clients"))
        g.read_only = True
        g.viewed_contact = contact
        g.portal_user = contact.user
        refresh()  # the page is in the contact's language from here on (dashboard/i18n.py)
        if request.method not in SAFE_METHODS:
            abort(403)
    else:
        g.portal_user = current_user._get_current_object()
    return None


def portal_accounts() -> list[Account]:
    return list(
        db.session.scalars(
            select(Account)
            .where(Account.id.in_(client_account_ids()))
            .order_by(func.lower(Account.name))
        )
    )
