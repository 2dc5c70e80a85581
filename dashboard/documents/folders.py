"""Sub-folders: the inner folders of an uploaded zip or folder, and the way down to a folder.

A sub-folder belongs to the same account as its top-level folder and carries its access
(`accounts.service.change_folder_access` keeps them in step), so every scoped query that
filters on `Folder.access` treats it exactly like its top-level folder.
"""

from __future__ import annotations

from sqlalchemy import func, select

from dashboard.accounts.models import Folder
from dashboard.extensions import db

#: Deepest sub-folder kept from an upload; deeper paths are folded into the last level.
MAX_DEPTH = 8


def split_path(name: str) -> tuple[list[str], str]:
    """"a/b/c.pdf" → (["a", "b"], "c.pdf"); names are already cleaned of "..", "." and "/"."""
    parts = [part for part in name.split("/") if part]
    if len(parts) <= 1:
        return [], name
    folders, leaf = parts[:-1], parts[-1]
    if len(folders) > MAX_DEPTH:
        folders = folders[: MAX_DEPTH - 1] + ["-".join(folders[MAX_DEPTH - 1 :])]
    return [part[:120] for part in folders], leaf


def subfolder_for(top: Folder, path: list[str], cache: dict[tuple, Folder]) -> Folder:
    """The folder at `path` below `top`, created (with `top`'s access) where missing."""
    folder = top
    for depth in range(len(path)):
        key = tuple(path[: depth + 1])
        child = cache.get(key)
        if child is None:
            child = db.session.scalar(
                select(Folder).where(Folder.parent_id == folder.id, Folder.name == path[depth])
            )
        if child is None:
            child = Folder(
                firm_id=top.firm_id,
                account_id=top.account_id,
                parent_id=folder.id,
                name=path[depth],
                access=top.access,
            )
            db.session.add(child)
            db.session.flush()
        cache[key] = child
        folder = child
    return folder


def children_of(folder_ids: list[int]) -> dict[int, list[Folder]]:
    """Each folder's direct sub-folders, by name (one query)."""
    if not folder_ids:
        return {}
    children: dict[int, list[Folder]] = {i: [] for i in folder_ids}
    for child in db.session.scalars(
        select(Folder).where(Folder.parent_id.in_(folder_ids)).order_by(func.lower(Folder.name))
    ):
        children[child.parent_id].append(child)  # type: ignore[index]
    return children


def ancestors(folder: Folder) -> list[Folder]:
    """The folders above `folder`, top-level first (one query per level)."""
    chain: list[Folder] = []
    current = folder
    while current.parent_id is not None:
        parent = db.session.get(Folder, current.parent_id)
        if parent is None:
            break
        chain.insert(0, parent)
        current = parent
    return chain


def top_level_of(folder: Folder) -> Folder:
    chain = ancestors(folder)
    return chain[0] if chain else folder
