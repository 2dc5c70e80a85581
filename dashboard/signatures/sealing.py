"""The signed PDF: stamp each signature at its place, append the certificate page, seal.

Stamps and the certificate page are HTML rendered once by WeasyPrint (one named page per
stamped page, sized like it, then the certificate); pypdf lays the stamp pages over the
original's pages and appends the rest; pyHanko seals the result with a PAdES signature
(ETSI.CAdES.detached) under the firm's certificate. Proposals and organizers use this module
too: it knows nothing of signature requests, only of bytes, marks and HTML.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO

from pypdf import PdfReader, PdfWriter, Transformation

#: The stamp's box, in PDF points (1/72 in): wide enough for a name in the script font.
STAMP_WIDTH = 170.0
STAMP_HEIGHT = 58.0
SEAL_FIELD = "RelanceSeal"


class SealError(Exception):
    """The PDF could not be stamped or sealed (damaged, encrypted…)."""


@dataclass(frozen=True)
class PageBox:
    """A page of the original to stamp on: its 1-based number and size in points."""

    number: int
    width: float
    height: float
    marks: list[dict] = field(default_factory=list)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_pdf(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            raise SealError("the PDF is encrypted")
        _ = len(reader.pages)
    except SealError:
        raise
    except Exception as error:  # pypdf raises many kinds on a damaged file
        raise SealError(f"the PDF cannot be read: {error}") from error
    return reader


def page_count(data: bytes) -> int:
    return len(open_pdf(data).pages)


def page_boxes(reader: PdfReader, marks: list[dict]) -> list[PageBox]:
    """The pages that carry marks (`mark["page"]`, 1-based), each with its marks placed in
    points from the top-left and kept inside the page."""
    boxes: dict[int, PageBox] = {}
    for mark in marks:
        number = mark.get("page")
        if not number or number > len(reader.pages):
            continue
        page = reader.pages[number - 1]
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        box = boxes.setdefault(number, PageBox(number, width, height))
        left = min(max(float(mark["x"]) * width, 0.0), max(width - STAMP_WIDTH, 0.0))
        top = min(max(float(mark["y"]) * height, 0.0), max(height - STAMP_HEIGHT, 0.0))
        box.marks.append({**mark, "left": round(left, 2), "top": round(top, 2)})
    return [boxes[n] for n in sorted(boxes)]


_font_config = None


def render_html(html: str, base_url: str | None) -> bytes:
    """HTML to PDF. One FontConfiguration per process: each new one decodes the woff2 fonts
    again (about 0.1 s a render)."""
    global _font_config
    from weasyprint import HTML  # imported late: it loads Pango, which web requests never need
    from weasyprint.text.fonts import FontConfiguration

    if _font_config is None:
        _font_config = FontConfiguration()
    return HTML(string=html, base_url=base_url).write_pdf(font_config=_font_config)


def assemble(original: bytes, boxes: list[PageBox], rendered: bytes) -> bytes:
    """Lay rendered page i over boxes[i]'s page; append the rendered pages after them."""
    reader = open_pdf(original)
    overlay = PdfReader(BytesIO(rendered))
    if len(overlay.pages) < len(boxes):
        raise SealError("the stamp pages did not render")
    writer = PdfWriter(clone_from=reader)
    for index, box in enumerate(boxes):
        target = writer.pages[box.number - 1]
        low = target.mediabox.lower_left
        target.merge_transformed_page(
            overlay.pages[index],
            Transformation().translate(float(low[0]), float(low[1])),
        )
        target.compress_content_streams()  # merged content is written uncompressed otherwise
    for page in overlay.pages[len(boxes) :]:
        writer.add_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _on_own_thread(fn, *args):
    """pyHanko's sync API calls asyncio.run(), which refuses to start when the calling thread
    already runs an event loop (an async worker, some test harnesses): give it a thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def seal(pdf: bytes, certificate_pem: bytes, key_pem: bytes, reason: str, name: str) -> bytes:
    """A PAdES baseline signature over the whole file, by the firm's key."""
    return _on_own_thread(_seal, pdf, certificate_pem, key_pem, reason, name)


def _seal(pdf: bytes, certificate_pem: bytes, key_pem: bytes, reason: str, name: str) -> bytes:
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    certificate = next(iter(load_certs_from_pemder_data(certificate_pem)))
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=load_private_key_from_pemder_data(key_pem, None),
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        name=name,
    )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        out = signers.sign_pdf(writer, meta, signer=signer)
    except Exception as error:  # pyHanko raises many kinds on a file it cannot extend
        raise SealError(f"the PDF could not be sealed: {error!r}") from error
    return out.getvalue()


@dataclass(frozen=True)
class Verification:
    valid: bool
    #: Human-readable findings, one per signature (or why nothing could be checked).
    findings: list[str]
    #: Fingerprints (SHA-256 of the DER) of the certificates that sealed it.
    fingerprints: list[str]


def verify(pdf: bytes, trusted_pems: list[bytes]) -> Verification:
    """Is every signature intact, over the whole file, by one of `trusted_pems`?"""
    return _on_own_thread(_verify, pdf, trusted_pems)


def _verify(pdf: bytes, trusted_pems: list[bytes]) -> Verification:
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    roots = [c for pem in trusted_pems for c in load_certs_from_pemder_data(pem)]
    try:
        signatures = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except Exception as error:
        return Verification(False, [f"unreadable PDF: {error}"], [])
    if not signatures:
        return Verification(False, ["no signature in the file"], [])
    findings, prints, valid = [], [], True
    for embedded in signatures:
        try:
            status = validate_pdf_signature(
                embedded, ValidationContext(trust_roots=roots, allow_fetching=False)
            )
        except Exception as error:
            findings.append(f"{embedded.field_name}: cannot be validated: {error}")
            valid = False
            continue
        cert = embedded.signer_cert
        prints.append(hashlib.sha256(cert.dump()).hexdigest())
        whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        ok = status.intact and status.valid and status.trusted and whole
        valid = valid and ok
        findings.append(
            f"{embedded.field_name}: "
            + ("intact" if status.intact else "MODIFIED")
            + (", valid" if status.valid else ", INVALID signature")
            + (", trusted" if status.trusted else ", UNKNOWN signer")
            + (", covers the whole file" if whole else ", does NOT cover the whole file")
            + f"; signed by {cert.subject.human_friendly}"
        )
    return Verification(valid, findings, prints)
