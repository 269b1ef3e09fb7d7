"""Candor's guardrail library: text in, ``Decision`` out. No web, database or HTTP imports."""
