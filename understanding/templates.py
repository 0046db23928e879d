"""What a workspace starts with: intents with example phrases, and a front-desk context schema.

A workspace that has defined no intents of its own is classified against these; once it defines any,
only its own count. The schema is installed by the demo and by `PUT .../schema` with `{"template":
"front_desk"}`.
"""

from __future__ import annotations

from typing import Any

DEFAULT_INTENTS: dict[str, list[str]] = {
    "booking": [
        "I'd like to book an appointment",
        "can I make a booking for Saturday",
        "do you have any availability tomorrow afternoon",
        "I want to schedule a haircut next week",
        "is there a free slot on Friday at 3",
        "can I reserve a table for two tonight",
        "book me in for a trim please",
        "I need an appointment as soon as possible",
    ],
    "reschedule": [
        "can I move my appointment to Thursday",
        "I need to reschedule my booking",
        "could we change my time to later in the day",
        "can I come at 4 instead of 2",
        "something came up, can we do another day",
        "please push my appointment back an hour",
    ],
    "cancel": [
        "I need to cancel my appointment",
        "please cancel my booking for tomorrow",
        "I can't make it, cancel it please",
        "cancel my reservation",
        "I won't be able to come on Friday, please cancel",
        "how do I cancel",
    ],
    "pricing": [
        "how much is a haircut",
        "what are your prices",
        "how much does it cost",
        "do you have a price list",
        "what do you charge for colouring",
        "is it expensive",
        "are there any discounts or offers",
    ],
    "hours": [
        "what time do you open",
        "are you open on Sunday",
        "what are your opening hours",
        "when do you close today",
        "are you open on bank holidays",
        "until what time are you open tonight",
    ],
    "location": [
        "where are you",
        "what's your address",
        "is there parking nearby",
        "how do I get to you",
        "which bus stops near you",
    ],
    "complaint": [
        "I'm really unhappy with the service",
        "this is unacceptable, I want to complain",
        "I'm furious, you cancelled my booking without telling me",
        "the staff were rude to me",
        "my haircut was terrible",
        "I waited an hour and nobody helped me",
        "I want a refund, this was awful",
        "you charged me twice and nobody answers",
    ],
    "human": [
        "can I speak to a person",
        "I want to talk to a human",
        "put me through to the manager",
        "is there a real person there",
        "let me talk to someone from the team",
        "stop the bot, I need an agent",
    ],
    "greeting": [
        "hi",
        "hello there",
        "good morning",
        "hey, how are you",
    ],
    "thanks": [
        "thank you",
        "thanks so much, that's great",
        "perfect, thanks for your help",
        "cheers, see you then",
    ],
}

FRONT_DESK_SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "phone", "type": "phone", "label": "Phone"},
        {"name": "email", "type": "email", "label": "Email"},
        {"name": "appointment_at", "type": "datetime", "label": "Appointment"},
        {
            "name": "service",
            "type": "enum",
            "label": "Service",
            "options": {
                "haircut": ["haircut", "hair cut", "trim", "cut"],
                "colour": ["colour", "color", "dye", "highlights", "balayage"],
                "manicure": ["manicure", "nails", "gel nails"],
                "massage": ["massage"],
            },
        },
        {"name": "party_size", "type": "number", "label": "People", "minimum": 1, "maximum": 50,
         "keywords": ["people", "persons", "guests", "of us"]},
        # The shipped rule packs' booking and viewing rules set it (a set_context action).
        {"name": "wants", "type": "text", "label": "Wants", "max_length": 64,
         "description": "What the customer came for, as a rule recorded it (booking, viewing)."},
    ],
    "workflow": {
        "initial": "new",
        "transitions": {
            "new": ["booked", "waiting_on_customer", "resolved"],
            "waiting_on_customer": ["booked", "resolved"],
            "booked": ["rescheduled", "cancelled", "resolved"],
            "rescheduled": ["booked", "cancelled", "resolved"],
            "cancelled": ["booked", "resolved"],
            "resolved": [],
        },
    },
    "priority_rules": [
        {"when": {"intent": ["complaint"], "sentiment": ["negative"]}, "priority": "urgent"},
        {"when": {"intent": ["complaint", "human"]}, "priority": "high"},
        {"when": {"sentiment": ["negative"]}, "priority": "high"},
    ],
}  # fmt: skip

TEMPLATES: dict[str, dict[str, Any]] = {"front_desk": FRONT_DESK_SCHEMA}
