"""Staff routes every kind shares: reminder settings, resend, and the timeline of an item;
the firm's reminder settings (defaults, window, daily digest) and pauses (B9)."""

from __future__ import annotations

from datetime import timedelta

from babel.dates import get_day_names
from babel.lists import format_list
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.accounts.models import Account
from dashboard.auth.models import Firm
from dashboard.extensions import db
from dashboard.htmx import flash_outcome, is_partial, render_partial, trigger
from dashboard.items.kinds import kind_of
from dashboard.items.models import ActionItem
from dashboard.reminders import pause
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


def _firm_editor() -> bool:
    """Owners and admins change the firm's reminder settings and pause it; others read."""
    return current_user.role in ("owner", "admin")


@bp.route("/settings/reminders", methods=["GET", "POST"])
def firm_defaults():
    """The firm's reminder defaults, send window and daily digest (B8, B1, B3), and its
    pause (B9); owners and admins change them."""
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    can_edit = _firm_editor()
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
            if "digest" in request.form:  # the page's checkbox (a hidden "off" before it)
                firm.digest_enabled = "on" in request.form.getlist("digest")
            db.session.commit()
            flash(_("Reminder defaults saved."), "success")
            return redirect(url_for("reminders.firm_defaults"))
    return _firm_page(firm, errors, request.form if errors else None)


def _firm_page(firm: Firm, errors: dict[str, str], form=None, pause_error: str | None = None):
    status = 422 if errors or pause_error else 200
    names = get_day_names("abbreviated", locale=get_locale())
    weekday_names = [(str(number), names[number - 1]) for number in range(1, 8)]
    return render_template(
        "reminders/firm_defaults.html",
        firm=firm,
        can_edit=_firm_editor(),
        errors=errors,
        form=form,
        weekday_names=weekday_names,
        firm_pause=next((p for p in pause.active_pauses(None, firm) if p.scope == "firm"), None),
        pause_error=pause_error,
        pause_dates=_pause_dates(firm),
    ), status


@bp.route("/settings/reminders/pause", methods=["POST"])
def pause_firm():
    """Pause every automatic reminder of the firm until a date (an office closure)."""
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    if not _firm_editor():
        abort(403)
    try:
        until = pause.parse_until(request.form.get("until"), firm)
    except pause.PauseError as invalid:
        return _firm_page(firm, {}, pause_error=str(invalid))
    pause.pause_firm(current_user, firm, until)
    db.session.commit()
    flash(
        _("Every reminder of the firm is paused until %(date)s.", date=pause.long_date(until)),
        "success",
    )
    return redirect(url_for("reminders.firm_defaults"))


@bp.route("/settings/reminders/resume", methods=["POST"])
def resume_firm():
    """End the firm-wide pause now: overdue reminders go once, inside the send window."""
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    if not _firm_editor():
        abort(403)
    resumed = pause.resume_firm(current_user, firm)
    db.session.commit()
    if resumed:
        flash(_("Reminders resumed."), "success")
    return redirect(url_for("reminders.firm_defaults"))


def _pause_dates(firm: Firm) -> dict[str, str]:
    """The dates a pause may end on, for the date input's min and max."""
    today = pause.firm_today(firm)
    return {
        "min": (today + timedelta(days=1)).isoformat(),
        "max": (today + timedelta(days=pause.MAX_PAUSE_DAYS)).isoformat(),
    }


@bp.app_context_processor
def _pause_helpers() -> dict:
    """`account_pause(account)` for the account page's pause control (any template)."""
    return {"account_pause": _account_pause_context}


def _account_pause_context(account: Account) -> dict:
    firm = db.session.get(Firm, account.firm_id)
    assert firm is not None
    pauses = pause.active_pauses(account, firm)
    return {
        "own": next((p for p in pauses if p.scope == "account"), None),
        "firm": next((p for p in pauses if p.scope == "firm"), None),
        "dates": _pause_dates(firm),
        "can_edit_firm": _firm_editor(),
    }


def _account_pause_answer(account: Account, status: int = 200, **extra):
    """The pause control after a change (htmx), or back to the page it was on."""
    if is_partial():
        return render_partial("reminders/_account_pause.html", status, account=account, **extra)
    flash_outcome(error=extra.get("pause_error"), success=extra.get("pause_success"))
    return redirect(request.referrer or url_for("accounts.info_tab", account_id=account.id))


@bp.route("/clients/<int:account_id>/reminders/pause", methods=["POST"])
def pause_account(account_id: int):
    """Pause a client's automatic reminders until a date (any staff member)."""
    account = firm_get(Account, account_id)
    firm = db.session.get(Firm, account.firm_id)
    assert firm is not None
    try:
        until = pause.parse_until(request.form.get("until"), firm)
    except pause.PauseError as invalid:
        return _account_pause_answer(account, 422, pause_error=str(invalid))
    pause.pause_account(current_user, account, until)
    db.session.commit()
    return trigger(_account_pause_answer(account), "itemChanged")  # its banner says it


@bp.route("/clients/<int:account_id>/reminders/resume", methods=["POST"])
def resume_account(account_id: int):
    """End a client's pause now: overdue reminders go once, inside the send window."""
    account = firm_get(Account, account_id)
    resumed = pause.resume_account(current_user, account)
    db.session.commit()
    message = _("Reminders resumed.") if resumed else None
    return trigger(_account_pause_answer(account, pause_success=message), "itemChanged")


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
