"""The retry schedule and the signature format of outbound webhooks."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.exceptions import InvalidTag

from app.webhooks.dispatcher import Retry
from app.webhooks.signing import SecretBox, new_secret, sign


@pytest.mark.parametrize(
    ("attempts", "wait_s"),
    [
        pytest.param(1, 1.0, id="after-first"),
        pytest.param(2, 4.0, id="after-second"),
        pytest.param(5, 256.0, id="after-fifth"),
        pytest.param(12, 3600.0, id="capped"),
    ],
)
def test_the_wait_grows_four_times_and_is_capped(attempts: int, wait_s: float) -> None:
    assert Retry().delay(attempts) == wait_s


def test_the_signature_is_an_hmac_of_timestamp_dot_body() -> None:
    secret = new_secret()
    expected = hmac.new(secret.encode(), b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert sign(secret, timestamp="1700000000", body=b'{"a":1}') == f"sha256={expected}"


def test_a_sealed_secret_opens_only_for_its_endpoint() -> None:
    box = SecretBox(key=b"k" * 32)
    sealed = box.seal("whsec_x", endpoint_id="e1")
    assert b"whsec_x" not in sealed
    assert box.open(sealed, endpoint_id="e1") == "whsec_x"
    with pytest.raises(InvalidTag):
        box.open(sealed, endpoint_id="e2")
