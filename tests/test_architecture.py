"""Do the packages keep to the layout: documents know no kind, views call no other view?"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dashboard"
KINDS = ("approvals", "signatures", "chats", "organizers", "proposals", "invoices")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_documents_import_no_kind():
    """Does any module of dashboard/documents/ import a kind's package?"""
    offenders = {
        (path.name, module)
        for path in (PACKAGE / "documents").glob("*.py")
        for module in imported_modules(path)
        if any(module.startswith(f"dashboard.{kind}") for kind in KINDS)
    }
    assert offenders == set()


def test_no_view_imports_another_features_views():
    """Does a views module import another feature's views (rather than its services)?"""
    offenders = set()
    for path in PACKAGE.rglob("*views.py"):
        feature = path.parent.name
        for module in imported_modules(path):
            parts = module.split(".")
            is_views = len(parts) >= 3 and parts[0] == "dashboard" and parts[-1].endswith("views")
            # render_account_tab (accounts.views) is the account page's frame, not a view.
            if is_views and parts[1] != feature and module != "dashboard.accounts.views":
                offenders.add((str(path.relative_to(PACKAGE)), module))
    assert offenders == set()


def test_portal_shell_holds_no_kind_pages():
    """Does dashboard/portal/ import any kind (each kind owns its client pages)?"""
    offenders = {
        (path.name, module)
        for path in (PACKAGE / "portal").glob("*.py")
        if path.name != "kind_pages.py"
        for module in imported_modules(path)
        if any(module.startswith(f"dashboard.{kind}") for kind in KINDS)
    }
    assert offenders == set()
