"""An organizer's questions and answers as a PDF (WeasyPrint, like invoices and seals), in the
firm's language."""

from __future__ import annotations

from flask import render_template

from dashboard.auth.models import Firm
from dashboard.clock import now
from dashboard.i18n import language
from dashboard.organizers import questions as rules
from dashboard.organizers.models import Organizer
from dashboard.organizers.service import STATE_LABELS, answers_of
from dashboard.signatures.sealing import render_html
from dashboard.signatures.signed_copy import firm_time, static_base


def pdf_name(organizer: Organizer) -> str:
    stem = "".join(ch for ch in organizer.title if ch.isalnum() or ch in " -_").strip()
    return f"{stem[:120] or 'organizer'}.pdf"


def sealed_pdf(organizer: Organizer, firm: Firm, documents: dict) -> bytes:
    """The answers PDF sealed under the firm's certificate (signatures.sealing: the one
    implementation of evidence): any later change to the file breaks the seal."""
    from flask_babel import gettext as _

    from dashboard.signatures import certificates, sealing

    data = organizer_pdf(organizer, firm, documents)
    key = certificates.material(certificates.seal_key_for(firm))
    with language(firm.default_language):
        reason = _("Organizer sealed by %(firm)s", firm=firm.name)
    return sealing.seal(data, key.certificate_pem, key.key_pem, reason, firm.name)


def organizer_pdf(organizer: Organizer, firm: Firm, documents: dict) -> bytes:
    answers = answers_of(organizer)
    with language(firm.default_language):
        html = render_template(
            "organizers/pdf.html",
            organizer=organizer,
            firm=firm,
            answers=answers,
            documents={a.key: documents.get(a.document_id) for a in organizer.answers},
            shown={q["key"] for q in rules.visible(organizer.questions, answers)},
            sections=rules.sections(organizer.questions),
            progress=rules.progress(organizer.questions, answers),
            state=STATE_LABELS[organizer.state],
            generated=firm_time(now(), firm),
        )
    return render_html(html, base_url=static_base())
