"""The ``loop`` input guardrail: the conversation is going round in circles.

Three signals, each judged once, when the newest customer message arrives:

* the customer asks the same thing again - the message is a near-duplicate of
  ``customer_repeats`` earlier ones in the window (reason ``loop``);
* the bot repeats itself - its latest reply is a near-duplicate of ``bot_repeats``
  earlier ones (reason ``loop``);
* the bot failed to help ``bot_failures`` times in a row ("I don't understand", "could
  you rephrase", "I can't help with that") (reason ``bot_failure``).

Near-duplicates are compared by ``fingerprint``: a bottom-k MinHash sketch of keyed
hashes (BLAKE2b with the app's HMAC key) of stemmed content words and word pairs. It
holds no words and, being keyed, cannot be reversed by hashing a dictionary.

State the app keeps (both JSON)::

    ctx.state["loop"]        = {"recent": [[h, ...], ...],  # fingerprints of the last customer messages
                                "bot_seen": 3}              # bot replies already judged
    ctx.state["bot_replies"] = {"recent": [[h, ...], ...],  # fingerprints of the last bot replies
                                "count": 3,                 # bot replies so far
                                "failed_streak": 1}         # consecutive replies that did not help

The guardrail returns the new ``loop`` slice in ``annotations["state"]`` every turn. The
app builds ``bot_replies`` itself by calling ``note_bot_reply`` on every reply the
customer is shown (after the output guardrails), with the same ``hmac_key`` the
guardrail was given. After a loop escalation the history is cleared, so the same
repetition never fires twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any, ClassVar

from pydantic import Field

from guardrails.base import Decision, Params, ReasonCode, TurnContext
from guardrails.handoff import Severity, carry_on, escalate, state_of
from guardrails.lexicon import stem, words
from guardrails.resources import Resources

STATE_KEY = "loop"
BOT_STATE_KEY = "bot_replies"
SKETCH_SIZE = 16
KEEP_BOT_REPLIES = 5

_STOPWORDS = frozenset((
    "i", "me", "my", "mine", "you", "your", "yours", "we", "our", "us", "the", "a", "an", "is", "are",
    "was", "were", "am", "be", "been", "being", "to", "of", "for", "and", "or", "in", "on", "at", "it",
    "its", "this", "that", "these", "those", "please", "pls", "plz", "can", "could", "would", "will",
    "shall", "should", "do", "does", "did", "have", "has", "had", "with", "hi", "hello", "hey",
    "thanks", "thank", "again", "still", "so", "just", "s", "im", "ive", "id", "ok", "okay", "yes",
    "no", "any", "some", "there", "here", "about", "from", "by", "as", "if", "then", "than", "now",
    "really", "very",
    # Words people add when they repeat themselves ("I asked: ...", "... still waiting").
    "ask", "asked", "asking", "wait", "waiting", "question",
))  # fmt: skip
_FAILURE = re.compile(
    r"\bi (?:dont|do not|didnt|did not) (?:quite )?(?:understand|follow|get|catch|know how to help)\b"
    r"|\b(?:could|can|would) you (?:please )?(?:rephrase|repeat|clarify|say that again|try again|reword)\b"
    r"|\bi (?:cant|cannot|can not|am unable to|m unable to|am not able to|m not able to) (?:help|assist|"
    r"answer|do that|find)\b|\bim (?:unable|not able) to (?:help|assist|answer|find)\b"
    r"|\b(?:dont|do not) have (?:that|this|any|enough) information\b"
    r"|\bim not sure (?:what|how|i understand|i follow)\b|\b(?:outside|beyond) (?:my|what i)\b"
    r"|\btry (?:asking|rephrasing)\b|\b(?:sorry|apologies),? i (?:didnt|did not|dont|cant|cannot)\b"
    r"|\bnot sure i understood\b|\bi didnt quite get that\b"
)


def fingerprint(text: str, *, key: bytes = b"") -> list[int]:
    """Bottom-k sketch of the message's content: sorted ints, JSON-safe, no words.

    ``key`` is the HMAC key the app holds (``Resources.hmac_key``); the guardrail uses the
    same one, so fingerprints from either side compare.
    """
    content = [stem(w) for w in words(text) if w not in _STOPWORDS]
    shingles = set(content) | {f"{a} {b}" for a, b in pairwise(content)}
    hashes = {
        int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4, key=key[:64]).digest(), "big")
        for s in shingles
    }
    return sorted(hashes)[:SKETCH_SIZE]


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Jaccard estimate from two bottom-k sketches (exact when both sets are small)."""
    if not a or not b:
        return 0.0
    union = sorted(set(a) | set(b))[:SKETCH_SIZE]
    both = set(a) & set(b)
    return sum(1 for h in union if h in both) / len(union)


