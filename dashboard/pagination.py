"""Pagination for any SELECT, multi-column rows included (Flask-SQLAlchemy yields scalars)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from dashboard.extensions import db


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def paginate(stmt: Select, per_page: int, scalars: bool = True) -> Page:
    """One COUNT and one page of rows; the page number comes from ?page= (bad values → 1,
    past the end → the last page)."""
    try:
        number = max(1, int(request.args.get("page", 1)))
    except ValueError:
        number = 1
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    # Past the last page (or a number too big for the database's OFFSET): the last page.
    number = min(number, max(1, math.ceil((total or 0) / per_page)))
    result = db.session.execute(stmt.limit(per_page).offset((number - 1) * per_page))
    items = list(result.unique().scalars() if scalars else result.all())
    return Page(items=items, page=number, per_page=per_page, total=total or 0)
