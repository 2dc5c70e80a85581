"""No inline style in what the browser gets: the CSP's style-src has no 'unsafe-inline'
(issue 12 §5.6), so a style="" attribute or a <style> element in a page is refused (and shows
as a console error). Styles are classes (Bootstrap's or app.css); JavaScript styles through the
CSSOM (`el.style.width = …`), which the CSP allows."""

from __future__ import annotations

import re
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
TEMPLATES = DASHBOARD / "templates"

#: Rendered only to PDF (WeasyPrint) or to email: never served with the page CSP.
NOT_SERVED = (
    re.compile(r"(^|/)pdf[^/]*\.html$"),
    re.compile(r"pdf_pages\.html$"),
    re.compile(r"(^|/)_certificate[^/]*$"),
    re.compile(r"^emails/"),
)

STYLE_ATTRIBUTE = re.compile(r"(?<![\w-])style\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)


def _served_templates() -> list[Path]:
    paths = []
    for path in sorted(TEMPLATES.rglob("*")):
        name = path.relative_to(TEMPLATES).as_posix()
        if path.is_file() and not any(rule.search(name) for rule in NOT_SERVED):
            paths.append(path)
    return paths


def _offences(path: Path, pattern: re.Pattern) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [
        f"{path.relative_to(DASHBOARD)}:{text.count(chr(10), 0, match.start()) + 1}"
        for match in pattern.finditer(text)
    ]


def test_no_style_attribute_or_element_in_served_templates():
    templates = _served_templates()
    assert len(templates) > 100  # the walk found the templates
    offences = [
        where
        for path in templates
        for where in _offences(path, STYLE_ATTRIBUTE) + _offences(path, STYLE_ELEMENT)
    ]
    assert offences == []


def test_scripts_style_through_the_cssom():
    """Our scripts never write a style attribute as a string (setAttribute, innerHTML)."""
    offences = [
        where
        for path in sorted((DASHBOARD / "static").glob("*.js"))
        for where in _offences(path, STYLE_ATTRIBUTE)
        + _offences(path, re.compile(r"setAttribute\(\s*[\"']style"))
    ]
    assert offences == []


def test_htmx_injects_no_indicator_style():
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in base
    # Settling copies attributes with setAttribute, which the CSP refuses for style.
    assert '"attributesToSettle": ["class", "width", "height"]' in base
    app_css = (DASHBOARD / "static" / "app.css").read_text(encoding="utf-8")
    assert ".htmx-indicator { opacity: 0; }" in app_css


def test_policy_has_no_unsafe_inline(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
