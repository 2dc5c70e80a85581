"""Screenshots of the document pages (Docs tab, sub-folders, viewer, Documents page, portal
Documents) in each language at desktop and phone widths, for a visual check.

Usage: .venv/bin/python scripts/screenshots_documents.py [out_dir]   (default: screenshots/)
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.datastructures import FileStorage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.screenshots import ARGS, CLIENTS, SIZES, STAFF  # noqa: E402
from scripts.shotkit import demo_app, log_in, serve  # noqa: E402


def _add_subfolders(account_id: int) -> tuple[int, int]:
    """Unpack a small zip into the account's first client-visible folder; (folder, sub-folder)."""
    from sqlalchemy import select

    from dashboard.accounts.models import Folder
    from dashboard.auth.models import User
    from dashboard.documents.service import upload_documents
    from dashboard.extensions import db

    folder = db.session.scalar(
        select(Folder).where(
            Folder.account_id == account_id, Folder.access != "private", Folder.parent_id.is_(None)
        )
    )
    staff = db.session.scalar(select(User).where(User.email == STAFF["en"]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("2025/Bank statements/march.pdf", b"%PDF-1.4 march")
        archive.writestr("2025/receipts.csv", b"date,amount\n2025-03-01,12.50\n")
    buffer.seek(0)
    upload_documents(staff, folder, [FileStorage(buffer, "archive-2025.zip")], "Year end")
    db.session.commit()
    sub = db.session.scalar(select(Folder).where(Folder.parent_id == folder.id))
    return folder.id, sub.id


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app, _ = demo_app()
    from sqlalchemy import select

    from dashboard.approvals.models import ApprovalRequest
    from dashboard.extensions import db

    with app.app_context():
        folder_id, sub_id = _add_subfolders(1)
        pending = db.session.scalar(
            select(ApprovalRequest).where(ApprovalRequest.account_id == 1).limit(1)
        )
        viewer = f"/clients/1/documents/{pending.document_id}" if pending else None
    server, base = serve(app)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size_name, (width, height) in SIZES.items():
            for locale, email in STAFF.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                log_in(page, base, email, "/clients")
                shots = [
                    ("docs", "/clients/1/docs"),
                    ("subfolder", f"/clients/1/docs/folders/{sub_id}"),
                    ("documents", "/documents"),
                    ("documents-approvals", "/documents?tab=approvals"),
                ]
                if viewer:
                    shots.append(("viewer", viewer))
                for name, path in shots:
                    page.goto(base + path)
                    if name == "viewer":  # let pdf.js draw the first page
                        page.wait_for_selector("canvas", timeout=10000)
                        page.wait_for_timeout(500)
                    if name == "docs":
                        page.get_by_test_id(f"open-upload-{folder_id}").click()
                        page.wait_for_timeout(400)
                    shot = out / f"doc-{name}-{locale}-{size_name}.png"
                    page.screenshot(path=shot, full_page=True)
                page.close()
            for locale, email in CLIENTS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                log_in(page, base, email, "/portal/")
                page.goto(f"{base}/portal/documents")
                page.screenshot(path=out / f"portal-docs-{locale}-{size_name}.png", full_page=True)
                page.close()
        browser.close()
    server.shutdown()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
