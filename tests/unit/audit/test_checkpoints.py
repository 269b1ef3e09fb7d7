"""Checkpoint signing keys and canonical bodies (pure: no database)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature

from app.audit.checkpoints import (
    checkpoint_body,
    checkpoint_hash,
    key_id_of,
    load_public_key,
    public_key_hex,
    signing_key,
)
from app.crypto import Keys


def test_the_signing_key_is_derived_from_the_secret_and_stable() -> None:
    keys = Keys.from_secret("s" * 40)

    assert public_key_hex(keys) == public_key_hex(Keys.from_secret("s" * 40))
    assert public_key_hex(keys) != public_key_hex(Keys.from_secret("t" * 40))
    assert len(bytes.fromhex(public_key_hex(keys))) == 32


def test_key_id_is_the_first_16_hex_of_sha256_of_the_raw_public_key() -> None:
    keys = Keys.from_secret("s" * 40)
    raw = bytes.fromhex(public_key_hex(keys))

    assert key_id_of(load_public_key(raw)) == hashlib.sha256(raw).hexdigest()[:16]


def test_a_signature_over_the_checkpoint_hash_verifies_and_a_changed_body_does_not() -> None:
    keys = Keys.from_secret("s" * 40)
    body = checkpoint_body(
        {
            "tenant_id": "t1",
            "tree_size": 10,
            "head_hash": "a" * 64,
            "created_at": datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
            "prev_checkpoint_hash": "0" * 64,
        }
    )
    signature = signing_key(keys).sign(checkpoint_hash(body).encode())
    public = load_public_key(public_key_hex(keys))

    public.verify(signature, checkpoint_hash(body).encode())
    with pytest.raises(InvalidSignature):
        public.verify(signature, checkpoint_hash({**body, "tree_size": 9}).encode())
    assert body["created_at"] == "2026-11-24T09:00:00.000000Z"
