"""Staff routes every kind shares: reminder settings, resend, and the timeline of an item."""

from __future__ import annotations

from babel.dates import get_day_names
from babel.lists import format_list
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.auth.models import Firm
from dashboard.extensions import db
from dashboard.htmx import is_partial, render_partial, trigger
from dashboard.items.kinds import kind_of
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
    return render_partial(
        "reminders/_panel.html", status, item=item, timeline=build_timeline(item), **extra
    )


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
    names = [user.name or user.email for user in kind_of(item).recipients(item)] if sent else []
    db.session.commit()
    if sent:
        message = _("Sent again to %(names)s.", names=format_list(names, locale=str(get_locale())))
    else:
        message = _("Not sent: it was sent moments ago, or it is no longer pending.")
    if is_partial():
        return trigger(
            panel(item, success=message if sent else None, error=None if sent else message),
            "itemChanged",
        )
    flash(message, "success" if sent else "warning")
    return redirect(request.referrer or url_for("accounts.info_tab", account_id=account_id))


@bp.route("/clients/<int:account_id>/items/<int:item_id>/open")
def open_item(account_id: int, item_id: int):
    """Go to the page where staff see this item (links from Inbox+ and emails)."""
    item = firm_get(ActionItem, item_id, account_id=account_id)
    return redirect(kind_of(item).staff_path(item))


@bp.route("/settings/reminders", methods=["GET", "POST"])
def firm_defaults():
    """The firm's reminder defaults and send window (B8, B1); owners and admins change them."""
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    can_edit = current_user.role in ("owner", "admin")
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not can_edit:
            abort(403)
        try:
            values = ReminderSettings.parse(request.form, ReminderSettings.defaults_for(firm))
        except SettingsError as invalid:
            errors.update(invalid.errors)
            values = None
        window = _parse_window(request.form, errors)
        if values is not None and window is not None:
            firm.reminders_enabled = values.enabled
            firm.reminder_interval_days = values.interval_days
            firm.reminder_max_count = values.max_count
            firm.window_start_hour, firm.window_end_hour, firm.window_weekdays = window
            db.session.commit()
            flash(_("Reminder defaults saved."), "success")
            return redirect(url_for("reminders.firm_defaults"))
    status = 422 if errors else 200
    names = get_day_names("abbreviated", locale=get_locale())
    weekday_names = [(str(number), names[number - 1]) for number in range(1, 8)]
    return render_template(
        "reminders/firm_defaults.html",
        firm=firm,
        can_edit=can_edit,
        errors=errors,
        form=request.form if errors else None,
        weekday_names=weekday_names,
    ), status


def _parse_window(form, errors: dict[str, str]) -> tuple[int, int, str] | None:
    try:
        start, end = int(form.get("window_start", "")), int(form.get("window_end", ""))
    except ValueError:
        start, end = -1, -1
    if not (0 <= start < end <= 24):
        errors["window"] = _("Choose an opening hour before the closing hour (0 to 24).")
    days = "".join(sorted({d for d in form.getlist("weekdays") if d in "1234567" and d}))
    if not days:
        errors["weekdays"] = _("Choose at least one day.")
    if "window" in errors or "weekdays" in errors:
        return None
    return start, end, days
