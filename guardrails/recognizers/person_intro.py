"""Names the customer introduces ("my name is maria gonzalez", "Regards, Tom Baker").

spaCy's small model misses lower-case names and names at the end of a short message; a
self-introduction is the most common way a name enters a support chat, so it gets its
own recognizer. Lower case is accepted only after the strongest cue ("my name is").
"""

from __future__ import annotations

import re

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

ENTITY = "PERSON"
_TITLE = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_ANY = r"[A-Za-z]+(?:[-'][A-Za-z]+)?"
_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = (
    (
        re.compile(
            rf"\b(?i:my\s+(?:full\s+)?name\s+is|name'?s|name\s*:)\s+(?P<name>{_ANY}(?:\s+{_ANY}){{0,2}})"
        ),
        0.8,
    ),
    (
        re.compile(
            rf"\b(?i:this\s+is|i'?m|i\s+am|regards,?|thanks,?|cheers,?|sincerely,?|call\s+me|ask\s+for)\s+"
            rf"(?P<name>{_TITLE}(?:\s+{_TITLE}){{0,2}})"
        ),
        0.6,
    ),
)
# Title-case words that follow "I'm"/"this is" without being names.
_NOT_NAMES = frozenset(
    [
        "sorry",
        "happy",
        "glad",
        "fine",
        "okay",
        "ok",
        "good",
        "great",
        "still",
        "just",
        "really",
        "very",
        "trying",
        "looking",
        "writing",
        "calling",
        "contacting",
        "waiting",
        "having",
        "getting",
        "unable",
        "unhappy",
        "disappointed",
        "frustrated",
        "interested",
    ]
)


class PersonIntroRecognizer(EntityRecognizer):
    """PERSON spans introduced by the customer, complementing spaCy's NER."""

    def __init__(self) -> None:
        super().__init__(supported_entities=[ENTITY], name="PersonIntroRecognizer", supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for pattern, score in _PATTERNS:
            for match in pattern.finditer(text):
                words = match.group("name").split()
                # Keep the leading run of name-like words: "maria and my order" -> "maria".
                kept: list[str] = []
                for word in words:
                    low = word.lower()
                    if low in STOP_WORDS or low in _NOT_NAMES:
                        break
                    kept.append(word)
                if not kept:
                    continue
                start = match.start("name")
                end = _end_of(text, start, kept)
                explanation = AnalysisExplanation(
                    recognizer=type(self).__name__,
                    original_score=score,
                    pattern_name="self-introduction",
                    textual_explanation="name introduced by the customer",
                )
                results.append(RecognizerResult(ENTITY, start, end, score, explanation))
        return results


def _end_of(text: str, start: int, kept: list[str]) -> int:
    """End offset of the first ``len(kept)`` words from ``start`` (spacing as written)."""
    position = start
    for word in kept:
        position = text.index(word, position) + len(word)
    return position
