"""Industry rule packs an owner installs in one step: salon, clinic, restaurant, e-commerce, real estate.

Each is a few ordinary rules (validated like any other when installed) and suggested business hours,
applied only if the workspace has none yet. Installing twice skips rules that already exist by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import SecretBox
from core.models import Workspace
from rules import service

Spec = dict[str, Any]


def _hours(days: tuple[str, ...], start: str, end: str) -> dict[str, list[list[str]]]:
    return {d: [[start, end]] for d in days}


def after_hours(text: str) -> Spec:
    return {
        "name": "after-hours reply",
        "description": "Outside business hours, answer at once and say when the team is back.",
        "priority": 200,
        "trigger": {"type": "message_received"},
        "conditions": {"variable": "time.within_business_hours", "operator": "is_false"},
        "actions": [{"type": "reply", "template": text, "unless_answered": True}, {"type": "send_automatically"}],
    }


def escalate(name: str, words: list[str], note: str) -> Spec:
    return {
        "name": name,
        "description": "Words that mean a person must answer now: hand off, raise priority, tell staff.",
        "priority": 300,
        "trigger": {"type": "message_received"},
        "conditions": {"variable": "message.text", "operator": "contains_any", "value": words},
        "actions": [
            {"type": "handoff"},
            {"type": "set_priority", "priority": "urgent"},
            {"type": "add_tags", "tags": ["escalated"]},
            {"type": "notify_staff", "message": note},
        ],
    }


def sla(minutes: int) -> Spec:
    return {
        "name": "approval SLA nudge",
        "description": f"A draft has waited {minutes} minutes for staff: remind them.",
        "trigger": {"type": "scheduled", "when": "draft_pending", "minutes": minutes},
        "actions": [
            {
                "type": "notify_staff",
                "message": "{{ contact.name or 'A customer' }} has waited " + str(minutes) + " minutes for a reply.",
            }
        ],
    }


WHATSAPP_WINDOW = {
    "name": "WhatsApp window closing",
    "description": "WhatsApp allows free replies for 24 h after the customer's last message; at 23 h, "
    "if they are still waiting, tell staff.",
    "trigger": {"type": "scheduled", "when": "whatsapp_window_closing", "minutes": 60},
    "conditions": {"variable": "conversation.status", "operator": "equals", "value": "waiting"},
    "actions": [
        {
            "type": "notify_staff",
            "message": "{{ contact.name or 'A customer' }} on WhatsApp is waiting; the 24 h window closes in 1 hour.",
        }
    ],
}


def booking(words: list[str], reply: str) -> Spec:
    return {
        "name": "booking request",
        "description": "Someone wants to book: tag it, remember it, and ask for what the team needs.",
        "priority": 100,
        "trigger": {"type": "message_received"},
        "conditions": {
            "any": [
                {"variable": "understanding.intent", "operator": "equals", "value": "booking"},
                {"variable": "message.text", "operator": "contains_any", "value": words},
            ]
        },
        "actions": [
            {"type": "add_tags", "tags": ["booking"]},
            {"type": "set_context", "field": "wants", "value": "booking"},
            {"type": "reply", "template": reply},
        ],
    }


def no_reply_follow_up(hours: int, text: str) -> Spec:
    return {
        "name": "follow up when the customer goes quiet",
        "description": f"We answered and heard nothing for {hours} h: check in once.",
        "trigger": {"type": "scheduled", "when": "no_customer_reply", "minutes": hours * 60},
        "conditions": {"variable": "conversation.status", "operator": "equals", "value": "open"},
        "actions": [{"type": "reply", "template": text}],
    }


@dataclass(frozen=True)
class Pack:
    key: str
    name: str
    description: str
    business_hours: dict[str, list[list[str]]]
    rules: list[Spec] = field(default_factory=list)


PACKS: dict[str, Pack] = {
    p.key: p
    for p in (
        Pack(
            "salon",
            "Hair & beauty salon",
            "After-hours reply, complaint escalation, booking requests, SLA nudge, WhatsApp window.",
            _hours(("tue", "wed", "thu", "fri", "sat"), "09:00", "18:00"),
            [
                after_hours(
                    "Hi{% if contact.name %} {{ contact.name }}{% endif %}! {{ workspace.name }} is closed right now "
                    "(we're open {{ business_hours }}). We'll get back to you {{ next_opening }}."
                ),
                escalate(
                    "complaint or urgent",
                    ["urgent", "complaint", "refund", "allergic", "reaction", "burn"],
                    "Urgent from {{ contact.name or 'a customer' }}: {{ message.text }}",
                ),
                booking(
                    ["book", "appointment", "booking", "reserve", "cita"],
                    "Happy to book you in! Which service, and which day and time suit you?",
                ),
                sla(15),
                WHATSAPP_WINDOW,
            ],
        ),
        Pack(
            "clinic",
            "Clinic",
            "Emergencies to staff at once, results and prescriptions always approved, after-hours reply.",
            _hours(("mon", "tue", "wed", "thu", "fri"), "08:00", "19:00"),
            [
                after_hours(
                    "Thank you for your message. The clinic is closed now and will reply {{ next_opening }}. "
                    "If this is an emergency, call your local emergency number."
                ),
                escalate(
                    "emergency words",
                    ["emergency", "urgent", "bleeding", "chest pain", "can't breathe", "severe"],
                    "Possible emergency from {{ contact.name or 'a patient' }}: {{ message.text }}",
                ),
                {
                    "name": "medical questions need approval",
                    "description": "Results, prescriptions and diagnoses are never answered without staff.",
                    "priority": 250,
                    "trigger": {"type": "message_received"},
                    "conditions": {
                        "variable": "message.text",
                        "operator": "contains_any",
                        "value": ["result", "prescription", "dose", "diagnosis", "medication"],
                    },
                    "actions": [{"type": "require_approval"}, {"type": "add_tags", "tags": ["medical"]}],
                },
                booking(
                    ["appointment", "book", "booking", "see the doctor"],
                    "We can help with an appointment. Which day and time suit you, and is it a first visit?",
                ),
                sla(10),
            ],
        ),
        Pack(
            "restaurant",
            "Restaurant",
            "Reservations tagged, large groups and allergies to staff, after-hours reply.",
            _hours(("tue", "wed", "thu", "fri", "sat", "sun"), "12:00", "23:00"),
            [
                after_hours(
                    "Thanks for writing to {{ workspace.name }}! We're closed right now and will answer "
                    "{{ next_opening }}."
                ),
                booking(
                    ["table", "reservation", "reserve", "book"],
                    "We'd love to have you! For how many people, and which day and time?",
                ),
                {
                    "name": "large groups and allergies",
                    "description": "Groups of 10 or more and allergy questions go to a person.",
                    "priority": 250,
                    "trigger": {"type": "message_received"},
                    "conditions": {
                        "any": [
                            {
                                "variable": "message.text",
                                "operator": "matches_regex",
                                "value": r"\b([1-9]\d)\s*(people|guests|persons|pax)\b",
                            },
                            {
                                "variable": "message.text",
                                "operator": "contains_any",
                                "value": ["allergy", "allergic", "gluten", "celiac", "nut"],
                            },
                        ]
                    },
                    "actions": [{"type": "handoff"}, {"type": "add_tags", "tags": ["needs-host"]}],
                },
                sla(20),
            ],
        ),
        Pack(
            "ecommerce",
            "E-commerce shop",
            "Refunds and returns escalated, order questions tagged, quiet customers followed up.",
            _hours(("mon", "tue", "wed", "thu", "fri"), "09:00", "17:00"),
            [
                escalate(
                    "refund or return",
                    ["refund", "return", "broken", "damaged", "chargeback", "urgent"],
                    "Refund/return request from {{ contact.name or 'a customer' }}: {{ message.text }}",
                ),
                {
                    "name": "order status question",
                    "description": "Questions about an order are tagged; an order number is remembered.",
                    "trigger": {"type": "message_received"},
                    "conditions": {
                        "any": [
                            {"variable": "message.text", "operator": "matches_regex", "value": r"#?\b\d{5,}\b"},
                            {
                                "variable": "message.text",
                                "operator": "contains_any",
                                "value": ["where is my order", "tracking", "shipping", "delivery"],
                            },
                        ]
                    },
                    "actions": [{"type": "add_tags", "tags": ["order-status"]}],
                },
                after_hours("Thanks for your message! Our support team is offline and will reply {{ next_opening }}."),
                no_reply_follow_up(
                    24,
                    "Hi{% if contact.name %} {{ contact.name }}{% endif %}, is there anything "
                    "else we can help you with?",
                ),
                sla(30),
                WHATSAPP_WINDOW,
            ],
        ),
        Pack(
            "real_estate",
            "Real estate agency",
            "Viewing requests to an agent, after-hours reply, a follow-up for quiet leads.",
            _hours(("mon", "tue", "wed", "thu", "fri", "sat"), "09:00", "19:00"),
            [
                {
                    "name": "viewing request",
                    "description": "Someone wants to see a property: tag, remember, and tell an agent.",
                    "priority": 150,
                    "trigger": {"type": "message_received"},
                    "conditions": {
                        "variable": "message.text",
                        "operator": "contains_any",
                        "value": ["viewing", "visit", "see the property", "see the flat", "see the house"],
                    },
                    "actions": [
                        {"type": "add_tags", "tags": ["viewing"]},
                        {"type": "set_context", "field": "wants", "value": "viewing"},
                        {"type": "notify_staff", "message": "Viewing request: {{ message.text }}"},
                    ],
                },
                after_hours(
                    "Thanks for contacting {{ workspace.name }}! Our agents are out of the office and will "
                    "reply {{ next_opening }}."
                ),
                no_reply_follow_up(
                    48,
                    "Hi{% if contact.name %} {{ contact.name }}{% endif %}, are you still "
                    "looking? We'd be glad to arrange a viewing.",
                ),
                sla(30),
                WHATSAPP_WINDOW,
            ],
        ),
    )
}


def listing() -> list[dict[str, Any]]:
    return [
        {
            "key": p.key,
            "name": p.name,
            "description": p.description,
            "business_hours": p.business_hours,
            "rules": [{"name": r["name"], "description": r.get("description", "")} for r in p.rules],
        }
        for p in PACKS.values()
    ]


@dataclass
class Installed:
    installed: list[str]
    skipped: list[str]
    business_hours_set: bool


async def install(s: AsyncSession, *, workspace_id: str, pack: str, box: SecretBox) -> Installed:
    """Add the pack's rules that the workspace does not have yet (KeyError for an unknown pack)."""
    chosen = PACKS[pack]
    existing = await service.specs(s, workspace_id)
    done = Installed([], [], False)
    for spec in chosen.rules:
        if spec["name"] in existing:
            done.skipped.append(spec["name"])
            continue
        await service.save(s, workspace_id=workspace_id, data=spec, box=box)
        existing = await service.specs(s, workspace_id)
        done.installed.append(spec["name"])
    workspace = await s.get(Workspace, workspace_id)
    if workspace is not None and not workspace.business_hours:
        workspace.business_hours = chosen.business_hours
        done.business_hours_set = True
    return done
