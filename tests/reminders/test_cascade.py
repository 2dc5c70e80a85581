"""The settings cascade (B8): item → template or automation → firm default.

Each level, and a change at each level: the firm default (inheriting templates and new items
follow, existing items keep theirs), a template (new items follow), an item (origin "item").
The item's panel says where each value came from; an origin is never taken from the browser.
Chat and invoice templates go through the Flask test client end to end; organizer and
proposal templates through their pages too.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from dashboard.approvals.models import ApprovalRequest
from dashboard.auth.models import Firm
from dashboard.chats import service as chats
from dashboard.chats.models import ChatThread, MessageTemplate
from dashboard.extensions import db
from dashboard.invoices.models import Invoice, InvoiceTemplate
from dashboard.organizers import service as organizers
from dashboard.organizers.models import Organizer, OrganizerTemplate
from dashboard.proposals import service as proposals
from dashboard.proposals.models import Proposal, ProposalTemplate
from dashboard.reminders.cascade import InheritableReminders, resolve
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import ReminderSettings, update_settings
from tests.organizers.helpers import template_form
from tests.proposals.helpers import proposal_input


def _reminder(item_id: int) -> Reminder:
    db.session.rollback()  # read what the request committed
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == item_id))
    assert reminder is not None
    return reminder


def _values(reminder: Reminder) -> tuple[bool, int, int, str]:
    return reminder.enabled, reminder.interval_days, reminder.max_count, reminder.origin


def _text(html: bytes) -> str:
    """The page's words, tags dropped and white space folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split())


def _firm_defaults(client, enabled: bool, days: int, count: int) -> None:
    """Change the firm default the way an owner does, on /settings/reminders."""
    response = client.post(
        "/settings/reminders",
        data={
            "reminders": "on" if enabled else "",
            "interval_days": str(days),
            "max_count": str(count),
            "window_start": "9",
            "window_end": "17",
            "weekdays": list("12345"),
        },
    )
    assert response.status_code == 302, response.data


def _new_chat(client, account_id: int, days: int, count: int, template: int | None = None, **extra):
    data = {
        "subject": "Year end",
        "message": "Please send your statements.",
        "reminders": "on",
        "interval_days": str(days),
        "max_count": str(count),
        **extra,
    }
    if template is not None:
        data["template"] = str(template)
    response = client.post(f"/clients/{account_id}/chats/new", data=data)
    assert response.status_code == 302, response.data
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _chat_template(client, inherit: bool, days: int = 5, count: int = 2, template_id=None) -> int:
    data = {
        "name": "Year end",
        "subject": "Year end",
        "body": "Please send your statements.",
        "reminders_inherit": "1" if inherit else "0",
        "exit": "1",
    }
    if not inherit:  # with Firm default the fields are disabled in the page: not sent
        data.update(reminders="on", interval_days=str(days), max_count=str(count))
    url = (
        f"/settings/chat-templates/{template_id}" if template_id else "/settings/chat-templates/new"
    )
    assert client.post(url, data=data).status_code == 302
    db.session.rollback()
    return template_id or db.session.scalar(select(MessageTemplate.id))


def _greyed(page: bytes, prefix: str) -> bool:
    """Are the Reminders fields disabled (Firm default: shown, not sent)?"""
    fieldset = re.search(rf'<fieldset [^>]*data-testid="{prefix}-reminder-fields"'.encode(), page)
    assert fieldset, "no Reminders fields"
    return b" disabled " in fieldset.group(0)


def _checked(page: bytes, choice_id: str) -> bool:
    radio = re.search(rf'<input [^>]*id="{choice_id}"[^>]*>'.encode(), page)
    assert radio, choice_id
    return b" checked " in radio.group(0)


def _prefill(page: bytes, prefix: str) -> tuple[str, str]:
    text = page.decode()
    interval = re.search(rf'id="{prefix}-interval" value="([^"]*)"', text)
    count = re.search(rf'id="{prefix}-count" value="([^"]*)"', text)
    assert interval and count
    return interval.group(1), count.group(1)


# --- The levels, in the engine ----------------------------------------------------------


