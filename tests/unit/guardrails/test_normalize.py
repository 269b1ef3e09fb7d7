import pytest

from guardrails.base import Action
from guardrails.normalize import NormalizeGuardrail, NormalizeParams, normalize_text
from guardrails.resources import CpuRunner, Resources

from .conftest import make_ctx


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("４１１１ １１１１", "4111 1111", id="full-width-digits"),
        pytest.param("jo\u200bhn@ex\u200dample.com", "john@example.com", id="zero-width"),
        pytest.param("call \u202e5550134\u202c", "call 5550134", id="bidi-controls"),
        pytest.param("4 1 1 1 - 1 1 1 1 - 1 1 1 1 - 1 1 1 1", "4111111111111111", id="spaced-card"),
        pytest.param("5.5.5.0.1.3.4.9.9", "555013499", id="dotted-digits"),
        pytest.param("maria at gmail dot com", "maria@gmail.com", id="spelled-email"),
        pytest.param("jo.b (at) mail [dot] co dot uk", "jo.b@mail.co.uk", id="spelled-email-brackets"),
    ],
)
def test_normalize_undoes_evasions(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("server 1.2.3.4 is down", id="ip-address"),
        pytest.param("2 x 3 packs for $12.99", id="quantities-price"),
        pytest.param("meet me at home", id="at-without-domain"),
        pytest.param("version 1.2.3", id="version"),
        pytest.param("order 12 34 56", id="short-digit-groups"),
    ],
)
def test_normalize_leaves_ordinary_text(text: str) -> None:
    assert normalize_text(text) == text


@pytest.mark.asyncio
async def test_guardrail_annotates_only_when_changed() -> None:
    cpu = CpuRunner(max_workers=1)
    guard = NormalizeGuardrail(params=NormalizeParams(), resources=Resources(cpu=cpu))
    changed = await guard.check("４２", make_ctx())
    unchanged = await guard.check("42", make_ctx())
    cpu.close()
    assert (changed.action, changed.text) == (Action.ANNOTATE, "42")
    assert (unchanged.action, unchanged.text) == (Action.ALLOW, "42")
    assert "42" not in changed.reason
