"""Question rules: the types, reading an answer, which questions show, what is answered.

A question is a dict (stored as JSON on the template and frozen on the organizer):
``key`` (stable id), ``section``, ``type``, ``label``, ``help``, ``required``, ``options``
(choices) and ``show_if`` (``{"key": <an earlier question>, "values": [...]}``: shown only when
that question is shown and its answer is one of the values; "yes"/"no" for a yes/no question).
"""

from __future__ import annotations

import re
import secrets
from datetime import date

from flask_babel import lazy_gettext as _l

from dashboard.invoices.money import MoneyError, parse_decimal

TYPES = {
    "short_text": _l("Short text"),
    "long_text": _l("Long text"),
    "yes_no": _l("Yes / no"),
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "number": _l("Number"),
    "amount": _l("Amount"),
    "date": _l("Date"),
    "file": _l("File upload"),
}
CHOICE_TYPES = ("single", "multiple")
MAX_QUESTIONS = 200
MAX_TEXT = 5000
_KEY = re.compile(r"[A-Za-z0-9_-]{1,16}")


class AnswerError(ValueError):
    """An answer that cannot be kept as typed; the message is shown next to the question."""


def new_key() -> str:
    return secrets.token_hex(4)


def read_answer(question: dict, raw: list[str]) -> object | None:
    """The answer to keep from the posted values (None: no answer), or AnswerError."""
    kind = question["type"]
    values = [v.strip() for v in raw if v.strip()]
    if not values:
        return None
    first = values[0]
    if kind in ("short_text", "long_text"):
        limit = 500 if kind == "short_text" else MAX_TEXT
        return " ".join(first.split())[:limit] if kind == "short_text" else first[:limit]
    if kind == "yes_no":
        if first not in ("yes", "no"):
            raise AnswerError(str(_l("Choose yes or no.")))
        return first
    if kind in CHOICE_TYPES:
        options = question.get("options") or []
        chosen = [v for v in values if v in options]
        if len(chosen) != len(values) or (kind == "single" and len(chosen) > 1):
            raise AnswerError(str(_l("Choose from the list.")))
        return chosen if kind == "multiple" else chosen[0]
    if kind in ("number", "amount"):
        try:
            number = parse_decimal(first, places=2 if kind == "amount" else 6)
        except MoneyError as error:
            raise AnswerError(str(_l("Enter a number, like 1 234,50."))) from error
        return str(number)
    if kind == "date":
        try:
            return date.fromisoformat(first).isoformat()
        except ValueError as error:
            raise AnswerError(str(_l("Enter a date."))) from error
    raise AnswerError(str(_l("This question takes a file.")))


def _matches(answer: object, values: list[str]) -> bool:
    if isinstance(answer, list):
        return any(a in values for a in answer)
    return answer in values


def visible(questions: list[dict], answers: dict[str, object]) -> list[dict]:
    """The questions shown, in order: a condition on a hidden question hides this one too."""
    shown: dict[str, dict] = {}
    for question in questions:
        rule = question.get("show_if")
        if (
            rule
            and rule.get("key")
            and (rule["key"] not in shown or not _matches(answers.get(rule["key"]), rule["values"]))
        ):
            continue
        shown[question["key"]] = question
    return list(shown.values())


def progress(questions: list[dict], answers: dict[str, object]) -> tuple[int, int]:
    """(answered, total) over the questions shown."""
    shown = visible(questions, answers)
    return sum(1 for q in shown if answers.get(q["key"]) not in (None, "", [])), len(shown)


def missing_required(questions: list[dict], answers: dict[str, object]) -> list[dict]:
    return [
        q
        for q in visible(questions, answers)
        if q.get("required") and answers.get(q["key"]) in (None, "", [])
    ]


def first_unanswered(questions: list[dict], answers: dict[str, object]) -> dict | None:
    return next(
        (q for q in visible(questions, answers) if answers.get(q["key"]) in (None, "", [])), None
    )


def sections(questions: list[dict]) -> list[tuple[str, list[dict]]]:
    """Consecutive questions grouped by their section title."""
    groups: list[tuple[str, list[dict]]] = []
    for question in questions:
        title = question.get("section") or ""
        if not groups or groups[-1][0] != title:
            groups.append((title, []))
        groups[-1][1].append(question)
    return groups


def _condition(earlier: list[dict], label: str, key: str, raw: str) -> dict | None:
    """ "Show when <an earlier question> is one of …": yes/no accept the words of the
    reader's language ("Yes", "Ja", "Sim"), a choice question its own choices."""
    if not key:
        return None
    parent = next((q for q in earlier if q["key"] == key), None)
    if parent is None:
        raise AnswerError(
            str(_l("“%(label)s” can only depend on a question above it.", label=label))
        )
    words = [v.strip() for v in raw.split(",") if v.strip()]
    if parent["type"] == "yes_no":
        names = {str(_l("Yes")).casefold(): "yes", str(_l("No")).casefold(): "no"}
        names.update({"yes": "yes", "no": "no"})
        values = [names.get(w.casefold(), "") for w in words] or ["yes"]
    elif parent["type"] in CHOICE_TYPES:
        values = [w if w in parent["options"] else "" for w in words]
    else:
        values = [""]
    if "" in values:
        raise AnswerError(
            str(
                _l(
                    "“%(label)s”: show it when “%(parent)s” is Yes or No, or one of its choices.",
                    label=label,
                    parent=parent["label"],
                )
            )
        )
    return {"key": key, "values": values}


def from_form(form) -> list[dict]:
    """The template editor's rows, in order; empty rows skipped; conditions only on an
    earlier question."""
    rows = zip(
        form.getlist("q_key"),
        form.getlist("q_section"),
        form.getlist("q_type"),
        form.getlist("q_label"),
        form.getlist("q_help"),
        form.getlist("q_options"),
        form.getlist("q_show_key"),
        form.getlist("q_show_values"),
        strict=False,
    )
    required = set(form.getlist("q_required"))
    questions: list[dict] = []
    for key, section, kind, label, help_text, options, show_key, show_values in rows:
        label = " ".join(label.split())[:300]
        if not label:
            continue
        if kind not in TYPES:
            raise AnswerError(str(_l("Choose a type for “%(label)s”.", label=label)))
        key = key if _KEY.fullmatch(key or "") else new_key()
        if any(q["key"] == key for q in questions):
            key = new_key()
        choices = [o.strip()[:200] for o in options.splitlines() if o.strip()][:50]
        if kind in CHOICE_TYPES and len(choices) < 2:
            raise AnswerError(
                str(_l("“%(label)s” needs at least two choices, one per line.", label=label))
            )
        rule = _condition(questions, label, show_key, show_values)
        questions.append(
            {
                "key": key,
                "section": " ".join(section.split())[:200],
                "type": kind,
                "label": label,
                "help": help_text.strip()[:1000],
                "required": key in required,
                "options": choices if kind in CHOICE_TYPES else [],
                "show_if": rule,
            }
        )
    if len(questions) > MAX_QUESTIONS:
        raise AnswerError(str(_l("An organizer can have at most 200 questions.")))
    return questions
