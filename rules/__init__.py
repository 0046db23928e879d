"""The rule engine: an owner's rules as validated data (schema, vocabulary), compiled once
(conditions, engine), run on each customer message (stage) and on schedules (scanner, scheduler),
with actions isolated from one another (run, actions) and webhooks and follow-ups as durable jobs
(deferred queues them, jobs runs them).
"""
