"""Forms of the account page: contacts, folders."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from dashboard.accounts.labels import FOLDER_ACCESS_LABELS
from dashboard.accounts.service import EMAIL_PATTERN, ContactValues, valid_time_zone
from dashboard.i18n import LANGUAGE_NAMES

ACCESS_CHOICES = [SelectChoice(value, label) for value, label in FOLDER_ACCESS_LABELS.items()]


class FolderForm(FlaskForm):
    name = StringField(_l("Folder name"), validators=[DataRequired(), Length(max=120)])
    access = SelectField(_l("Access"), choices=ACCESS_CHOICES, default="view")


class FolderAccessForm(FlaskForm):
    access = SelectField(_l("Access"), choices=ACCESS_CHOICES)


#: The time zones offered for a contact (the firm's clients are mostly in Europe).
COMMON_TIME_ZONES = (
    "Europe/Lisbon",
    "Europe/London",
    "Europe/Dublin",
    "Atlantic/Azores",
    "Atlantic/Madeira",
    "Atlantic/Canary",
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Amsterdam",
    "Europe/Luxembourg",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Vienna",
    "Europe/Copenhagen",
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Bucharest",
    "Europe/Istanbul",
)


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ContactForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=200)], filters=[_stripped]
    )
    email = EmailField(
        _l("Email"),
        filters=[_stripped],
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message=_l("Enter an email address like name@example.com.")),
        ],
    )
    language = SelectField(
        _l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]
    )
    time_zone = SelectField(_l("Time zone"), validate_choice=False)
    portal_access = BooleanField(_l("Portal access"), default=True)
    notify = BooleanField(_l("Notify"), default=True)

    def __init__(self, *args, firm_time_zone: str = "Europe/Paris", current_zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        zones = sorted(set(COMMON_TIME_ZONES) | ({current_zone} if current_zone else set()))
        self.time_zone.choices = [
            SelectChoice("", _l("Firm’s time zone (%(zone)s)", zone=firm_time_zone)),
            *(SelectChoice(zone, zone.replace("_", " ")) for zone in zones),
        ]

    def validate_time_zone(self, field) -> None:
        if field.data and not valid_time_zone(field.data):
            raise ValidationError(_l("Choose a time zone from the list."))

    def values(self) -> ContactValues:
        return ContactValues(
            name=self.name.data or "",
            email=self.email.data or "",
            language=self.language.data or "",
            time_zone=self.time_zone.data or None,
            portal_access=bool(self.portal_access.data),
            notify=bool(self.notify.data),
        )
