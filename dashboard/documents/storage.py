"""Where document bytes live: files under UPLOAD_DIR, named by random keys, never by user input."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Stored:
    """A file in permanent storage."""

    key: str
    sha256: str
    size: int


class TooLarge(Exception):
    """More bytes arrived than the cap allows."""


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def path_for(storage_key: str) -> Path:
    root = upload_root().resolve()
    path = (root / storage_key).resolve()
    if root not in path.parents:
        raise ValueError("storage key escapes the upload folder")
    return path


def new_staging_dir() -> Path:
    """A private folder for one upload; removed whole if the upload is refused."""
    path = upload_root() / "staging" / uuid.uuid4().hex
    path.mkdir(parents=True)
    return path


def copy_capped(source: BinaryIO, target: Path, limit: int) -> tuple[int, str]:
    """Copy at most `limit` bytes; returns (size, sha256). Raises TooLarge past the limit."""
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def keep(staged: Path, firm_id: int) -> str:
    """Move a staged file into permanent storage; returns its storage key."""
    key = f"{firm_id}/{uuid.uuid4().hex}"
    target = path_for(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(staged, target)
    return key


def keep_bytes(data: bytes, firm_id: int) -> Stored:
    """Write bytes straight into permanent storage."""
    key = f"{firm_id}/{uuid.uuid4().hex}"
    target = path_for(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return Stored(key, hashlib.sha256(data).hexdigest(), len(data))


def remove(keys: list[str]) -> None:
    for key in keys:
        path_for(key).unlink(missing_ok=True)


def remove_staging(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