def test_resolve_gives_each_level_its_values_and_origin(ctx, world):
    """No source or an inheriting one: the firm default as it is now; a custom template or
    automation: its own values; a template made before the choice keeps its own."""
    firm = world.a.firm
    firm.reminders_enabled, firm.reminder_interval_days, firm.reminder_max_count = True, 4, 2
    inheriting = MessageTemplate(firm_id=firm.id, name="New", subject="s", body="b")
    custom = MessageTemplate(
        firm_id=firm.id, name="Old", subject="s", body="b", interval_days=9, max_count=5
    )
    db.session.add_all([inheriting, custom])
    db.session.flush()
    assert inheriting.reminders_inherit is True and custom.reminders_inherit is False

    for source in (None, inheriting):
        settings = resolve(firm, source, "template")
        assert (settings, settings.origin) == (ReminderSettings(True, 4, 2), "firm")
    settings = resolve(firm, custom, "template")
    assert (settings, settings.origin) == (ReminderSettings(True, 9, 5), "template")

    class Automation(InheritableReminders):  # the lead's automations use this mixin
        def __init__(self, inherit: bool) -> None:
            self.reminders_inherit, self.reminders_enabled = inherit, False
            self.reminder_interval_days, self.reminder_max_count = 6, 0

    settings = resolve(firm, Automation(False), "automation")
    assert (settings, settings.origin) == (ReminderSettings(False, 6, 0), "automation")
    assert resolve(firm, Automation(True), "automation").origin == "firm"

    firm.reminder_interval_days = 8  # the firm default changes: the inheriting one follows
    assert resolve(firm, inheriting, "template") == ReminderSettings(True, 8, 2)
    assert resolve(firm, custom, "template") == ReminderSettings(True, 9, 5)


def test_send_item_stores_the_origin_and_staff_changes_make_it_the_items(ctx, world):
    """send_item keeps where the values came from; update_settings with other values makes
    them the item's, with the same values it changes nothing; sending again (a chat's next
    message) with the values it has keeps the origin."""
    a = world.a
    thread = chats.start_thread(
        a.staff, a.account, "Docs", "Please", ReminderSettings(True, 4, 2, "automation")
    )
    db.session.commit()
    assert _values(_reminder(thread.id)) == (True, 4, 2, "automation")
    thread = db.session.get(ChatThread, thread.id)
    chats.post_firm_message(a.staff, thread, "And the payslips")
    db.session.commit()
    assert _values(_reminder(thread.id)) == (True, 4, 2, "automation")

    thread = db.session.get(ChatThread, thread.id)
    update_settings(a.staff, thread, ReminderSettings(True, 4, 2))
    db.session.commit()
    assert _reminder(thread.id).origin == "automation"
    thread = db.session.get(ChatThread, thread.id)
    update_settings(a.staff, thread, ReminderSettings(True, 4, 3))
    db.session.commit()
    assert _values(_reminder(thread.id)) == (True, 4, 3, "item")


# --- Chat templates through the pages ---------------------------------------------------


