# ruff: noqa: E501 - one case per line reads best
"""Context-extraction cases: customer messages a salon's front desk gets, with the fields a person
would fill in. Written for this benchmark (not taken from the parsers' own tests).

The clock is Tuesday 17 November 2026, 10:00 in London; the schema is the front-desk template
with phone numbers read in the UK unless they carry a +country code.
"""

from __future__ import annotations

from typing import Any

T = "2026-11-"

CASES: list[tuple[str, dict[str, Any]]] = [
    ("hi I'm furious, my booking for tomorrow 3pm was cancelled, call me on 07700 900123",
     {"phone": "+447700900123", "appointment_at": T + "18T15:00+00:00"}),
    ("can I come next Tuesday at 3 for a trim?", {"appointment_at": T + "24T15:00+00:00", "service": "haircut"}),
    ("my number is +44 7911 123456", {"phone": "+447911123456"}),
    ("ring me on 020 7946 0958 please", {"phone": "+442079460958"}),
    ("you can reach me at (0161) 496 0000 after 5", {"phone": "+441614960000"}),
    ("Text me: 07911123456", {"phone": "+447911123456"}),
    ("I'm visiting from the US, my cell is +1 415-555-2671", {"phone": "+14155552671"}),
    ("my email is ana.lopez@example.com", {"email": "ana.lopez@example.com"}),
    ("send the receipt to J.Smith+salon@Example.co.uk thanks", {"email": "J.Smith+salon@example.co.uk"}),
    ("is Friday at 10:30 free for highlights?", {"appointment_at": T + "20T10:30+00:00", "service": "colour"}),
    ("could I book a manicure on Saturday at 2pm", {"appointment_at": T + "21T14:00+00:00", "service": "manicure"}),
    ("table for four people on Friday 7:30pm", {"appointment_at": T + "20T19:30+00:00", "party_size": 4}),
    ("we're 3 guests, any time tomorrow afternoon", {"party_size": 3, "appointment_at": T + "18T15:00+00:00"}),
    ("I'd like a massage on the 24th at 11am", {"service": "massage", "appointment_at": T + "24T11:00+00:00"}),
    ("balayage please, Dec 3 at 9:30", {"service": "colour", "appointment_at": "2026-12-03T09:30+00:00"}),
    ("how much is a haircut?", {"service": "haircut"}),
    ("what are your opening hours?", {}),
    ("thanks, see you soon!", {}),
    ("do you do gel nails?", {"service": "manicure"}),
    ("please cancel my appointment on Thursday", {"appointment_at": T + "19T00:00+00:00"}),
    ("move me to Monday at 4pm if you can, 07700 900456", {"appointment_at": T + "23T16:00+00:00", "phone": "+447700900456"}),
    ("call me now on 07700 900789", {"phone": "+447700900789"}),
    ("my booking ref is ABC123, email me at bob@example.org", {"email": "bob@example.org"}),
    ("two of us for a cut and colour tomorrow at 12", {"party_size": 2, "service": "haircut", "appointment_at": T + "18T12:00+00:00"}),
    ("I need a dye job before the 5th of December", {"service": "colour", "appointment_at": "2026-12-05T00:00+00:00"}),
    ("is there parking near you?", {}),
    ("phone: 0044 20 7946 0000", {"phone": "+442079460000"}),
    ("can you fit me in today at 5pm? mob 07700900321", {"appointment_at": T + "17T17:00+00:00", "phone": "+447700900321"}),
    ("hey! it's Priya, priya@example.in, re my trim on Wednesday", {"email": "priya@example.in", "service": "haircut", "appointment_at": T + "18T00:00+00:00"}),
    ("I was charged twice, my card ends 4242, call 07700 900111", {"phone": "+447700900111"}),
    ("booking for 6 people next Saturday at 1pm", {"party_size": 6, "appointment_at": T + "28T13:00+00:00"}),
    ("I'll be 10 minutes late for my 2pm", {}),
    ("any slots on 1 December?", {"appointment_at": "2026-12-01T00:00+00:00"}),
    ("hola, quiero una cita mañana", {}),
    ("😡😡😡", {}),
    ("reach me on +33 1 23 45 67 89 while I'm in Paris", {"phone": "+33123456789"}),
    ("at 3 tomorrow works for the colour", {"appointment_at": T + "18T15:00+00:00", "service": "colour"}),
    ("my husband's number: 07911 654321, mine is in your system", {"phone": "+447911654321"}),
    ("Could I get a massage for 2 guests on Sunday at 10?", {"service": "massage", "party_size": 2, "appointment_at": T + "22T10:00+00:00"}),
    ("email: not-an-email@, phone unknown", {}),
    ("I want highlights. Contact: lee.chan@example.com / 07700 900222", {"service": "colour", "email": "lee.chan@example.com", "phone": "+447700900222"}),
    ("fri 9am?", {"appointment_at": T + "20T09:00+00:00"}),
    ("Tuesday 24 November, 15:15, trim", {"appointment_at": T + "24T15:15+00:00", "service": "haircut"}),
    ("please call back on 447700900333", {"phone": "+447700900333"}),
]  # fmt: skip
