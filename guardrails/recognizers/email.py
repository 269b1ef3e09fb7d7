"""E-mail addresses, validated against the bundled public-suffix snapshot (offline).

Presidio's ``EmailRecognizer`` validates the domain with the module-level ``tldextract``
extractor, which downloads the public suffix list on first use. This one uses an
extractor that has no URLs to fetch and no cache directory, so it reads the snapshot that
ships inside ``tldextract`` and never touches the network or the disk.
"""

from __future__ import annotations

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer

_OFFLINE_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern with an offline domain check."""

    def __init__(self) -> None:
        super().__init__(name="OfflineEmailRecognizer")

    def validate_result(self, pattern_text: str) -> bool:
        return _OFFLINE_EXTRACT(pattern_text).fqdn != ""