def test_firm_default_template_follows_the_firm_and_items_keep_theirs(client, world):
    """A chat template on *Firm default* shows the firm's values greyed with a note; a chat
    made from it starts with the firm default ("firm"); when the owner changes the default,
    the template page and new chats follow while the chat already made keeps its values."""
    a = world.a
    client.login(a.staff.email)
    _firm_defaults(client, True, 4, 2)
    blank = client.get("/settings/chat-templates/new").data
    assert _checked(blank, "template-inherit") and _greyed(blank, "template")  # new: inherit
    template_id = _chat_template(client, inherit=True)
    template = db.session.get(MessageTemplate, template_id)
    assert template.reminders_inherit is True

    page = client.get(f"/settings/chat-templates/{template_id}").data
    assert _greyed(page, "template")
    assert _prefill(page, "template") == ("4", "2")
    assert b'data-testid="template-inherit-note"' in page and b"d-none" not in re.search(
        rb'<p class="[^"]*" data-inherit-note', page
    ).group(0)
    assert "Reminders: firm default" in _text(client.get("/settings/chat-templates").data)

    new = client.get(f"/clients/{a.account.id}/chats/new?template={template_id}").data
    assert _prefill(new, "chat") == ("4", "2")
    first = _new_chat(client, a.account.id, 4, 2, template_id)
    assert _values(_reminder(first)) == (True, 4, 2, "firm")

    _firm_defaults(client, True, 6, 3)
    assert _prefill(client.get(f"/settings/chat-templates/{template_id}").data, "template") == (
        "6",
        "3",
    )
    new = client.get(f"/clients/{a.account.id}/chats/new?template={template_id}").data
    assert _prefill(new, "chat") == ("6", "3")
    second = _new_chat(client, a.account.id, 6, 3, template_id)
    assert _values(_reminder(second)) == (True, 6, 3, "firm")
    assert _values(_reminder(first)) == (True, 4, 2, "firm")  # kept what it was made with
    no_template = _new_chat(client, a.account.id, 6, 3)
    assert _values(_reminder(no_template)) == (True, 6, 3, "firm")

    panel = _text(client.get(f"/clients/{a.account.id}/items/{first}/reminders").data)
    assert "Automatic reminders on — firm default" in panel
    assert "Every 4 days — firm default" in panel and "2 reminders — firm default" in panel


def test_custom_template_its_change_and_an_item_override(client, world):
    """A custom chat template gives its own values ("template") and ignores the firm
    default; changing the template changes new chats only; values changed in the send form,
    or later in the item's panel, are the item's own."""
    a = world.a
    client.login(a.staff.email)
    template_id = _chat_template(client, inherit=False, days=5, count=2)
    template = db.session.get(MessageTemplate, template_id)
    assert (template.reminders_inherit, template.interval_days, template.max_count) == (
        False,
        5,
        2,
    )
    page = client.get(f"/settings/chat-templates/{template_id}").data
    assert not _greyed(page, "template")
    assert _prefill(page, "template") == ("5", "2")

    first = _new_chat(client, a.account.id, 5, 2, template_id)
    assert _values(_reminder(first)) == (True, 5, 2, "template")
    _firm_defaults(client, True, 8, 4)  # a custom template does not follow
    assert _prefill(
        client.get(f"/clients/{a.account.id}/chats/new?template={template_id}").data, "chat"
    ) == ("5", "2")

    _chat_template(client, inherit=False, days=7, count=3, template_id=template_id)
    second = _new_chat(client, a.account.id, 7, 3, template_id)
    assert _values(_reminder(second)) == (True, 7, 3, "template")
    assert _values(_reminder(first)) == (True, 5, 2, "template")

    changed = _new_chat(client, a.account.id, 7, 1, template_id)  # staff typed another number
    assert _values(_reminder(changed)) == (True, 7, 1, "item")

    url = f"/clients/{a.account.id}/items/{second}/reminders"
    panel = _text(client.get(url).data)
    assert "Every 7 days — template" in panel and "3 reminders — template" in panel
    client.post(url, data={"reminders": "on", "interval_days": "7", "max_count": "3"})
    assert _reminder(second).origin == "template"  # saved unchanged: still the template's
    saved = client.post(url, data={"reminders": "on", "interval_days": "2", "max_count": "3"})
    assert saved.status_code == 200
    assert _values(_reminder(second)) == (True, 2, 3, "item")
    panel = _text(saved.data)
    assert "Every 2 days — set for this item" in panel
    assert "3 reminders — set for this item" in panel

    # Back to Firm default: the own values stay stored for Custom, new chats get the firm's.
    _chat_template(client, inherit=True, template_id=template_id)
    template = db.session.get(MessageTemplate, template_id)
    assert (template.reminders_inherit, template.interval_days, template.max_count) == (
        True,
        7,
        3,
    )
    assert _values(_reminder(_new_chat(client, a.account.id, 8, 4, template_id))) == (
        True,
        8,
        4,
        "firm",
    )


