"""Forms of the account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from dashboard.accounts.labels import FOLDER_ACCESS_LABELS

ACCESS_CHOICES = [SelectChoice(value, label) for value, label in FOLDER_ACCESS_LABELS.items()]


class FolderForm(FlaskForm):
    name = StringField(_l("Folder name"), validators=[DataRequired(), Length(max=120)])
    access = SelectField(_l("Access"), choices=ACCESS_CHOICES, default="view")


class FolderAccessForm(FlaskForm):
    access = SelectField(_l("Access"), choices=ACCESS_CHOICES)
