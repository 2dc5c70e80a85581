"""A development SMTP server that keeps every message it receives as an .eml file."""

from __future__ import annotations

import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


class FolderHandler:
    """aiosmtpd handler: one file per message, named so they sort by arrival."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.folder / (name + ".part")
        temporary.write_bytes(envelope.original_content or envelope.content)
        temporary.rename(self.folder / name)
        return "250 Message accepted for delivery"


def serve(folder: Path, host: str, port: int) -> None:
    controller = Controller(FolderHandler(folder), hostname=host, port=port)
    controller.start()
    print(f"Development SMTP sink on {host}:{port}, keeping messages in {folder}", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def read_messages(folder: Path, limit: int = 100) -> list[tuple[str, EmailMessage]]:
    """Newest first."""
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    return [
        (path.name, message_from_bytes(path.read_bytes(), policy=policy.default))  # type: ignore[misc]
        for path in files
    ]
