"""Each firm's sealing certificate: created at first use, the private key stored encrypted.

The certificate is self-issued (no public CA can be reached from here, and a firm's own seal is
what proves a file came out of its Relance unchanged). A PDF reader shows the seal's integrity
at once and its trust once the firm's certificate (downloadable from Settings) is trusted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dashboard.auth.models import Firm
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.signatures.models import FirmSealKey

VALIDITY = timedelta(days=3650)


@dataclass(frozen=True)
class SealMaterial:
    certificate_pem: bytes
    key_pem: bytes  # decrypted, in memory only


def _passphrase() -> bytes:
    """A key-encryption passphrase derived from SECRET_KEY (never stored)."""
    secret = current_app.config["SECRET_KEY"].encode()
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"relance-seal-key", info=b"pkcs8"
    ).derive(secret)


def fingerprint(certificate_pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(certificate_pem)
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _new_key_pair(firm: Firm) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{firm.name} — Relance seal"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, firm.name[:64] or "Relance"),
        ]
    )
    start = now() - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )
    return cert.public_bytes(serialization.Encoding.PEM), encrypted


def seal_key_for(firm: Firm) -> FirmSealKey:
    """The firm's key row, created (once, even with two workers racing) at first use."""
    row = db.session.scalar(select(FirmSealKey).where(FirmSealKey.firm_id == firm.id))
    if row is not None:
        return row
    certificate_pem, encrypted = _new_key_pair(firm)
    candidate = FirmSealKey(
        firm_id=firm.id,
        certificate_pem=certificate_pem,
        encrypted_key_pem=encrypted,
        fingerprint=fingerprint(certificate_pem),
    )
    try:
        with db.session.begin_nested():
            db.session.add(candidate)
    except IntegrityError:  # another worker created it first: use theirs
        row = db.session.scalar(select(FirmSealKey).where(FirmSealKey.firm_id == firm.id))
        assert row is not None
        return row
    return candidate


def material(row: FirmSealKey) -> SealMaterial:
    key = serialization.load_pem_private_key(row.encrypted_key_pem, _passphrase())
    plain = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SealMaterial(row.certificate_pem, plain)
