"""The signed copy: every signature stamped, a certificate page, a PAdES seal that validates."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

from dashboard.documents import storage
from dashboard.extensions import db
from dashboard.signatures import certificates, sealing
from dashboard.signatures.models import FirmSealKey
from dashboard.signatures.signed_copy import make_signed_copy
from tests.factories import make_contact
from tests.signatures.helpers import add_pdf, make_request, sign_as


def _signed_request(world):
    a = world.a
    second = make_contact(a.account, name="Zoë Second", language="fr").user
    document = add_pdf(a.folders["view"], a.staff, pages=3)
    request = make_request(
        a.staff,
        document,
        [a.contact.user, second],
        places={a.contact.user.id: (2, 0.1, 0.7), second.id: (2, 0.55, 0.7)},
    )
    sign_as(request, a.contact.user, "drawn")
    sign_as(request, second, "typed")
    return request, document


def _trusted(firm_id):
    row = db.session.query(FirmSealKey).filter_by(firm_id=firm_id).one()
    return [row.certificate_pem]


def test_sealed_copy_validates_and_carries_signatures_and_certificate(world):
    """Does the signed copy validate with pyHanko, stamp both signatures and add the
    certificate page, while the original stays byte for byte what it was?"""
    request, document = _signed_request(world)
    original = storage.path_for(document.storage_key).read_bytes()
    assert request.seal_state == "queued"
    assert make_signed_copy(request.id) is True
    db.session.refresh(request)
    assert request.seal_state == "sealed" and request.signed_document_id
    copy = request.signed_document
    assert copy.folder_id == document.folder_id and copy.id != document.id
    data = storage.path_for(copy.storage_key).read_bytes()
    result = sealing.verify(data, _trusted(request.firm_id))
    assert result.valid, result.findings
    reader = PdfReader(BytesIO(data))
    assert len(reader.pages) == 4  # three pages and the certificate
    stamped = reader.pages[1].extract_text()
    assert "Zoë Second" in stamped  # typed stamp (and the drawn one's caption)
    assert stamped.count("Signed by") == 2
    certificate = reader.pages[3].extract_text()
    assert "Signing certificate" in certificate
    assert request.document_sha256[:16] in certificate.replace("\n", "")
    assert "203.0.113.7" in certificate
    assert storage.path_for(document.storage_key).read_bytes() == original


def test_one_changed_byte_fails_validation(world):
    """Does changing a single byte of the sealed file break the seal?"""
    request, _ = _signed_request(world)
    make_signed_copy(request.id)
    db.session.refresh(request)
    data = bytearray(storage.path_for(request.signed_document.storage_key).read_bytes())
    trusted = _trusted(request.firm_id)
    assert sealing.verify(bytes(data), trusted).valid
    position = bytes(data).index(b"Signing certificate") if b"Signing certificate" in data else 400
    data[position] ^= 0x01
    assert not sealing.verify(bytes(data), trusted).valid


def test_sealing_twice_makes_one_copy(world):
    """Does a second run of the job (a retried or duplicated job) add nothing?"""
    request, _ = _signed_request(world)
    assert make_signed_copy(request.id) is True
    assert make_signed_copy(request.id) is False
    from dashboard.documents.models import Document

    names = [
        d.name for d in db.session.query(Document).filter_by(folder_id=request.document.folder_id)
    ]
    assert names.count("contract (signed).pdf") == 1


def test_another_firms_certificate_is_not_trusted(world):
    """Does a seal by firm A fail verification against firm B's certificate?"""
    request, _ = _signed_request(world)
    make_signed_copy(request.id)
    db.session.refresh(request)
    data = storage.path_for(request.signed_document.storage_key).read_bytes()
    other = certificates.seal_key_for(world.b.firm)
    assert not sealing.verify(data, [other.certificate_pem]).valid


def test_seal_key_is_stored_encrypted(world):
    """Is the firm's private key stored encrypted, never in the clear?"""
    row = certificates.seal_key_for(world.a.firm)
    assert b"ENCRYPTED PRIVATE KEY" in row.encrypted_key_pem
    assert certificates.material(row).key_pem.startswith(b"-----BEGIN PRIVATE KEY")


def test_flask_signatures_verify(app, world, tmp_path):
    """Does `flask signatures verify FILE` say VALID (exit 0) for the sealed copy, name the
    firm, and NOT VALID (exit 1) once a byte changed or for an unsealed PDF?"""
    request, document = _signed_request(world)
    make_signed_copy(request.id)
    db.session.refresh(request)
    data = storage.path_for(request.signed_document.storage_key).read_bytes()
    good, bad, plain = tmp_path / "good.pdf", tmp_path / "bad.pdf", tmp_path / "plain.pdf"
    good.write_bytes(data)
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(tampered))
    plain.write_bytes(storage.path_for(document.storage_key).read_bytes())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["signatures", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and "sealed by: Alpha" in result.output
    for path in (bad, plain):
        result = runner.invoke(args=["signatures", "verify", str(path)])
        assert result.exit_code == 1 and "NOT VALID" in result.output


def test_certificate_footer_shows_the_firm_name_as_written(world):
    """Is a firm name with & and quotes printed as written in the certificate's footer (not
    as HTML entities)?"""
    world.a.firm.name = 'Martin & Fils "Conseil"'
    db.session.commit()
    request, _ = _signed_request(world)
    make_signed_copy(request.id)
    db.session.refresh(request)
    reader = PdfReader(BytesIO(storage.path_for(request.signed_document.storage_key).read_bytes()))
    text = reader.pages[-1].extract_text()
    assert 'Martin & Fils "Conseil" · Signing certificate' in text
    assert "&amp;" not in text and "&#" not in text


def test_certificate_page_is_in_the_firms_language(app, world):
    """Are the certificate page and the signed copy's name in the firm's language (here
    French), whatever the signers' languages?"""
    from flask_babel import force_locale, gettext

    world.a.firm.default_language = "fr"
    db.session.commit()
    request, _ = _signed_request(world)  # signers in en and fr
    make_signed_copy(request.id)
    db.session.refresh(request)
    reader = PdfReader(BytesIO(storage.path_for(request.signed_document.storage_key).read_bytes()))
    text = reader.pages[-1].extract_text()
    with app.test_request_context(), force_locale("fr"):
        title, order = gettext("Signing certificate"), gettext("All at once")
        name = gettext("%(name)s (signed).pdf", name="contract")
    assert title != "Signing certificate" and order != "All at once"  # the catalog has them
    assert title in text and order in text
    assert "Signing certificate" not in text
    assert request.signed_document.name == name
