"""The rule pages' words: triggers, schedules, actions and their settings as an owner reads them,
and what the editor offers for each condition (variables, the operators their type allows)."""

from __future__ import annotations

from typing import Any

from rules import schema
from rules import vocabulary as vocab

TRIGGERS = {
    "message_received": "A customer writes",
    "status_changed": "The conversation's status changes",
    "context_changed": "A context field changes",
    "draft_rejected": "Staff reject a draft",
    "follow_up": "Only as another rule's follow-up",
    "scheduled": "On a schedule",
}
SCHEDULES = {
    "no_customer_reply": "the customer has not replied for a while",
    "draft_pending": "a draft has waited for staff for a while",
    "whatsapp_window_closing": "WhatsApp's 24-hour window is about to close",
    "cron": "at set times (a cron expression)",
    "outside_business_hours": "a customer is waiting outside business hours",
}
ACTIONS = {
    "reply": "Reply",
    "require_approval": "Ask staff to approve the reply",
    "send_automatically": "Send the reply without approval",
    "handoff": "Hand over to staff",
    "pause_bot": "Pause the assistant",
    "set_status": "Set the status",
    "set_priority": "Set the priority",
    "add_tags": "Add tags",
    "remove_tags": "Remove tags",
    "set_context": "Set a context field",
    "assign": "Assign to a team member",
    "notify_staff": "Tell staff",
    "webhook": "Call a webhook",
    "follow_up": "Follow up later",
    "stop": "Stop: no later rule runs",
}
PARAMS = {
    "template": "Reply text",
    "unless_answered": "Only when the knowledge base has no answer",
    "status": "Status",
    "priority": "Priority",
    "tags": "Tags, separated by commas",
    "field": "Field",
    "value": "Value",
    "email": "Team member's email",
    "message": "Message to staff",
    "url": "Address (https://…)",
    "secret": "Signing secret (optional)",
    "max_attempts": "Attempts",
    "after_minutes": "After how many minutes",
    "rule": "Rule to run then (or leave empty and add its actions)",
}
ARITY_HINTS = {
    "many": "separate with commas",
    "pattern": "a regular expression, case-insensitive",
}


def trigger(spec: dict[str, Any]) -> str:
    """A rule's trigger in words: "A customer writes", "On a schedule: …, after 30 minutes"."""
    t = spec.get("trigger") or {}
    words = TRIGGERS.get(t.get("type", ""), str(t.get("type")))
    if t.get("type") == "scheduled":
        words += f": {SCHEDULES.get(t.get('when', ''), t.get('when'))}"
        if t.get("minutes"):
            words += f", after {t['minutes']} minutes"
        if t.get("cron"):
            words += f" ({t['cron']})"
    elif t.get("type") == "context_changed" and t.get("field"):
        words += f": {t['field']}"
    return words


def variables(context_fields: list[str], used: set[str]) -> list[dict[str, Any]]:
    """What a condition may read: the vocabulary's variables, this workspace's context fields, and
    any other the rule already names (so an unknown one is shown, to be fixed)."""
    found = [{"name": v.name, "description": v.description} for v in vocab.VARIABLES.values()]
    names = {v["name"] for v in found}
    for name in [f"{vocab.CONTEXT_PREFIX}{f}" for f in context_fields] + sorted(used):
        if name and name not in names:
            names.add(name)
            known = vocab.variable(name)
            found.append({"name": name, "description": known.description if known else "not a variable we know"})
    return found


def operators(variable: str) -> list[tuple[str, str]]:
    """The operators the variable's type allows (all of them for one we do not know)."""
    var = vocab.variable(variable)
    names = vocab.OPERATORS_BY_TYPE[var.type] if var else tuple(vocab.OPERATORS)
    return [(n, vocab.OPERATORS[n].description) for n in names]


def arity(operator: str) -> str:
    op = vocab.OPERATORS.get(operator)
    return op.value if op else "one"


def choices(variable: str) -> tuple[str, ...]:
    var = vocab.variable(variable)
    return var.choices if var else ()


def numeric(variable: str) -> bool:
    var = vocab.variable(variable)
    return var is not None and var.type == vocab.NUMBER


EVENT_TRIGGERS = schema.EVENT_TRIGGERS
SCHEDULE_NAMES = schema.SCHEDULES
ACTION_TYPES = schema.ACTION_TYPES
