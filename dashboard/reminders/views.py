"""Staff routes every kind shares: reminder settings, resend, and the timeline of an item."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.auth.models import Firm
from dashboard.extensions import db
from dashboard.htmx import is_partial, render_partial, trigger
from dashboard.items.models import ActionItem
from dashboard.reminders.service import (
    ReminderSettings,
    SettingsError,
    resend_item,
    update_settings,
)
from dashboard.reminders.timeline import build_timeline
from dashboard.tenancy import current_firm_id, firm_get

bp = Blueprint("reminders", __name__)


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


def panel(item: ActionItem, status: int = 200, **extra):
    """The item's Reminders panel: settings form with Save, and the timeline."""
    return render_partial("reminders/_panel.html", status, item=item,
                          timeline=build_timeline(item), **extra)


@bp.route("/clients/<int:account_id>/items/<int:item_id>/reminders", methods=["GET", "POST"])
def settings(account_id: int, item_id: int):
    """Show, or save, the reminder settings of a pending item (htmx form with Save)."""
    item = firm_get(ActionItem, item_id, account_id=account_id)
    if request.method == "GET":
        return panel(item)
    if not item.is_pending:
        return panel(item, 422, error=_("This item is no longer pending."))
    firm = db.session.get(Firm, item.firm_id)
    assert firm is not None
    try:
        values = ReminderSettings.parse(request.form, ReminderSettings.defaults_for(firm))
    except SettingsError as invalid:
        return panel(item, 422, errors=invalid.errors, form=request.form)
    update_settings(current_user, item, values)
    db.session.commit()
    return trigger(panel(item, success=_("Reminder settings saved.")), "itemChanged")


@bp.route("/clients/<int:account_id>/items/<int:item_id>/resend", methods=["POST"])
def resend(account_id: int, item_id: int):
    """Resend from the ⋯ menu: one more email now, also when automatic reminders are on."""
    item = firm_get(ActionItem, item_id, account_id=account_id)
    sent = resend_item(current_user, item, request.form.get("message", "").strip()[:5000])
    db.session.commit()
    message = _("Sent again.") if sent else _(
        "Not sent: it was sent moments ago, or it is no longer pending.")
    if is_partial():
        return trigger(panel(item, success=message if sent else None,
                             error=None if sent else message), "itemChanged")
    return redirect(request.referrer or url_for("accounts.info_tab", account_id=account_id))