def test_an_origin_is_never_taken_from_the_form(client, world):
    """The template named in the form is resolved again on the server: values other than
    what it gives now are the item's; an origin field sent along is ignored; another firm's
    template is a 404 and sends nothing; a firm default changed after the form was filled
    makes the old values the item's."""
    a = world.a
    client.login(a.staff.email)
    template_id = _chat_template(client, inherit=False, days=5, count=2)
    forged = _new_chat(
        client, a.account.id, 9, 9, template_id, origin="template", reminders_origin="firm"
    )
    assert _values(_reminder(forged)) == (True, 9, 9, "item")
    # Firm values claimed through a custom template are not the template's.
    firm_values = _new_chat(client, a.account.id, 3, 1, template_id)
    assert _values(_reminder(firm_values)) == (True, 3, 1, "item")

    theirs = MessageTemplate(
        firm_id=world.b.firm.id, name="B", subject="s", body="b", interval_days=3, max_count=1
    )
    db.session.add(theirs)
    db.session.commit()
    before = db.session.scalar(select(db.func.count(ChatThread.id)))
    refused = client.post(
        f"/clients/{a.account.id}/chats/new",
        data={
            "subject": "x",
            "message": "y",
            "template": str(theirs.id),
            "reminders": "on",
            "interval_days": "3",
            "max_count": "1",
        },
    )
    assert refused.status_code == 404
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(ChatThread.id))) == before

    # The form was filled with 3 days, 1 reminder; the owner changed the default meanwhile.
    _firm_defaults(client, True, 5, 1)
    stale = _new_chat(client, a.account.id, 3, 1)
    assert _values(_reminder(stale)) == (True, 3, 1, "item")


def test_send_forms_without_a_template_keep_the_firm_default(client, world):
    """An approval request sent with the prefilled firm default says "firm default"; one
    sent with other values, "set for this item"."""
    a = world.a
    client.login(a.staff.email)
    document = a.documents["view"]
    url = f"/clients/{a.account.id}/documents/{document.id}/approval"
    data = {"message": "", "reminders": "on", "interval_days": "3", "max_count": "1"}
    response = client.post(url, data=data)
    assert response.status_code in (200, 302), response.data
    db.session.rollback()
    request = db.session.scalar(select(ApprovalRequest))
    assert _values(_reminder(request.id)) == (True, 3, 1, "firm")
    panel = _text(client.get(f"/clients/{a.account.id}/items/{request.id}/reminders").data)
    assert "Every 3 days — firm default" in panel and "1 reminder — firm default" in panel
    other = a.documents["edit"]
    url = f"/clients/{a.account.id}/documents/{other.id}/approval"
    assert client.post(url, data={**data, "max_count": "2"}).status_code in (200, 302)
    db.session.rollback()
    request = db.session.scalar(
        select(ApprovalRequest).where(ApprovalRequest.document_id == other.id)
    )
    assert _values(_reminder(request.id)) == (True, 3, 2, "item")


def test_bulk_message_carries_the_origin_to_every_thread(client, world, redis_queue, run_worker):
    """Send message to several clients from a custom template, untouched: every thread says
    "template"; from the firm default: "firm"; with other values: "item"."""
    a = world.a
    client.login(a.staff.email)
    template_id = _chat_template(client, inherit=False, days=5, count=2)
    accounts = [str(a.account.id), str(world.other_account.id)]
    filled = client.post(
        "/clients/bulk-message",
        data={"account": accounts, "step": "template", "template": str(template_id)},
    ).data
    assert _prefill(filled, "bulk") == ("5", "2")
    form = {"account": accounts, "subject": "Year end", "message": "Please.", "reminders": "on"}
    for extra, expected in (
        ({"template": str(template_id), "interval_days": "5", "max_count": "2"}, "template"),
        ({"interval_days": "3", "max_count": "1"}, "firm"),
        ({"template": str(template_id), "interval_days": "5", "max_count": "1"}, "item"),
    ):
        response = client.post("/clients/bulk-message", data={**form, **extra})
        assert response.status_code == 303, response.data
        run_worker()
        db.session.rollback()
        newest = db.session.scalars(
            select(Reminder).order_by(Reminder.id.desc()).limit(len(accounts))
        ).all()
        assert [r.origin for r in newest] == [expected] * len(accounts), extra


