"""Checking uploads before anything is kept: size, type, and zip paths and expansion.

Every file of one upload is first written to a staging folder. Only when all of them pass
are they moved into storage, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import mimetypes
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from dashboard.documents import storage

#: What a firm and its clients exchange: office documents, scans, statements, archives.
ALLOWED_EXTENSIONS = frozenset(
    [
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "xlsm",
        "ppt",
        "pptx",
        "odt",
        "ods",
        "odp",
        "rtf",
        "txt",
        "csv",
        "tsv",
        "xml",
        "json",
        "md",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "webp",
        "heic",
        "heif",
        "tif",
        "tiff",
        "bmp",
        "eml",
        "msg",
        "ofx",
        "qfx",
        "qbo",
        "zip",
    ]
)
_JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$)")
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f\\:*?\"<>|]")
#: Bidirectional controls (U+202A–E, U+2066–9, marks): "invoice\u202excod.pdf" would show as
#: "invoicefdp.docx". They are dropped from names, never shown.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


class UploadRefused(Exception):
    """The upload breaks a rule; the message is already in the user's language."""


@dataclass
class StagedFile:
    name: str
    path: Path
    size: int
    sha256: str
    content_type: str


def clean_name(raw: str) -> str:
    """A display name safe to show and to offer for download: no directories up, no controls."""
    raw = _BIDI_CONTROLS.sub("", raw)
    parts = [p for p in raw.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    name = "/".join(_UNSAFE_CHARS.sub("_", p).strip() for p in parts)[-255:]
    return name or "file"


def _extension(name: str) -> str:
    return PurePosixPath(name).suffix.lower().lstrip(".")


def _check_type(name: str) -> None:
    if _extension(name) not in ALLOWED_EXTENSIONS:
        raise UploadRefused(_("%(name)s: this file type is not accepted.", name=name))


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _unsafe_zip_path(name: str) -> bool:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in name.replace("\\", "/").split("/")


def stage_upload(files: list[FileStorage], staging: Path) -> list[StagedFile]:
    """Validate and stage every uploaded file (zips unpacked). Raises UploadRefused."""
    config = current_app.config
    max_file = config["UPLOAD_MAX_FILE_BYTES"]
    staged: list[StagedFile] = []
    files = [f for f in files if f and f.filename]
    if not files:
        raise UploadRefused(_("Choose at least one file."))
    for index, upload in enumerate(files):
        name = clean_name(upload.filename or "")
        _check_type(name)
        target = staging / f"upload-{index}"
        try:
            size, digest = storage.copy_capped(upload.stream, target, max_file)
        except storage.TooLarge:
            raise UploadRefused(
                _(
                    "%(name)s is larger than the limit of %(limit)s.",
                    name=name,
                    limit=_megabytes(max_file),
                )
            ) from None
        if _extension(name) == "zip":
            staged.extend(_unpack_zip(name, target, staging, index))
        else:
            staged.append(StagedFile(name, target, size, digest, _content_type(name)))
    return staged


def _megabytes(limit: int) -> str:
    from dashboard.i18n import format_filesize

    return format_filesize(limit)


def _unpack_zip(zip_name: str, zip_path: Path, staging: Path, index: int) -> list[StagedFile]:
    config = current_app.config
    max_file = config["UPLOAD_MAX_FILE_BYTES"]
    max_total = config["ZIP_MAX_TOTAL_BYTES"]
    max_ratio = config["ZIP_MAX_RATIO"]
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError):
        raise UploadRefused(_("%(name)s is not a valid zip file.", name=zip_name)) from None
    with archive:
        entries = [i for i in archive.infolist() if not i.is_dir() and not _JUNK.search(i.filename)]
        if len(entries) > config["ZIP_MAX_ENTRIES"]:
            raise UploadRefused(
                _(
                    "%(name)s holds more than %(count)d files.",
                    name=zip_name,
                    count=config["ZIP_MAX_ENTRIES"],
                )
            )
        declared_total = 0
        for info in entries:
            if _unsafe_zip_path(info.filename):
                raise UploadRefused(
                    _(
                        "%(name)s contains an unsafe path (%(path)s); nothing was uploaded.",
                        name=zip_name,
                        path=info.filename,
                    )
                )
            if info.flag_bits & 0x1:
                raise UploadRefused(_("%(name)s is encrypted.", name=zip_name))
            _check_type(clean_name(info.filename))
            declared_total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if (
                info.file_size > max_file
                or declared_total > max_total
                or (info.file_size > 1024 * 1024 and ratio > max_ratio)
            ):
                raise _expands_too_much(zip_name)
        staged: list[StagedFile] = []
        actual_total = 0
        for n, info in enumerate(entries):
            target = staging / f"upload-{index}-{n}"
            # Headers can lie: count the bytes that really come out.
            limit = min(max_file, max_total - actual_total)
            try:
                with archive.open(info) as source:
                    size, digest = storage.copy_capped(source, target, limit)
            except storage.TooLarge:
                raise _expands_too_much(zip_name) from None
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
                raise UploadRefused(_("%(name)s is damaged.", name=zip_name)) from None
            actual_total += size
            name = clean_name(info.filename)
            staged.append(StagedFile(name, target, size, digest, _content_type(name)))
    zip_path.unlink()
    if not staged:
        raise UploadRefused(_("%(name)s is empty.", name=zip_name))
    return staged


def _expands_too_much(zip_name: str) -> UploadRefused:
    return UploadRefused(
        _("%(name)s expands to more than the allowed size; nothing was uploaded.", name=zip_name)
    )