def bot_failed_to_help(reply: str) -> bool:
    """True for replies that admit not understanding or not being able to help."""
    return bool(_FAILURE.search(" ".join(words(reply))))


def note_bot_reply(previous: Mapping[str, Any] | None, reply: str, *, key: bytes = b"") -> dict[str, Any]:
    """The new ``ctx.state["bot_replies"]`` after the bot said ``reply``. Call once per reply."""
    old = previous if isinstance(previous, Mapping) else {}
    recent = [list(fp) for fp in old.get("recent", ())][-(KEEP_BOT_REPLIES - 1) :]
    failed = bot_failed_to_help(reply)
    return {
        "recent": [*recent, fingerprint(reply, key=key)],
        "count": int(old.get("count", 0)) + 1,
        "failed_streak": int(old.get("failed_streak", 0)) + 1 if failed else 0,
    }


class LoopParams(Params):
    similarity: float = Field(default=0.7, gt=0.0, le=1.0)  # near-duplicate from here
    customer_repeats: int = Field(default=2, ge=1, le=10)  # earlier near-duplicates that escalate
    bot_repeats: int = Field(default=1, ge=1, le=10)
    bot_failures: int = Field(default=2, ge=1, le=10)  # consecutive unhelpful replies
    window: int = Field(default=6, ge=2, le=20)  # customer messages remembered
    min_shingles: int = Field(default=3, ge=1)  # shorter messages ("yes", "ok") never loop
    severity: Severity = "normal"


class LoopGuardrail:
    name: ClassVar[str] = "loop"
    Params: ClassVar[type[LoopParams]] = LoopParams

    def __init__(self, *, params: LoopParams, resources: Resources) -> None:
        self._params = params
        self._key = resources.hmac_key

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        p = self._params
        old = state_of(ctx.state, STATE_KEY)
        bot = state_of(ctx.state, BOT_STATE_KEY)
        recent: list[list[int]] = [list(fp) for fp in old.get("recent", ())][-p.window :]
        bot_count = int(bot.get("count", 0))
        new_bot_reply = bot_count > int(old.get("bot_seen", 0))

        fp = fingerprint(text, key=self._key)
        kind, code = None, ReasonCode.LOOP
        if len(fp) >= p.min_shingles:
            repeats = sum(1 for earlier in recent if similarity(fp, earlier) >= p.similarity)
            if repeats >= p.customer_repeats:
                kind = "customer_repeat"
        if kind is None and new_bot_reply:
            kind, code = self._bot_signal(bot)

        if kind is None:
            state = {"recent": [*recent, fp][-p.window :], "bot_seen": bot_count}
            return carry_on(self.name, text, reason="no loop", state={STATE_KEY: state})
        return escalate(
            self.name,
            text,
            reason=f"the conversation is going in circles ({kind})",
            code=code,
            score=0.9,
            severity=p.severity,
            state={STATE_KEY: {"recent": [], "bot_seen": bot_count}},
            kind=kind,
        )

    def _bot_signal(self, bot: Mapping[str, Any]) -> tuple[str | None, ReasonCode]:
        p = self._params
        if int(bot.get("failed_streak", 0)) >= p.bot_failures:
            return "bot_failure", ReasonCode.BOT_FAILURE
        replies = [list(fp) for fp in bot.get("recent", ())]
        if len(replies) >= 2 and len(replies[-1]) >= p.min_shingles:
            latest = replies[-1]
            repeats = sum(1 for earlier in replies[:-1] if similarity(latest, earlier) >= p.similarity)
            if repeats >= p.bot_repeats:
                return "bot_repeat", ReasonCode.LOOP
        return None, ReasonCode.LOOP
