"""Keys derived from CANDOR_SECRET_KEY, one per purpose (HKDF-SHA256), and pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_key(secret: str, purpose: str, *, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"candor-v1", info=purpose.encode()).derive(
        secret.encode()
    )


@dataclass(frozen=True, slots=True)
class Keys:
    pseudonym: bytes  # HMAC key for customer pseudonyms
    pii_hmac: bytes  # the PII `hash` and `encrypt` operators
    vault_wrap: bytes  # wraps per-customer vault keys
    audit_signing_seed: bytes  # Ed25519 seed for audit checkpoints
    webhook_secrets: bytes  # encrypts webhook signing secrets at rest

    @classmethod
    def from_secret(cls, secret: str) -> Keys:
        return cls(
            pseudonym=derive_key(secret, "customer-pseudonym"),
            pii_hmac=derive_key(secret, "pii-operators"),
            vault_wrap=derive_key(secret, "vault-key-wrap"),
            audit_signing_seed=derive_key(secret, "audit-signing"),
            webhook_secrets=derive_key(secret, "webhook-secrets"),
        )


def customer_pseudonym(key: bytes, *, tenant_id: str, customer_id: str) -> str:
    """A keyed HMAC of the customer id, per tenant: stable, and not reversible without the key."""
    mac = hmac.new(key, f"{tenant_id}\x00{customer_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]
