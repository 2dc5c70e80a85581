"""Benchmark: stamping and sealing a signed copy, against pyHanko sealing the original alone.

    python bench/signatures.py [--pages 20] [--repeat 5] [--profile]

On a scratch SQLite database in a temporary directory (no Redis: the app's REDIS_URL points at
a socket that does not exist, so the e-mails the services queue stay in the outbox): one firm
and its owner, one account with three contacts with portal access (`add_contact`), a "Shared"
folder (`create_folder`), a `--pages` A4 PDF written by WeasyPrint (`add_document_bytes`), a
signature request for the three contacts placed on the first, middle and last pages
(`request_signatures`), and the three signatures, drawn, typed, drawn (`sign`).

Then, `--repeat` times, interleaved:

* the floor: `sealing.seal()` on the original's bytes, the firm's key decrypted beforehand;
* the path under test: `signed_copy.build_signed_pdf(request, firm)` (read and check the
  original, template, WeasyPrint render of the stamp pages and certificate, pypdf assembly,
  key decryption, pyHanko seal), with the session expired first so that it loads the request
  as the worker does. `sealing.render_html`, `sealing.assemble` and `sealing.seal` are wrapped
  with timers for the breakdown; `other_s` is the rest.

Every output is checked, untimed: `sealing.verify()` against the firm's certificate must find
one valid seal over the whole file; the signed copy must keep the original's pages and text,
with the stamps on the pages they were placed on (and nowhere else), then the certificate
pages naming every signer (two pages here: three signers, two drawings). One untimed run of
each comes first (imports, fonts, the firm's key created). Medians are reported. Progress goes
to stderr; stdout gets one JSON line. `--profile` (pyinstrument importable, e.g. from
`pip install --target /tmp/prof pyinstrument` and `PYTHONPATH=/tmp/prof`) profiles one more
`build_signed_pdf` and prints the report to stderr.

Those runs are warm: WeasyPrint and pyHanko are imported, Pango and fontconfig set up. An RQ
worker forks a work horse per job from a parent that only ran create_app(), so every job pays
the imports and that set-up again: `--cold` times (default 3) the script runs itself in a fresh
process that builds the app, then times one `build_signed_pdf` (checked like the others);
`cold_stamp_and_seal_s` is their median.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

# bench/http.py would shadow the standard library's `http` for a script run from bench/.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIGNERS = (  # name, language, method
    ("Alice Martin", "en", "drawn"),
    ("Zoë Lefèvre", "fr", "typed"),
    ("João Gonçalves", "pt_PT", "drawn"),
)
FACTS = ("203.0.113.7", "Mozilla/5.0 (bench)")

_started = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- data ------------------------------------------------------------------------------------


def original_pdf(pages: int) -> bytes:
    """A contract-like A4 PDF of `pages` pages of text (WeasyPrint)."""
    from weasyprint import HTML

    clause = (
        "The Client engages the Firm to prepare the annual accounts and the corporate tax "
        "return for the financial year, on the basis of the records the Client provides. The "
        "Client remains responsible for the completeness and accuracy of those records, for "
        "keeping them for the period the law requires, and for telling the Firm without delay "
        "of any fact that could change the figures, the deadlines or the fees set out below."
    )
    sections = "".join(
        f'<section style="break-after: page"><h1>Engagement letter</h1>'
        f"<h2>Article {n}</h2>"
        + "".join(f"<p>{n}.{k} {clause}</p>" for k in range(1, 7))
        + "<table><tr><th>Service</th><th>Fee</th></tr>"
        + "".join(f"<tr><td>Service {n}.{k}</td><td>{120 * k} EUR</td></tr>" for k in range(1, 5))
        + f"</table><p>Page {n} of {pages}</p></section>"
        for n in range(1, pages + 1)
    )
    css = (
        "@page { size: A4; margin: 20mm } body { font: 10.5pt 'DejaVu Serif', serif }"
        " th, td { border: 0.5pt solid #999; padding: 2pt 6pt }"
    )
    html = f"<html><head><style>{css}</style></head><body>{sections}</body></html>"
    return HTML(string=html).write_pdf()


def drawing_png() -> bytes:
    """A drawn signature as the pad sends it: a transparent PNG with a few strokes."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(20, 160), (90, 40), (150, 150), (230, 60), (320, 140)], fill="black", width=6)
    draw.line([(330, 120), (420, 50), (500, 130), (580, 30)], fill="black", width=6)
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class Data:
    request_id: int
    firm_id: int
    places: dict[int, str]  # page -> signer name stamped there


