"""What the registered document actions add to a page of documents (no kind is named here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dashboard.accounts.models import Folder
from dashboard.auth.models import User
from dashboard.documents.models import Document
from dashboard.items.document_actions import (
    Badge,
    DocumentFilter,
    MenuEntry,
    PageTab,
    SubTab,
    UploadOption,
    ViewerSection,
    document_actions,
)


@dataclass
class Annotations:
    """Per document id: its badges and the entries kinds add to its ⋯ menu or buttons."""

    badges: dict[int, list[Badge]] = field(default_factory=dict)
    menus: dict[int, list[MenuEntry]] = field(default_factory=dict)

    def states(self, document_id: int) -> list[str]:
        return [badge.state for badge in self.badges.get(document_id, [])]


def staff_annotations(pairs: Iterable[tuple[Folder, Document]]) -> Annotations:
    """Badges and ⋯ entries for staff lists: one query per action for the whole page."""
    pairs = list(pairs)
    ids = [document.id for _, document in pairs]
    notes = Annotations()
    for action in document_actions():
        badges = action.badges(ids) if ids else {}
        for folder, document in pairs:
            badge = badges.get(document.id)
            if badge is not None:
                notes.badges.setdefault(document.id, []).append(badge)
            entries = action.staff_menu(document, folder, badge)
            if entries:
                notes.menus.setdefault(document.id, []).extend(entries)
    return notes


def staff_badges(document_ids: list[int]) -> Annotations:
    """Only the badges (a list without ⋯ menus, the Documents page): one query per action."""
    notes = Annotations()
    if not document_ids:
        return notes
    for action in document_actions():
        for document_id, badge in action.badges(document_ids).items():
            notes.badges.setdefault(document_id, []).append(badge)
    return notes


def portal_annotations(document_ids: list[int]) -> Annotations:
    """Badges and client buttons for the portal's Documents page."""
    notes = Annotations()
    if not document_ids:
        return notes
    for action in document_actions():
        for document_id, badge in action.badges(document_ids).items():
            notes.badges.setdefault(document_id, []).append(badge)
        for document_id, entries in action.portal_buttons(document_ids).items():
            notes.menus.setdefault(document_id, []).extend(entries)
    return notes


def portal_locked(document_ids: list[int]) -> set[int]:
    """Which of these documents the client may not open yet, as any action says."""
    if not document_ids:
        return set()
    return {i for action in document_actions() for i in action.portal_locked(document_ids)}


def viewer_sections(document: Document, folder: Folder, extra: dict) -> list[ViewerSection]:
    sections = (action.viewer(document, folder, extra) for action in document_actions())
    return [section for section in sections if section is not None]


def upload_options(folder: Folder) -> list[UploadOption]:
    return [option for action in document_actions() for option in action.upload_options(folder)]


def after_upload(
    uploader: User, folder: Folder, documents: list[Document], form: Mapping[str, str]
) -> None:
    for action in document_actions():
        action.after_upload(uploader, folder, documents, form)


def filters() -> list[DocumentFilter]:
    return [item for action in document_actions() for item in action.filters()]


def page_tabs() -> list[PageTab]:
    return [tab for action in document_actions() for tab in action.page_tabs()]


def docs_subtabs() -> list[SubTab]:
    """The Docs tab's sub-tabs after Documents, as the kinds declare them."""
    return [tab for action in document_actions() for tab in action.docs_subtabs()]
