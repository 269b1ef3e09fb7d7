"""Candor's own Presidio recognizers, one per module, and the customer-service filter.

Each recognizer follows Presidio's plug-in shape: one class, ``analyze(text, entities,
nlp_artifacts) -> list[RecognizerResult]``, with an explanation naming the pattern, never
the matched value. ``pii_engine`` assembles them into the analyzer.
"""
