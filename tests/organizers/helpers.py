"""Organizers for tests, through the real service."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from dashboard.extensions import db
from dashboard.organizers import service
from dashboard.reminders.service import ReminderSettings

#: One question of every type; "children" shows only when "has_kids" is yes, "names" only
#: when "children" is shown and is "2" or "3+".
QUESTIONS = [
    ("name", "You", "short_text", "Full name", True, "", "", ""),
    ("notes", "You", "long_text", "Anything we should know?", False, "", "", ""),
    ("has_kids", "Family", "yes_no", "Do you have children?", True, "", "", ""),
    ("children", "Family", "single", "How many?", True, "1\n2\n3+", "has_kids", "yes"),
    ("names", "Family", "short_text", "Their first names", True, "", "children", "2, 3+"),
    ("income", "Income", "multiple", "Income sources", True, "Salary\nRent\nDividends", "", ""),
    ("rent", "Income", "amount", "Rent received", False, "", "income", "Rent"),
    ("days", "Income", "number", "Days worked abroad", False, "", "", ""),
    ("moved", "Home", "date", "Date you moved", False, "", "", ""),
    ("payslip", "Home", "file", "Your last payslip", True, "", "", ""),
]


def template_form(name: str = "Tax organizer 2026", **extra) -> MultiDict:
    form = MultiDict({"name": name, "intro": "Please answer.", "folder_name": "Organizer 2026"})
    for key, section, kind, label, required, options, show_key, show_values in QUESTIONS:
        for field, value in (
            ("q_key", key),
            ("q_section", section),
            ("q_type", kind),
            ("q_label", label),
            ("q_help", ""),
            ("q_options", options),
            ("q_show_key", show_key),
            ("q_show_values", show_values),
        ):
            form.add(field, value)
        if required:
            form.add("q_required", key)
    for field, value in extra.items():
        form[field] = value
    return form


def make_template(firm):
    template = service.save_template(firm, None, template_form(), ReminderSettings(True, 4, 2))
    db.session.commit()
    return template


def sent_organizer(staff, account, template=None):
    template = template or make_template(account.firm if hasattr(account, "firm") else None)
    organizer = service.send_organizer(
        staff, account, template, "Hello", ReminderSettings(True, 4, 2)
    )
    db.session.commit()
    return organizer
