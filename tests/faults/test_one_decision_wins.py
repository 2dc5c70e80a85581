"""Many decisions on one item at the same moment: exactly one wins, the others are refused.

(Issue 12 §5.1: approve and disapprove could both succeed.) Each thread is its own request
with its own transaction, as concurrent POSTs to gunicorn workers would be.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from dashboard.approvals.models import ApprovalRequest
from dashboard.approvals.service import ApprovalError, decide
from dashboard.audit.models import AuditEvent
from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.signatures import service as signatures
from dashboard.signatures.models import SignatureRequest
from tests.factories import make_approval
from tests.signatures.helpers import FACTS, add_pdf, make_request


def _race(app, attempts) -> tuple[list[str], list[BaseException]]:
    """Run every attempt in its own thread at once; collect "won" / "refused" and errors."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def run(attempt) -> None:
        with app.app_context():
            try:
                barrier.wait(10)
                attempt()
                db.session.commit()
                outcomes.append("won")
            except (ApprovalError, signatures.SignatureError):
                db.session.rollback()
                outcomes.append("refused")
            except BaseException as error:  # a 500 in the app
                db.session.rollback()
                errors.append(error)

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes, errors


def test_approve_and_disapprove_at_once_one_wins(app, ctx, world):
    request = make_approval(world.a.staff, world.a.documents["view"])
    request_id, client_id = request.id, world.a.contact.user_id

    def attempt(approve: bool):
        def go():
            decide(
                db.session.get(User, client_id),
                db.session.get(ApprovalRequest, request_id),
                approve,
                ["incorrect"],
                "",
            )

        return go

    outcomes, errors = _race(app, [attempt(n % 2 == 0) for n in range(20)])
    assert errors == []
    assert outcomes.count("won") == 1 and outcomes.count("refused") == 19
    decisions = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.subject_id == request_id,
            AuditEvent.action.in_(("approval.approved", "approval.rejected")),
        )
    )
    assert decisions == 1


def test_sign_and_decline_at_once_one_wins(app, ctx, world):
    document = add_pdf(world.a.folders["view"], world.a.staff)
    request = make_request(world.a.staff, document, [world.a.contact.user])
    request_id, signer_id, client_id = request.id, request.signers[0].id, world.a.contact.user_id

    def attempt(sign: bool):
        def go():
            signature = db.session.get(SignatureRequest, request_id)
            signer = next(s for s in signature.signers if s.id == signer_id)
            client = db.session.get(User, client_id)
            if sign:
                signatures.sign(
                    client,
                    signature,
                    signer,
                    method="typed",
                    typed_name=client.name,
                    drawing=None,
                    consent=True,
                    shown_sha256=signature.document_sha256,
                    consent_locale="en",
                    facts=FACTS,
                )
            else:
                signatures.decline(client, signature, signer, "No", FACTS)

        return go

    outcomes, errors = _race(app, [attempt(n % 2 == 0) for n in range(10)])
    assert errors == []
    assert outcomes.count("won") == 1
    events = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.subject_type == "signature",
            AuditEvent.subject_id == request_id,
            AuditEvent.action.in_(("signature.signed", "signature.declined")),
        )
    )
    assert events == 1
