"""Which language to speak to a customer, and Candor's own words in it.

Candor ships its customer-facing wording (the AI disclosure, its own replies, the handoff
notices, the truthful answer to "am I a bot?") in English, Spanish, French and German, as
data in ``guardrails/locales/<language>.yaml``. A customer's locale comes from the
request (``metadata.locale``, else the ``Accept-Language`` header, best q-value first);
a locale Candor has no text for falls back by language (``es-MX`` -> ``es``) and then to
the tenant's default.

Why a hand-written ``Accept-Language`` parser: no maintained parser is installed, and the
grammar (RFC 9110 section 12.5.4) is small. Malformed entries are skipped, never an error:
a browser's header must not fail a customer's turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

LOCALE_DIR = Path(__file__).with_name("locales")
SHIPPED = ("en", "es", "fr", "de")
FALLBACK = "en"

# A BCP 47 language tag as browsers send it ("en", "es-419", "zh-Hant-TW"); "_" is accepted
# because widgets often pass POSIX locales ("de_DE").
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_QVALUE = re.compile(r"^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$", re.IGNORECASE)
# A header longer than this is cut: enough for any real browser, bounded for a hostile one.
_MAX_HEADER = 1024
_MAX_ENTRIES = 20


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MessageTexts(_Frozen):
    backend_unavailable: str
    refused: str
    handoff_queued: str
    with_person: str
    handoff_failed: str


class HandoffTexts(_Frozen):
    """Notices about people joining and leaving; ``{name}`` is the person's display name."""

    joined: str
    left: str
    resolved: str
    handed_back: str
    no_pickup: str


class ImpersonationTexts(_Frozen):
    correction: str  # replaces one sentence that claimed to be human
    replacement: str  # replaces a whole reply


class ConsentTexts(_Frozen):
    """What Candor says about the customer's choice to talk to the AI or not."""

    opted_out: str  # the reply to a turn of a customer who opted out
    opted_in: str  # the reply confirming an in-chat opt-in
    opt_in_prompt: str  # policy consent.require_opt_in: asked before any AI turn


class ExplanationTexts(_Frozen):
    """The plain words of a conversation's explanation: fixed sentences (keyed by what
    happened) and what a customer calls each kind of personal data; the only things filled
    in are such a word (``{what}``) and a date (``{when}``), never a value the customer
    wrote. Every file has the English file's keys (checked by a test)."""

    entities: dict[str, str]
    sentences: dict[str, str]


class LocaleTexts(_Frozen):
    """One language's wording; every file must have every key (checked by a test)."""

    disclosure: str
    messages: MessageTexts
    handoff: HandoffTexts
    bot_question: str
    impersonation: ImpersonationTexts
    consent: ConsentTexts
    explanation: ExplanationTexts


def normalize_tag(tag: str) -> str | None:
    """``de_DE`` -> ``de-de``; None for anything that is not a language tag."""
    tag = tag.strip()
    if not tag or len(tag) > 35 or not _TAG.match(tag):
        return None
    return tag.replace("_", "-").lower()


def parse_accept_language(header: str | None) -> tuple[str, ...]:
    """The languages of an ``Accept-Language`` header, most preferred first.

    ``q=0`` means "not this one" and drops the tag; ``*`` says nothing about which
    language, so it is dropped too; equal q-values keep the header's order.
    """
    if not header:
        return ()
    weighted: list[tuple[float, int, str]] = []
    for position, entry in enumerate(header[:_MAX_HEADER].split(",")[:_MAX_ENTRIES]):
        tag_part, *params = (part.strip() for part in entry.split(";"))
        tag = normalize_tag(tag_part)
        if tag is None:
            continue
        quality = 1.0
        for param in params:
            match = _QVALUE.match(param.replace(" ", ""))
            if match is None:
                quality = -1.0  # a malformed weight: the entry is not trusted
                break
            quality = float(match.group(1))
        if quality > 0:
            weighted.append((-quality, position, tag))
    seen: dict[str, None] = {}
    for _, _, tag in sorted(weighted):
        seen.setdefault(tag, None)
    return tuple(seen)


def best_locale(candidates: Iterable[str | None], available: Iterable[str], default: str) -> str:
    """The first candidate Candor has words for: the tag itself, else its language
    (``es-MX`` -> ``es``), else another variant of its language (``pt`` -> ``pt-br``);
    ``default`` when none fits."""
    offered = {tag.lower(): tag for tag in available}
    by_language: dict[str, str] = {}
    for key, tag in offered.items():
        by_language.setdefault(key.split("-")[0], tag)
    for candidate in candidates:
        wanted = normalize_tag(candidate) if candidate else None
        if wanted is None:
            continue
        if wanted in offered:
            return offered[wanted]
        language = wanted.split("-")[0]
        if language in offered:
            return offered[language]
        if language in by_language:
            return by_language[language]
    return default


def customer_locale(
    locale: str | None,
    languages: Iterable[str],
    *,
    available: Iterable[str] = SHIPPED,
    default: str = FALLBACK,
) -> str:
    """The locale to answer in: the explicit one first, then the header's preferences."""
    return best_locale((locale, *languages), available, default)


@lru_cache(maxsize=len(SHIPPED))
def shipped_texts(language: str) -> LocaleTexts:
    """Candor's wording in one of the ``SHIPPED`` languages (read once per process)."""
    if language not in SHIPPED:
        raise LookupError(f"no shipped texts for {language!r}; shipped: {', '.join(SHIPPED)}")
    data = yaml.safe_load((LOCALE_DIR / f"{language}.yaml").read_text(encoding="utf-8"))
    return LocaleTexts.model_validate(data)


def texts_for(locale: str | None, languages: Iterable[str] = ()) -> LocaleTexts:
    """The shipped wording that best fits the customer (English if nothing fits)."""
    return shipped_texts(customer_locale(locale, languages))


def shipped_disclosures() -> Mapping[str, str]:
    return {language: shipped_texts(language).disclosure for language in SHIPPED}


def header_locale(languages: Sequence[str]) -> str | None:
    """The locale a customer known only by ``Accept-Language`` is filed under (reports,
    handoff notices): the first language Candor speaks, else their first choice."""
    if not languages:
        return None
    return best_locale(languages, SHIPPED, languages[0])
