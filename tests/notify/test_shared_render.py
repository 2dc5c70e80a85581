"""An item's email is rendered once per language and shared by its recipients (issue 12 §1):
each copy must still be that recipient's own (To, greeting, links)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from flask_mail import BadHeaderError
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.notify.emails import NAME_SLOT, RenderCache, render
from dashboard.notify.mime import Composer, compose
from dashboard.notify.models import OutboxEmail
from tests.factories import make_approval, make_contact

TRICKY = 'O\'Brien <b>Zoë</b> & "Co"'


def rows_of(item_id: int) -> list[OutboxEmail]:
    return list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.item_id == item_id).order_by(OutboxEmail.id)
        )
    )


def test_shared_rendering_equals_rendering_each_recipient(ctx, world):
    """Same item, purpose and language: one rendering, and each copy is byte for byte what
    rendering that recipient's email alone gives, HTML escaping of the name included."""
    make_contact(world.a.account, name=TRICKY)
    make_contact(world.a.account, name="Ana Sousa")
    db.session.commit()
    request = make_approval(world.a.staff, world.a.documents["view"], message="Page 2 & 3")
    rows = rows_of(request.id)
    assert len(rows) == 3 and len({row.locale for row in rows}) == 1
    cache = RenderCache()
    shared = [cache.render(row) for row in rows]
    assert len(cache._shared) == 1  # rendered once for the three
    for row, copy in zip(rows, shared, strict=True):
        assert copy == render(row)
        assert NAME_SLOT not in copy.text + copy.html
    tricky = shared[[row.recipient.name for row in rows].index(TRICKY)]
    assert f"Hello {TRICKY}," in tricky.text
    assert "O&#39;Brien &lt;b&gt;Zoë&lt;/b&gt; &amp; &#34;Co&#34;" in tricky.html


def test_another_language_or_purpose_is_rendered_on_its_own(ctx, world):
    make_contact(world.a.account, name="Jean Dupont", language="fr")
    db.session.commit()
    request = make_approval(world.a.staff, world.a.documents["view"])
    rows = rows_of(request.id)
    cache = RenderCache()
    copies = {row.locale: cache.render(row) for row in rows}
    assert set(copies) == {"en", "fr"} and len(cache._shared) == 2
    assert copies["fr"] == render(next(r for r in rows if r.locale == "fr"))
    assert "Bonjour" in copies["fr"].text


def test_each_recipient_gets_their_own_message(ctx, world, mailbox, run_worker):
    """Through the worker: one message per recipient, To and greeting theirs, the same link
    and Message-ID of their own row."""
    second = make_contact(world.a.account, name=TRICKY)
    db.session.commit()
    request = make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    run_worker()
    rows = rows_of(request.id)
    assert [row.state for row in rows] == ["sent", "sent"]
    for row, user in zip(rows, [world.a.contact.user, second.user], strict=True):
        (message,) = mailbox.to(user.email)
        assert message["Message-ID"] == row.message_id
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert f"Hello {user.name}," in text
        link = f"https://portal.example.test/portal/approvals/{request.id}"
        assert link in text and f'href="{link}"' in html
        assert message["Subject"] == row.subject == "Please review view.pdf"


def test_composed_message_reads_back(ctx, world):
    """Non-ASCII subject, names and file name, an attachment: parsed back as written."""
    make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    row = db.session.scalars(select(OutboxEmail).limit(1)).one()
    rendered = render(row)
    from dataclasses import replace

    rendered = replace(
        rendered,
        subject="Facture n° 12 — été",
        sender="Cabinet Lefèvre <no-reply@relance.test>",
        reply_to="Zoë Martin <zoe@firm.test>",
        attachments=(("facture-été.pdf", "application/pdf", b"%PDF-1.4 \x00\xff" * 50),),
    )
    data = Composer().message(rendered, "client@example.test", "<abc@relance>")
    message = message_from_bytes(data, policy=policy.default)
    assert message["Subject"] == "Facture n° 12 — été"
    assert message["From"].addresses[0].display_name == "Cabinet Lefèvre"
    assert message["Reply-To"].addresses[0].display_name == "Zoë Martin"
    assert message["To"] == "client@example.test"
    assert message["Message-ID"] == "<abc@relance>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content() == rendered.text
    assert message.get_body(("html",)).get_content() == rendered.html
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "facture-été.pdf"
    assert attachment.get_content() == b"%PDF-1.4 \x00\xff" * 50
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


@pytest.mark.parametrize("field", ["subject", "sender", "reply_to"])
def test_a_line_break_in_a_header_is_refused(ctx, world, field):
    make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    row = db.session.scalars(select(OutboxEmail).limit(1)).one()
    from dataclasses import replace

    rendered = replace(render(row), **{field: "Someone\r\nBcc: x@evil.example"})
    with pytest.raises(BadHeaderError):
        compose(rendered, "client@example.test", "<abc@relance>")
