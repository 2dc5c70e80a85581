"""The staff document viewer's context and answers, shared by documents and the kinds.

A kind's form in the viewer (request approval, resend, …) answers with the whole viewer
re-rendered; it calls `answer_viewer` here rather than a documents view.
"""

from __future__ import annotations

from flask import redirect, url_for

from dashboard.accounts.models import Account, Folder
from dashboard.documents import actions
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.htmx import flash_outcome, is_partial, render_page_or_partial, render_partial

VIEWER_PAGE = "documents/viewer.html"
VIEWER_PANEL = "documents/_viewer_panel.html"


def viewer_context(document: Document, **extra) -> dict:
    """The document, its folder and account, and each kind's section of the viewer."""
    folder = db.session.get(Folder, document.folder_id)
    assert folder is not None
    notes = actions.staff_annotations([(folder, document)])
    sections = actions.viewer_sections(document, folder, extra)
    context = {
        "document": document,
        "account": db.session.get(Account, document.account_id),
        "folder": folder,
        "sections": sections,
        "badges": notes.badges.get(document.id, []),
        **extra,
    }
    for section in sections:  # a section's templates read its names at the top level
        clash = context.keys() & section.context.keys()
        assert not clash, f"viewer sections disagree on {clash}"
        context.update(section.context)
    return context


def render_viewer(document: Document, **extra):
    return render_page_or_partial(VIEWER_PAGE, VIEWER_PANEL, **viewer_context(document, **extra))


def answer_viewer(document: Document, status: int = 200, **extra):
    """The re-rendered viewer panel (htmx), or a redirect to the viewer with a flash."""
    if is_partial():
        return render_partial(VIEWER_PANEL, status, **viewer_context(document, **extra))
    flash_outcome(**extra)
    return redirect(
        url_for("documents.viewer", account_id=document.account_id, document_id=document.id)
    )
