"""The kinds whose client pages join the portal blueprint (imported before it is registered)."""

from __future__ import annotations


def import_kind_pages() -> None:
    from dashboard.approvals import portal_views as approvals  # noqa: F401
    from dashboard.chats import portal_views as chats  # noqa: F401
    from dashboard.invoices import portal_views as invoices  # noqa: F401
    from dashboard.organizers import portal_views as organizers  # noqa: F401
    from dashboard.proposals import portal_views as proposals  # noqa: F401
    from dashboard.signatures import portal_views as signatures  # noqa: F401