# --- Invoice templates through the pages ------------------------------------------------


def _lines(**extra):
    return {
        "description": ["Bookkeeping"],
        "quantity": ["1"],
        "unit_price": ["100"],
        "vat_rate": ["20"],
        **extra,
    }


def _invoice_template(client, inherit: bool, days: int = 5, count: int = 2, template_id=None):
    data = _lines(name="Monthly", notes="Thanks", action="save_exit")
    data["reminders_inherit"] = "1" if inherit else "0"
    if not inherit:
        data.update(reminders="on", interval_days=str(days), max_count=str(count))
    url = f"/invoices/templates/{template_id}" if template_id else "/invoices/templates/new"
    response = client.post(url, data=data)
    assert response.status_code == 302, response.data
    db.session.rollback()
    return template_id or db.session.scalar(select(InvoiceTemplate.id))


def _invoice_from(client, account_id: int, template_id: int) -> Invoice:
    response = client.post(
        f"/clients/{account_id}/invoices/from-template", data={"template": template_id}
    )
    assert response.status_code == 302
    db.session.rollback()
    return db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()


def _issue(client, invoice: Invoice, days: int, count: int) -> None:
    response = client.post(
        f"/clients/{invoice.account_id}/invoices/{invoice.id}/edit",
        data=_lines(action="issue", reminders="on", interval_days=str(days), max_count=str(count)),
    )
    assert response.status_code == 302, response.data


def test_invoice_templates_each_level_and_each_change(client, world):
    """Invoice templates: *Firm default* follows the firm (drafts made after the change get
    the new values, the invoice issued before keeps its own); a custom template gives its
    values and its changes to new drafts; a draft whose values staff changed is the item's."""
    a = world.a
    client.login(a.staff.email)
    _firm_defaults(client, True, 4, 2)
    template_id = _invoice_template(client, inherit=True)
    page = client.get(f"/invoices/templates/{template_id}").data
    assert _greyed(page, "template")
    assert _prefill(page, "template") == ("4", "2")

    draft = _invoice_from(client, a.account.id, template_id)
    assert (draft.reminder_interval_days, draft.reminder_max_count) == (4, 2)
    form = client.get(f"/clients/{a.account.id}/invoices/{draft.id}/edit").data
    assert _prefill(form, "invoice") == ("4", "2")
    _issue(client, draft, 4, 2)
    assert _values(_reminder(draft.id)) == (True, 4, 2, "firm")

    _firm_defaults(client, True, 10, 1)
    assert _prefill(client.get(f"/invoices/templates/{template_id}").data, "template") == (
        "10",
        "1",
    )
    later = _invoice_from(client, a.account.id, template_id)
    _issue(client, later, 10, 1)
    assert _values(_reminder(later.id)) == (True, 10, 1, "firm")
    assert _values(_reminder(draft.id)) == (True, 4, 2, "firm")

    _invoice_template(client, inherit=False, days=6, count=3, template_id=template_id)
    custom = _invoice_from(client, a.account.id, template_id)
    _issue(client, custom, 6, 3)
    assert _values(_reminder(custom.id)) == (True, 6, 3, "template")
    _invoice_template(client, inherit=False, days=7, count=3, template_id=template_id)
    changed_template = _invoice_from(client, a.account.id, template_id)
    _issue(client, changed_template, 7, 3)
    assert _values(_reminder(changed_template.id)) == (True, 7, 3, "template")
    assert _values(_reminder(custom.id)) == (True, 6, 3, "template")

    overridden = _invoice_from(client, a.account.id, template_id)
    _issue(client, overridden, 7, 5)
    assert _values(_reminder(overridden.id)) == (True, 7, 5, "item")
    panel = _text(client.get(f"/clients/{a.account.id}/items/{custom.id}/reminders").data)
    assert "Every 6 days — template" in panel and "3 reminders — template" in panel

    by_hand = client.post(
        f"/clients/{a.account.id}/invoices/new",
        data=_lines(action="issue", reminders="on", interval_days="10", max_count="1"),
    )
    assert by_hand.status_code == 302
    db.session.rollback()
    newest = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
    assert _values(_reminder(newest.id)) == (True, 10, 1, "firm")


