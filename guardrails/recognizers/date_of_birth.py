"""Dates of birth: a date counts only when introduced as one ("DOB", "born on", ...).

Plain dates ("delivered on 3 May 2024", "2024-05-03 14:30") are routine in customer
service and are not personal data on their own, so no date is reported without a cue.
"""

from __future__ import annotations

import re

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

ENTITY = "DATE_OF_BIRTH"

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"(?:19|20)\d{2}"
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:{_YEAR}|\d{{2}})"
    rf"|{_YEAR}[/.\-]\d{{1,2}}[/.\-]\d{{1,2}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR})\b",
    re.IGNORECASE,
)
# The cue must come shortly before the date: "DOB: ...", "I was born on ...".
_CUE = re.compile(
    r"(?:\bd\.?o\.?b\b\.?|\bborn\b|\bbirth\s*(?:date|day)\b|\bbirthday\b|\bdate\s+of\s+birth\b)"
    r"[^.!?\n]{0,30}$",
    re.IGNORECASE,
)


class DateOfBirthRecognizer(EntityRecognizer):
    """Reports a date as DATE_OF_BIRTH when a birth cue precedes it in the sentence."""

    SCORE = 0.85

    def __init__(self) -> None:
        super().__init__(supported_entities=[ENTITY], name="DateOfBirthRecognizer", supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for match in _DATE.finditer(text):
            if not _CUE.search(text, max(0, match.start() - 60), match.start()):
                continue
            explanation = AnalysisExplanation(
                recognizer=type(self).__name__,
                original_score=self.SCORE,
                pattern_name="date after a birth cue",
                textual_explanation="date introduced as a date of birth",
            )
            results.append(RecognizerResult(ENTITY, match.start(), match.end(), self.SCORE, explanation))
        return results
