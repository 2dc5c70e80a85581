"""What a kind adds to documents: badges, ⋯ entries, viewer sections, upload options, filters.

`documents/` owns files, folders, the lists and the viewer, and imports no kind. A kind that
acts on documents (approvals today; signatures and invoice locks next) registers one
`DocumentAction` with `register_document_action(...)` when its package is imported, in the
same spirit as `items/kinds.py`. Every list asks each action once per page (`badges`,
`portal_buttons` take all the page's document ids), so a page costs the same number of
queries whatever its length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from dashboard.accounts.models import Folder
    from dashboard.auth.models import User
    from dashboard.documents.models import Document


@dataclass(frozen=True)
class Badge:
    """A status pill beside a document's name ("Awaiting approval")."""

    label: str
    css: str
    #: A stable machine name, for tests and filters ("pending", "approved", …).
    state: str = ""
    #: The kind's own record behind the badge (the pending request's id), for menu entries.
    ref: int | None = None


@dataclass(frozen=True)
class MenuEntry:
    """An entry of a ⋯ menu or a button: a link, or a POST form when `method` is "post"."""

    label: str
    url: str
    testid: str = ""
    method: str = "get"
    confirm: str = ""
    danger: bool = False


@dataclass(frozen=True)
class ViewerSection:
    """A kind's part of the staff viewer: toolbar buttons and a body, each a template
    included with the viewer's context plus `context`."""

    body_template: str
    toolbar_template: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UploadOption:
    """A checkbox in a folder's upload form ("Request approval")."""

    field: str
    label: str


@dataclass(frozen=True)
class DocumentFilter:
    """A filter of the Documents page: `where()` is a condition correlated to Document."""

    key: str
    label: str
    where: Callable[[], ColumnElement[bool]]


@dataclass(frozen=True)
class PageTab:
    """A tab of the firm's Documents page. `load(firm_id, status, per_page)` returns the
    context of `template` (a partial with a `page`)."""

    key: str
    label: str
    template: str
    load: Callable[[int, str, int], dict]


@dataclass(frozen=True)
class SubTab:
    """A sub-tab of an account's Docs tab ("Approvals", "Signatures"): `endpoint` takes
    `account_id`."""

    key: str
    label: str
    endpoint: str


class DocumentAction(Protocol):
    name: str

    def badges(self, document_ids: list[int]) -> dict[int, Badge]:
        """Each document's badge, if any (one query for the whole list)."""

    def staff_menu(
        self, document: Document, folder: Folder, badge: Badge | None
    ) -> list[MenuEntry]:
        """Entries for the document's ⋯ menu in staff lists; no query (use `badge`)."""

    def portal_buttons(self, document_ids: list[int]) -> dict[int, list[MenuEntry]]:
        """What the client can do about each document on the portal's Documents page."""

    def viewer(self, document: Document, folder: Folder, extra: dict) -> ViewerSection | None:
        """The kind's part of the staff viewer (`extra`: the answer's form, errors, …)."""

    def upload_options(self, folder: Folder) -> list[UploadOption]:
        """Options offered in the folder's staff upload form."""

    def after_upload(
        self, uploader: User, folder: Folder, documents: list[Document], form: Mapping[str, str]
    ) -> None:
        """Act on freshly uploaded documents when one of this action's options was ticked."""

    def filters(self) -> list[DocumentFilter]:
        """Filters this action adds to the Documents page."""

    def page_tabs(self) -> list[PageTab]:
        """Tabs this action adds to the Documents page."""

    def docs_subtabs(self) -> list[SubTab]:
        """Sub-tabs this action adds to an account's Docs tab."""

    def portal_locked(self, document_ids: list[int]) -> set[int]:
        """Documents the client sees listed but may not open yet (locked to an unpaid invoice)."""


_ACTIONS: dict[str, DocumentAction] = {}


def register_document_action(action: DocumentAction) -> DocumentAction:
    _ACTIONS[action.name] = action
    return action


def document_actions() -> list[DocumentAction]:
    """Every registered action, in registration order."""
    return list(_ACTIONS.values())


class BaseDocumentAction:
    """Defaults for an action that adds only some things."""

    name = ""

    def badges(self, document_ids: list[int]) -> dict[int, Badge]:
        return {}

    def staff_menu(self, document, folder, badge) -> list[MenuEntry]:
        return []

    def portal_buttons(self, document_ids: list[int]) -> dict[int, list[MenuEntry]]:
        return {}

    def viewer(self, document, folder, extra: dict) -> ViewerSection | None:
        return None

    def upload_options(self, folder) -> list[UploadOption]:
        return []

    def after_upload(self, uploader, folder, documents, form) -> None:
        return None

    def filters(self) -> list[DocumentFilter]:
        return []

    def page_tabs(self) -> list[PageTab]:
        return []

    def docs_subtabs(self) -> list[SubTab]:
        return []

    def portal_locked(self, document_ids: list[int]) -> set[int]:
        return set()