def generate(pages: int) -> Data:
    """Firm, account, contacts, document, request and signatures, through the services."""
    from dashboard.accounts.models import Account
    from dashboard.accounts.service import ContactValues, add_contact, create_folder
    from dashboard.auth.models import Firm, User
    from dashboard.documents.service import add_document_bytes
    from dashboard.extensions import db
    from dashboard.reminders.service import ReminderSettings
    from dashboard.signatures import service
    from dashboard.signatures.evidence import RequestFacts

    # No service creates a firm, its first user or an account (sign-up is not built): ORM.
    firm = Firm(name="Bench & Associés", default_language="en", time_zone="Europe/Paris")
    db.session.add(firm)
    db.session.flush()
    staff = User(firm_id=firm.id, role="owner", name="Bench Owner", email="owner@bench.test")
    account = Account(firm_id=firm.id, name="Bench Client SARL")
    db.session.add_all([staff, account])
    db.session.flush()
    contacts = [
        add_contact(
            staff,
            account,
            ContactValues(name, f"signer{n}@bench.test", lang, None, True, True),
        )
        for n, (name, lang, _) in enumerate(SIGNERS, start=1)
    ]
    folder = create_folder(staff, account, "Shared", "view")
    document = add_document_bytes(
        staff, folder, "engagement-letter.pdf", original_pdf(pages), "application/pdf"
    )
    db.session.commit()

    on_pages = [1, (pages + 1) // 2, pages]
    spots = [(0.08, 0.78), (0.5, 0.5), (0.55, 0.82)]
    specs = [
        service.SignerSpec(c.user_id, page, x, y)
        for c, page, (x, y) in zip(contacts, on_pages, spots, strict=True)
    ]
    request = service.request_signatures(
        staff,
        document,
        specs,
        in_order=False,
        message="Please sign the engagement letter.",
        settings=ReminderSettings(True, 3, 2),
    )
    db.session.commit()
    drawing = drawing_png()
    facts = RequestFacts(*FACTS)
    for contact, (name, lang, method) in zip(contacts, SIGNERS, strict=True):
        signer = next(s for s in request.signers if s.user_id == contact.user_id)
        service.record_view(contact.user, signer)
        service.sign(
            contact.user,
            request,
            signer,
            method=method,
            typed_name=name,
            drawing=drawing if method == "drawn" else None,
            consent=True,
            shown_sha256=request.document_sha256,
            consent_locale=lang,
            facts=facts,
        )
        db.session.commit()
    if request.seal_state != "queued":
        raise SystemExit(f"the request is not complete: seal_state {request.seal_state!r}")
    places = {page: name for page, (name, _, _) in zip(on_pages, SIGNERS, strict=True)}
    return Data(request.id, firm.id, places)


# --- checks ----------------------------------------------------------------------------------


def check_sealed(what: str, pdf: bytes, trusted: bytes, pages: int, exact: bool = True) -> int:
    """One valid seal over the whole file, by the firm; `pages` pages (at least, not exact)."""
    from pypdf import PdfReader

    from dashboard.signatures import sealing

    result = sealing.verify(pdf, [trusted])
    if not result.valid or len(result.findings) != 1:
        raise SystemExit(f"{what}: the seal does not verify: {result.findings}")
    count = len(PdfReader(BytesIO(pdf)).pages)
    if count < pages or (exact and count != pages):
        raise SystemExit(f"{what}: {count} pages, expected {'' if exact else 'at least '}{pages}")
    return count


def check_stamped(pdf: bytes, data: Data, pages: int) -> None:
    """The stamps on the pages they were placed on, nowhere else; the certificate last."""
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(pdf))
    for number in range(1, pages + 1):
        text = reader.pages[number - 1].extract_text()
        expected = data.places.get(number)
        if expected is None and "Signed by" in text:
            raise SystemExit(f"signed copy: a stamp on page {number}, where nobody signs")
        if expected is not None and f"Signed by {expected}" not in text:
            raise SystemExit(f"signed copy: no stamp of {expected} on page {number}")
        if f"Page {number} of {pages}" not in text:
            raise SystemExit(f"signed copy: page {number} lost its text")
    # The certificate follows the original's pages (two pages with three signers and drawings).
    certificate = "".join(page.extract_text() for page in reader.pages[pages:])
    if not certificate.startswith("Signing certificate"):
        raise SystemExit(f"signed copy: page {pages + 1} is not the certificate")
    missing = [n for n in data.places.values() if n not in certificate]
    if missing:
        raise SystemExit(f"signed copy: the certificate page lacks {missing}")