def test_template_form_refused_and_switched_without_the_script(client, world):
    """Out-of-range numbers on *Custom* are refused with the choice kept; *Custom* posted
    without the fields (the page switched without its script) keeps the firm's values that
    the page showed as the template's own."""
    a = world.a
    client.login(a.staff.email)
    _firm_defaults(client, False, 4, 2)
    bad = client.post(
        "/invoices/templates/new",
        data=_lines(name="M", action="save", reminders_inherit="0", interval_days="400"),
    )
    assert bad.status_code == 422 and b"is-invalid" in bad.data
    assert _checked(bad.data, "template-custom") and not _greyed(bad.data, "template")
    template_id = _invoice_template(client, inherit=True)
    response = client.post(
        f"/invoices/templates/{template_id}",
        data=_lines(name="M", action="save", reminders_inherit="0"),
    )
    assert response.status_code == 302
    db.session.rollback()
    template = db.session.get(InvoiceTemplate, template_id)
    assert (template.reminders_inherit, template.reminders_enabled) == (False, False)
    assert (template.interval_days, template.max_count) == (4, 2)


# --- Organizer and proposal templates ---------------------------------------------------


def test_organizer_templates_inherit_or_keep_their_own(client, world):
    """An organizer template on *Firm default* sends with the firm's values as they are at
    sending ("firm"); a custom one with its own ("template"); other values: the item's."""
    a = world.a
    inheriting = organizers.save_template(
        a.firm, None, template_form("Inherits"), ReminderSettings(True, 9, 9), inherit=True
    )
    custom = organizers.save_template(
        a.firm, None, template_form("Own"), ReminderSettings(True, 5, 3)
    )
    db.session.commit()
    client.login(a.staff.email)
    _firm_defaults(client, True, 4, 2)
    page = client.get(f"/organizers/templates/{inheriting.id}").data
    assert _greyed(page, "template")

    def send(template: OrganizerTemplate, days: int, count: int) -> int:
        url = f"/clients/{a.account.id}/organizers/new"
        prefilled = client.get(f"{url}?template={template.id}").data
        data = {"template": template.id, "message": "Hi", "reminders": "on"}
        data.update(interval_days=str(days), max_count=str(count))
        response = client.post(url, data=data)
        assert response.status_code == 302, response.data
        db.session.rollback()
        item = db.session.scalars(select(Organizer).order_by(Organizer.id.desc())).first()
        return _prefill(prefilled, "organizer"), item.id

    prefilled, first = send(inheriting, 4, 2)
    assert prefilled == ("4", "2") and _values(_reminder(first)) == (True, 4, 2, "firm")
    _firm_defaults(client, True, 6, 1)
    prefilled, second = send(inheriting, 6, 1)
    assert prefilled == ("6", "1") and _values(_reminder(second)) == (True, 6, 1, "firm")
    assert _values(_reminder(first)) == (True, 4, 2, "firm")
    prefilled, own = send(custom, 5, 3)
    assert prefilled == ("5", "3") and _values(_reminder(own)) == (True, 5, 3, "template")
    _, changed = send(custom, 5, 4)
    assert _values(_reminder(changed)) == (True, 5, 4, "item")


