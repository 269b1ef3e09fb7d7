"""Prometheus metrics. Labels carry names and outcomes, never customer data or ids."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "candor_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "candor_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
GUARDRAIL_LATENCY = Histogram(
    "candor_guardrail_seconds",
    "Time one guardrail took on one text",
    ["guardrail", "stage"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
DECISIONS = Counter(
    "candor_decisions_total", "Guardrail decisions", ["guardrail", "action", "mode"], registry=REGISTRY
)
BACKEND_CALLS = Counter("candor_backend_calls_total", "Backend calls", ["kind", "outcome"], registry=REGISTRY)
BACKEND_ERRORS = Counter(
    "candor_backend_errors_total", "Backend failures", ["kind", "error"], registry=REGISTRY
)
TURNS = Counter("candor_turns_total", "Chat turns by outcome", ["outcome"], registry=REGISTRY)
AUDIT_EVENTS_WRITTEN = Counter("candor_audit_events_written_total", "Audit events stored", registry=REGISTRY)
AUDIT_WRITE_ERRORS = Counter(
    "candor_audit_write_errors_total", "Failed audit batch writes", registry=REGISTRY
)