# --- timing ----------------------------------------------------------------------------------


@contextmanager
def timed_steps(module: Any, names: tuple[str, ...]) -> Iterator[dict[str, list[float]]]:
    """Wrap module.<name> with a timer for each name; yields name -> durations."""
    times: dict[str, list[float]] = defaultdict(list)
    originals = {name: getattr(module, name) for name in names}

    def wrap(name: str, fn: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                times[name].append(time.perf_counter() - began)

        return timed

    for name, fn in originals.items():
        setattr(module, name, wrap(name, fn))
    try:
        yield times
    finally:
        for name, fn in originals.items():
            setattr(module, name, fn)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def make_app(folder: str) -> Any:
    from dashboard import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.db'}",
            "SECRET_KEY": "bench-secret",
            "UPLOAD_DIR": str(Path(folder) / "uploads"),
            "MAIL_SINK_DIR": str(Path(folder) / "mail-sink"),
            # No Redis: enqueueing the queued e-mails after each commit fails at once (logged,
            # silenced below) and they stay in the outbox, as when Redis is down.
            "REDIS_URL": f"unix://{Path(folder) / 'no-redis.sock'}",
            "RQ_QUEUE": f"bench-signatures-{os.getpid()}",
            # Login throttling counts in REDIS_URL by default, and limits knows no unix://
            # scheme: the bench logs nobody in, so memory will do.
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    logging.getLogger("dashboard.notify.outbox").setLevel(logging.ERROR)
    return app


def cold_child(folder: str, request_id: int, out: str) -> None:
    """One signed copy in a fresh process that only built the app: what a work horse pays
    (RQ forks one per job from a parent that ran create_app(), see jobs/worker.py)."""
    from dashboard.auth.models import Firm
    from dashboard.extensions import db
    from dashboard.signatures.models import SignatureRequest
    from dashboard.signatures.signed_copy import build_signed_pdf

    app = make_app(folder)
    preloaded = sorted({"weasyprint", "pyhanko"} & set(sys.modules))
    with app.app_context():
        request = db.session.get(SignatureRequest, request_id)
        assert request is not None
        firm = db.session.get(Firm, request.firm_id)
        began = time.perf_counter()
        signed = build_signed_pdf(request, firm)
        seconds = time.perf_counter() - began
        db.session.remove()
    Path(out).write_bytes(signed)
    print(json.dumps({"seconds": seconds, "preloaded": preloaded}), flush=True)


def run_cold(folder: str, request_id: int, n: int) -> tuple[float, bytes]:
    out = str(Path(folder) / f"cold-{n}.pdf")
    command = [sys.executable, __file__, "--cold-child", folder, str(request_id), out]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"cold run failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["preloaded"]:
        raise SystemExit(f"cold run: {result['preloaded']} already imported by create_app()")
    return result["seconds"], Path(out).read_bytes()


def run(args: argparse.Namespace, folder: str) -> dict[str, Any]:
    from pypdf import PdfReader

    from dashboard.auth.models import Firm
    from dashboard.documents import storage
    from dashboard.extensions import db
    from dashboard.signatures import certificates, sealing
    from dashboard.signatures.models import SignatureRequest
    from dashboard.signatures.signed_copy import build_signed_pdf

    app = make_app(folder)
    with app.app_context():
        engine = db.engine
        try:
            db.create_all()
            began = time.perf_counter()
            data = generate(args.pages)
            log(
                f"firm, contacts, {args.pages}-page PDF, request, 3 signatures in"
                f" {time.perf_counter() - began:.1f}s"
            )
            request = db.session.get(SignatureRequest, data.request_id)
            firm = db.session.get(Firm, data.firm_id)
            assert request is not None and firm is not None
            original = storage.path_for(request.document.storage_key).read_bytes()
            if len(PdfReader(BytesIO(original)).pages) != args.pages:
                raise SystemExit(f"the original does not have {args.pages} pages")
            seal_key = certificates.seal_key_for(firm)
            db.session.commit()
            key = certificates.material(seal_key)
            trusted = key.certificate_pem
            reason = f"Signed electronically through {firm.name}'s client portal"

            seal = sealing.seal  # not the timed wrapper below: that one counts the copy's seal

            def seal_only() -> bytes:
                return seal(original, key.certificate_pem, key.key_pem, reason, firm.name)

            def stamp_and_seal() -> bytes:
                db.session.expire_all()  # loaded again, as the worker does
                return build_signed_pdf(request, firm)

            log("warm-up")
            check_sealed("seal only", seal_only(), trusted, args.pages)
            signed = stamp_and_seal()
            signed_pages = check_sealed("signed copy", signed, trusted, args.pages + 1, False)
            check_stamped(signed, data, args.pages)

            floor: list[float] = []
            total: list[float] = []
            outputs: list[tuple[str, bytes, int]] = []
            with timed_steps(sealing, ("render_html", "assemble", "seal")) as steps:
                for n in range(args.repeat):
                    began = time.perf_counter()
                    sealed = seal_only()
                    floor.append(time.perf_counter() - began)
                    outputs.append(("seal only", sealed, args.pages))
                    began = time.perf_counter()
                    signed = stamp_and_seal()
                    total.append(time.perf_counter() - began)
                    outputs.append(("signed copy", signed, signed_pages))
                    log(f"run {n + 1}: seal only {floor[-1]:.3f}s, stamp and seal {total[-1]:.3f}s")
            seal_in_copy = steps["seal"]
            if {len(steps[n]) for n in ("render_html", "assemble", "seal")} != {args.repeat}:
                raise SystemExit(f"unexpected calls: { {k: len(v) for k, v in steps.items()} }")
            for what, pdf, pages in outputs:
                check_sealed(what, pdf, trusted, pages)
            check_stamped(signed, data, args.pages)
            log(f"{len(outputs)} outputs verified")

            others = [
                t - r - a - s
                for t, r, a, s in zip(
                    total, steps["render_html"], steps["assemble"], seal_in_copy, strict=True
                )
            ]
            cold: list[float] = []
            for n in range(args.cold):
                seconds, pdf = run_cold(folder, data.request_id, n)
                check_sealed("cold signed copy", pdf, trusted, signed_pages)
                check_stamped(pdf, data, args.pages)
                cold.append(seconds)
                log(f"cold run {n + 1} (fresh process): stamp and seal {seconds:.3f}s")
            if args.profile:
                profile(stamp_and_seal)
        finally:
            db.session.remove()
            engine.dispose()
    stamp_s, seal_s = median(total), median(floor)
    return {
        "pages": args.pages,
        "signatures": len(SIGNERS),
        "stamp_and_seal_s": stamp_s,
        "seal_only_s": seal_s,
        "ratio": round(stamp_s / seal_s, 2),
        "render_s": median(steps["render_html"]),
        "assemble_s": median(steps["assemble"]),
        "seal_s": median(seal_in_copy),
        "other_s": median(others),
        "repeat": args.repeat,
        # The first signed copy of a fresh process (imports, fonts): what a work horse pays.
        "cold_stamp_and_seal_s": median(cold) if cold else None,
        "cold_runs": args.cold,
        "signed_pages": signed_pages,
        "original_bytes": len(original),
        "signed_bytes": len(signed),
        "verified": True,
    }


def profile(fn: Callable[[], bytes]) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    fn()
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20, help="of the original (default 20)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each; medians kept")
    parser.add_argument(
        "--cold", type=int, default=3, help="signed copies in fresh processes (default 3)"
    )
    parser.add_argument("--profile", action="store_true", help="profile one more signed copy")
    parser.add_argument("--cold-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_child:
        folder, request_id, out = args.cold_child
        cold_child(folder, int(request_id), out)
        return 0
    if args.repeat < 1 or args.pages < 3 or args.cold < 0:
        parser.error("--repeat must be at least 1, --pages at least 3, --cold at least 0")
    if args.profile and importlib.util.find_spec("pyinstrument") is None:
        parser.error(
            "--profile needs pyinstrument: pip install --target /tmp/prof pyinstrument,"
            " then PYTHONPATH=/tmp/prof"
        )
    with tempfile.TemporaryDirectory(prefix="relance-bench-signatures-") as folder:
        result = run(args, folder)
    log(f"done in {time.perf_counter() - _started:.0f}s")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
