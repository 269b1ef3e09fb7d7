"""Undo the cheap tricks that hide PII from detectors, before anything detects.

``normalize_text`` is pure and idempotent; the ``pii`` guardrail also calls it on its own
input, so redaction does not depend on the tenant listing ``normalize`` first. The steps:

1. Unicode NFKC: full-width digits and letters, ligatures and compatibility forms fold
   to their plain equivalents ("４１１１" -> "4111").
2. Invisible characters go: zero-width spaces/joiners, the BOM, soft hyphens and the
   bidi controls that reorder what a reader sees without changing what a regex sees.
3. Digits spelled out one by one ("4 1 1 1 - 1 1 1 1 ...", "5.5.5.0.1.2.3.4") close up,
   but only in runs of at least seven single digits, so "1.2.3.4", "2 x 3" and version
   numbers stay as they are.
4. E-mail addresses written "name at domain dot com" become "name@domain.com", only
   when the last label is a known top-level domain, so "meet me at home" is untouched.
"""

from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

from guardrails.base import Action, Decision, Params, TurnContext, allow
from guardrails.resources import Resources

# Zero-width, BOM, soft hyphen, word joiner, invisible operators, bidi embeddings,
# overrides and isolates (U+202A-202E, U+2066-2069), and the LRM/RLM/ALM marks.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff]")

# Seven or more single digits, each separated by one separator ("4 1 1 1", "5-5-5").
_SPACED_DIGITS = re.compile(r"(?<![\w.])\d(?:(?:[ .\-]|\s-\s)\d){6,}(?![\w]|\.\d)")
_SEPARATOR = re.compile(r"(?<=\d)(?:\s-\s|[ .])(?=\d)")

_TLDS = (
    "com|net|org|edu|gov|io|co|uk|us|de|fr|es|it|nl|be|ie|eu|ca|au|info|biz|me|mail|email|"
    "online|app|dev|ch|at|se|no|dk|fi|pl|pt|br|mx|in|jp|cn"
)
_WORD = r"[A-Za-z0-9][A-Za-z0-9._%+\-]*"
_SPELLED_EMAIL = re.compile(
    rf"\b({_WORD})\s*(?:\(at\)|\[at\]|\bat\b)\s*({_WORD}(?:\s*(?:\(dot\)|\[dot\]|\bdot\b)\s*{_WORD})*)"
    rf"\s*(?:\(dot\)|\[dot\]|\bdot\b)\s*({_TLDS})\b",
    re.IGNORECASE,
)
_DOT_WORD = re.compile(r"\s*(?:\(dot\)|\[dot\]|\bdot\b)\s*", re.IGNORECASE)


def _close_digits(match: re.Match[str]) -> str:
    return _SEPARATOR.sub("", match.group(0))


def _join_email(match: re.Match[str]) -> str:
    domain = _DOT_WORD.sub(".", match.group(2))
    return f"{match.group(1)}@{domain}.{match.group(3)}"


def normalize_text(text: str) -> str:
    """Return ``text`` with the evasions above undone; idempotent."""
    out = unicodedata.normalize("NFKC", text)
    out = _INVISIBLE.sub("", out)
    out = _SPACED_DIGITS.sub(_close_digits, out)
    out = _SPELLED_EMAIL.sub(_join_email, out)
    return out


class NormalizeParams(Params):
    """``normalize`` has no options; the model exists so policy files stay uniform."""


class NormalizeGuardrail:
    """Input guardrail: ANNOTATE with the normalised text when it differs, else ALLOW."""

    name: ClassVar[str] = "normalize"
    redacts_history: ClassVar[bool] = True
    Params: ClassVar[type[NormalizeParams]] = NormalizeParams

    def __init__(self, *, params: NormalizeParams, resources: Resources) -> None:
        self._params = params

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        normalized = normalize_text(text)
        if normalized == text:
            return allow(self.name, text, "text already in normal form")
        return Decision(
            guardrail=self.name,
            action=Action.ANNOTATE,
            text=normalized,
            reason="text normalised (unicode forms, invisible characters, spaced-out digits or e-mail)",
        )
