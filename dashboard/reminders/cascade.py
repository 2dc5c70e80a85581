"""The settings cascade (B8): item → template or automation → firm default.

A template or an automation either inherits the firm's reminder defaults (read when an item
is made from it, so changing the firm default changes every inheriting template at once) or
keeps its own values. The item keeps what it was made with, and where that came from
(`Reminder.origin`), until staff change it.

Where an item's values came from is never taken from the browser: a send form is checked
against the source it was prefilled from, resolved again on the server when it is posted
(`ReminderSettings.parse` with that source's settings as `defaults`). Values equal to what
the source gives now keep its origin; anything else is "item".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Mapped, mapped_column

from dashboard.auth.models import Firm
from dashboard.reminders.service import ReminderSettings

#: Where an item's reminder values can come from (`Reminder.origin`); the item's panel
#: (reminders/_origin.html) says it: "Every 3 days — firm default".
ORIGINS = ("firm", "template", "automation", "item")

#: The form field of the *Firm default* / *Custom* choice on a template's form.
INHERIT_FIELD = "reminders_inherit"


class _Inherits:
    #: True: use the firm's defaults as they are when an item is made ("Firm default").
    reminders_inherit: Mapped[bool] = mapped_column(default=True)

    def own_reminders(self) -> tuple[bool, int, int]:
        """Its own toggle, days and number (used when it does not inherit)."""
        raise NotImplementedError


class InheritableReminders(_Inherits):
    """Reminder columns of something items are made from (a template, an automation)."""

    #: Its own *Reminders* toggle, days and number, used when it does not inherit.
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    reminder_interval_days: Mapped[int] = mapped_column(default=3)
    reminder_max_count: Mapped[int] = mapped_column(default=1)

    def own_reminders(self) -> tuple[bool, int, int]:
        return self.reminders_enabled, self.reminder_interval_days, self.reminder_max_count


class TemplateReminders(_Inherits):
    """The inherit choice for the templates (chat, invoice, organizer, proposal), whose own
    columns are older than the cascade: `reminders_enabled`, `interval_days`, `max_count`.

    A template made without a word about reminders inherits the firm default; one made with
    its own values (code and data that predate the choice) keeps them, as the migration does
    for the templates that existed before it.
    """

    _OWN_COLUMNS = frozenset({"reminders_enabled", "interval_days", "max_count"})

    def __init__(self, **kwargs: Any) -> None:
        if INHERIT_FIELD not in kwargs:
            kwargs[INHERIT_FIELD] = not (self._OWN_COLUMNS & kwargs.keys())
        super().__init__(**kwargs)

    def own_reminders(self) -> tuple[bool, int, int]:
        row: Any = self  # the template's own columns (not declared on the mixin)
        return row.reminders_enabled, row.interval_days, row.max_count

    def set_reminders(self, inherit: bool, own: ReminderSettings) -> None:
        """Save the choice; the own values are kept while it inherits (Custom brings them back)."""
        row: Any = self
        row.reminders_inherit = inherit
        row.reminders_enabled = own.enabled
        row.interval_days, row.max_count = own.interval_days, own.max_count


def resolve(firm: Firm, source: Any | None, origin: str) -> ReminderSettings:
    """The settings an item made from `source` starts with, and where they came from
    (`origin` names the source: "template" or "automation"; an inheriting source or none at
    all gives the firm default, origin "firm")."""
    if source is None or getattr(source, INHERIT_FIELD, False):
        return ReminderSettings.defaults_for(firm)
    enabled, interval_days, max_count = source.own_reminders()
    return ReminderSettings(bool(enabled), int(interval_days), int(max_count), origin)


def own_settings(source: Any) -> ReminderSettings:
    """A template's or automation's own values, whether or not it inherits now."""
    enabled, interval_days, max_count = source.own_reminders()
    return ReminderSettings(bool(enabled), int(interval_days), int(max_count))


def parse_choice(form: Any, firm: Firm, own: ReminderSettings) -> tuple[bool, ReminderSettings]:
    """A template form's Reminders: (inherit, the own values to keep).

    *Firm default* keeps the template's own values untouched (the fields are shown greyed
    with the firm's values and are not sent). *Custom* reads the fields; when they were not
    sent (the page switched to Custom without its script) the values the page showed, the
    firm's, become the template's own. A form without the choice (older clients) is Custom.
    Out-of-range numbers raise SettingsError.
    """
    choice = form.get(INHERIT_FIELD)
    if choice == "1":
        return True, own
    if choice == "0" and "interval_days" not in form and "max_count" not in form:
        return False, ReminderSettings.defaults_for(firm)
    return False, ReminderSettings.parse(form, own)


@dataclass(frozen=True)
class TemplateChoice:
    """What a template form's Reminders show (the macro template_reminder_fields)."""

    inherit: bool
    enabled: bool
    interval_days: Any
    max_count: Any
    firm: ReminderSettings


def template_choice(firm: Firm, template: Any | None, form: Any | None = None) -> TemplateChoice:
    """The posted choice and values when the form is shown again after a refusal, else the
    template's (a new template starts on *Firm default*)."""
    defaults = ReminderSettings.defaults_for(firm)
    own = own_settings(template) if template is not None else defaults
    if form is None:
        inherit = bool(template.reminders_inherit) if template is not None else True
        return TemplateChoice(inherit, own.enabled, own.interval_days, own.max_count, defaults)
    inherit = form.get(INHERIT_FIELD) == "1"
    if not inherit and ("interval_days" in form or "max_count" in form):
        return TemplateChoice(
            False,
            form.get("reminders") == "on",
            form.get("interval_days"),
            form.get("max_count"),
            defaults,
        )
    if not inherit:
        own = defaults  # switched to Custom without the script: the values the page showed
    return TemplateChoice(inherit, own.enabled, own.interval_days, own.max_count, defaults)
