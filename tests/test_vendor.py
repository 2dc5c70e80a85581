"""Vendored assets are the pinned versions recorded in VENDOR.md; no CDN anywhere."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "dashboard" / "static" / "vendor"


def _rows():
    text = (VENDOR / "VENDOR.md").read_text()
    return re.findall(
        r"^\| ([\w.\-]+) \| [\w.@/\-]+ \| ([\d.]+) \| [^|]+ \| ([0-9a-f]{64}) \|",
        text,
        re.MULTILINE,
    )


def test_vendor_md_lists_every_file():
    """Does VENDOR.md have a row for every vendored file?"""
    listed = {name for name, _, _ in _rows()}
    present = {p.name for p in VENDOR.iterdir() if p.name != "VENDOR.md"}
    assert listed == present


@pytest.mark.parametrize("name, version, digest", _rows())
def test_vendored_file_matches_its_hash(name, version, digest):
    """Is each vendored file exactly the one recorded (name carries the version)?"""
    data = (VENDOR / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest
    assert version in name


def test_htmx_is_2_0_11():
    """Is htmx the pinned 2.0.11, not npm's latest (htmx 4)?"""
    assert b'version:"2.0.11"' in (VENDOR / "htmx-2.0.11.min.js").read_bytes()


def test_pdfjs_is_5_7_284_and_its_worker_matches():
    """Are pdf.js and its worker the same pinned 5.7.284 build, with no source-map comment?"""
    for name in ("pdfjs-5.7.284.min.mjs", "pdfjs-5.7.284.worker.min.mjs"):
        data = (VENDOR / name).read_bytes()
        assert b'"5.7.284"' in data, name
        assert b"sourceMappingURL" not in data, name


def test_no_cdn_in_templates():
    """Do templates load nothing from another origin?"""
    for template in (ROOT / "dashboard" / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r'(src|href)="(https?:)?//', text), template
