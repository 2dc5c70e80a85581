"""Lists whose rows are computed in Python (issue 12 §3) still escape, translate and scope."""

from __future__ import annotations

from dashboard.extensions import db
from tests.factories import make_account, make_approval, make_document

HOSTILE = '<img src=x onerror="alert(1)">'


def test_docs_tab_rows_escape_every_string(client, ctx, world):
    document = make_document(world.a.folders["view"], f"{HOSTILE}.pdf", uploaded_by=world.a.staff)
    document.description = HOSTILE
    world.a.staff.name = HOSTILE
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{world.a.account.id}/docs").get_data(as_text=True)
    assert HOSTILE not in page
    escaped = "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"
    assert f"{escaped}.pdf</a>" in page  # the name
    assert f'<td class="text-body-secondary hide-phone">{escaped}</td>' in page
    assert f'<td class="hide-phone">{escaped}</td>' in page  # the uploader
    assert f'hx-confirm="Delete {escaped}.pdf?"' in page
    assert f"/clients/{world.a.account.id}/documents/{document.id}/download" in page


def test_docs_tab_rows_in_the_readers_language(client, ctx, world):
    document = make_document(world.a.folders["view"], "bilan.xlsx", data=b"x" * 1536)
    make_approval(world.a.staff, document)
    world.a.staff.language = "fr"
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{world.a.account.id}/docs").get_data(as_text=True)
    assert 'hx-confirm="Supprimer bilan.xlsx\u00a0?"' in page
    assert '<td class="text-end text-nowrap">1,5\u202fko</td>' in page  # CLDR's French
    assert ">Télécharger</a>" in page
    assert 'text-bg-success" title=' in page and ">XLSX</span>" in page


def test_documents_page_rows_escape_and_stay_in_the_firm(client, ctx, world):
    make_document(world.a.folders["view"], f"{HOSTILE}.pdf")
    world.a.account.name = HOSTILE
    other = make_document(world.b.folders["view"], "other-firm-secret.pdf")
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get("/documents").get_data(as_text=True)
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;.pdf</a>" in page
    assert f"/clients/{world.a.account.id}/docs" in page
    assert other.name not in page


def test_clients_rows_escape_and_count(client, ctx, world):
    make_account(world.a.firm, HOSTILE)
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get("/clients").get_data(as_text=True)
    assert HOSTILE not in page
    assert 'aria-label="Select &lt;img src=x onerror=&#34;alert(1)&#34;&gt;"' in page
    assert world.b.account.name not in page
