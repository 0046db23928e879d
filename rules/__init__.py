"""The rule engine: an owner's rules as validated data (schema, vocabulary), compiled once
(conditions, engine), run on each customer message (stage) and on schedules (scanner, scheduler),
with actions isolated from one another (run, actions) and webhooks and follow-ups as durable jobs
(deferred queues them, jobs runs them).

rules.service is what every face calls to store and read rules; rules.api is the HTTP API and
rules.commands the `frontdesk rules` commands. A conversation's context is understanding's: the
rules read it and set it through understanding.context.
"""