def test_proposal_templates_inherit_or_keep_their_own(client, world):
    """A proposal from a template on *Firm default* starts with the firm default, one from a
    custom template with the template's; the draft keeps that origin until it is sent."""
    a = world.a
    inheriting = proposals.save_template(
        a.firm, None, proposal_input(title="Inherits"), inherit=True
    )
    custom = proposals.save_template(
        a.firm, None, proposal_input(title="Own", settings=ReminderSettings(True, 5, 3))
    )
    db.session.commit()
    client.login(a.staff.email)
    _firm_defaults(client, True, 4, 2)
    page = client.get(f"/proposals/templates/{inheriting.id}").data
    assert _greyed(page, "proposal")
    assert _prefill(page, "proposal") == ("4", "2")

    def send(template: ProposalTemplate, days: int, count: int) -> int:
        url = f"/clients/{a.account.id}/proposals/new"
        prefilled = _prefill(client.get(f"{url}?template={template.id}").data, "proposal")
        data = {
            "template": template.id,
            "title": "EL",
            "body_html": "<p>Dear client</p>",
            "description": ["Accounts"],
            "quantity": ["1"],
            "unit_price": ["100"],
            "vat_rate": ["20"],
            "recurrence": ["once"],
            "reminders": "on",
            "interval_days": str(days),
            "max_count": str(count),
            "action": "draft",
        }
        response = client.post(url, data=data)
        assert response.status_code == 302, response.data
        db.session.rollback()
        proposal = db.session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
        sent = client.post(f"/clients/{a.account.id}/proposals/{proposal.id}/send")
        assert sent.status_code == 302
        return prefilled, proposal.id

    prefilled, first = send(inheriting, 4, 2)
    assert prefilled == ("4", "2") and _values(_reminder(first)) == (True, 4, 2, "firm")
    prefilled, own = send(custom, 5, 3)
    assert prefilled == ("5", "3") and _values(_reminder(own)) == (True, 5, 3, "template")
    _, changed = send(custom, 2, 3)
    assert _values(_reminder(changed)) == (True, 2, 3, "item")


# --- The panel --------------------------------------------------------------------------


def test_panel_names_each_source(client, world):
    """The item's panel: "Every 3 days — firm default", "2 reminders — template",
    "— automation", "— set for this item"; reminders off say so."""
    a = world.a
    made = []
    for origin, settings in (
        ("firm", ReminderSettings(True, 3, 1, "firm")),
        ("template", ReminderSettings(True, 5, 2, "template")),
        ("automation", ReminderSettings(False, 1, 0, "automation")),
        ("item", ReminderSettings(True, 10, 4)),
    ):
        thread = chats.start_thread(a.staff, a.account, origin, "Please", settings)
        made.append(thread.id)
    db.session.commit()
    client.login(a.staff.email)

    def panel(item_id: int) -> str:
        return _text(client.get(f"/clients/{a.account.id}/items/{item_id}/reminders").data)

    assert "Every 3 days — firm default" in panel(made[0])
    assert "1 reminder — firm default" in panel(made[0])
    assert "Every 5 days — template" in panel(made[1])
    assert "2 reminders — template" in panel(made[1])
    text = panel(made[2])
    assert "Automatic reminders off — automation" in text
    assert "Every 1 day — automation" in text and "0 reminders — automation" in text
    assert "Every 10 days — set for this item" in panel(made[3])
    thread_page = _text(client.get(f"/clients/{a.account.id}/chats/{made[1]}").data)
    assert "Every 5 days — template" in thread_page  # the thread shows the same panel


def test_firm_default_change_reaches_items_made_by_services(ctx, world):
    """Items made in code (an automation, a job) from an inheriting template read the firm
    default when they are made: before and after a change."""
    a = world.a
    firm = db.session.get(Firm, a.firm.id)
    lines = [{"description": "Bookkeeping", "quantity": "1", "unit_price": "100", "vat_rate": "20"}]
    template = InvoiceTemplate(firm_id=firm.id, name="T", lines=lines, notes="")
    db.session.add(template)
    db.session.flush()
    assert template.reminders_inherit is True
    from dashboard.invoices import service as invoices

    before = invoices.invoice_from_template(a.staff, a.account, template)
    firm.reminder_interval_days, firm.reminder_max_count = 12, 5
    after = invoices.invoice_from_template(a.staff, a.account, template)
    assert (before.reminder_interval_days, before.reminders_origin) == (3, "firm")
    assert (after.reminder_interval_days, after.reminder_max_count) == (12, 5)
    thread = chats.start_thread(a.staff, a.account, "x", "y", resolve(firm, template, "template"))
    db.session.commit()
    assert _values(_reminder(thread.id)) == (True, 12, 5, "firm")
