"""Prometheus metrics. One registry per process; /metrics adds the queue depths at scrape time."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

INBOX_ACCEPTED = Counter("frontdesk_inbox_accepted_total", "Inbound messages accepted", ["channel"], registry=REGISTRY)
INBOX_DUPLICATES = Counter(
    "frontdesk_inbox_duplicates_total", "Redeliveries acknowledged and ignored", ["channel"], registry=REGISTRY
)
INBOX_FAILED = Counter("frontdesk_inbox_failed_total", "Turns that failed after every retry", registry=REGISTRY)
INBOX_DEPTH = Gauge("frontdesk_inbox_depth", "Inbox rows waiting or in progress", ["state"], registry=REGISTRY)
OUTBOX_PENDING = Gauge("frontdesk_outbox_pending", "Outbox rows waiting or in progress", ["state"], registry=REGISTRY)
OUTBOX_SENT = Counter("frontdesk_outbox_sent_total", "Replies delivered to the channel", ["channel"], registry=REGISTRY)
OUTBOX_FAILED = Counter("frontdesk_outbox_failed_total", "Replies given up on", ["channel"], registry=REGISTRY)
OUTBOX_RETRIES = Counter("frontdesk_outbox_retries_total", "Send attempts to retry", ["channel"], registry=REGISTRY)
STAGE_SECONDS = Histogram(
    "frontdesk_stage_seconds",
    "Pipeline stage latency",
    ["stage"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LLM_ERRORS = Counter("frontdesk_llm_errors_total", "LLM calls that failed", ["endpoint", "reason"], registry=REGISTRY)
KB_EMBEDDING_FAILURES = Counter(
    "frontdesk_kb_embedding_failures_total",
    "Questions the workspace's embeddings endpoint could not embed (searched by keyword instead)",
    registry=REGISTRY,
)
DECISIONS = Counter("frontdesk_decisions_total", "What the pipeline decided per turn", ["decision"], registry=REGISTRY)
UNSUPPORTED = Counter(
    "frontdesk_unsupported_updates_total",
    "Channel updates acknowledged but not handled",
    ["channel", "type"],
    registry=REGISTRY,
)
