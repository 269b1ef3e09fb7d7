"""Helpers for the words around a match, shared by the context-driven recognizers."""

from __future__ import annotations

import re

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

_WORD = re.compile(r"[A-Za-z#]+")


def words_before(text: str, start: int, *, count: int = 4, chars: int = 48) -> list[str]:
    """The last ``count`` words before ``start`` (lower case, nearest last)."""
    window = text[max(0, start - chars) : start]
    return [w.lower() for w in _WORD.findall(window)][-count:]


def has_cue(text: str, start: int, cues: frozenset[str], *, count: int = 4, chars: int = 48) -> bool:
    """Whether one of ``cues`` is among the words just before ``start``."""
    return any(word in cues for word in words_before(text, start, count=count, chars=chars))


class CuedPatternRecognizer(EntityRecognizer):
    """A pattern that counts only after one of its cue words ("passport", "routing").

    Bare 8-17 digit numbers are order ids as often as bank accounts, so a number is
    reported only when the customer says what it is.
    """

    ENTITY: str = ""
    PATTERN: re.Pattern[str] = re.compile(r"(?!)")
    CUES: frozenset[str] = frozenset()
    SCORE = 0.85

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.ENTITY], name=type(self).__name__, supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for match in self.PATTERN.finditer(text):
            if not has_cue(text, match.start(), self.CUES, count=5, chars=60):
                continue
            explanation = AnalysisExplanation(
                recognizer=type(self).__name__,
                original_score=self.SCORE,
                pattern_name=f"{self.ENTITY} after a cue word",
                textual_explanation="number introduced by a cue word",
            )
            results.append(RecognizerResult(self.ENTITY, match.start(), match.end(), self.SCORE, explanation))
        return results
