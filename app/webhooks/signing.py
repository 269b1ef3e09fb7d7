"""Signing secrets: generated once, stored encrypted, used to sign each request.

The signature is ``sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">`` under the
endpoint's secret; a receiver recomputes it and rejects old timestamps (docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, *, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class SecretBox:
    """Encrypts signing secrets at rest (AES-GCM, bound to the endpoint id)."""

    def __init__(self, *, key: bytes) -> None:
        self._cipher = AESGCM(key)

    def seal(self, secret: str, *, endpoint_id: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._cipher.encrypt(nonce, secret.encode(), endpoint_id.encode())

    def open(self, sealed: bytes, *, endpoint_id: str) -> str:
        return self._cipher.decrypt(sealed[:12], sealed[12:], endpoint_id.encode()).decode()
