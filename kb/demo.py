"""The demo workspace's knowledge: a small, real FAQ for Bella's Salon, so `frontdesk demo` answers
questions about hours, prices, booking and cancellation out of the box, with citations, and no LLM.

Kept as text in code (not a data file) so every kind of install ships it.
"""

from __future__ import annotations

from core.db import Database
from kb.embedders import Embedders
from kb.ingest.readers import parse
from kb.store import Stored, content_hash, store_document

FAQ_NAME = "bellas-salon-faq.md"
FAQ = """# Bella's Salon FAQ

## Opening hours

### What are your opening hours?
We are open Tuesday to Saturday, 9am to 6pm. We are closed on Sundays and Mondays.

### Are you open on public holidays?
No, we are closed on public holidays. The week before Christmas we open on Monday too.

## Prices

### How much does a haircut cost?
A women's cut and blow-dry is $55, a men's cut is $30 and a children's cut (under 12) is $20.
A fringe trim between appointments is free.

### How much is hair colouring?
Full colour starts at $85, highlights at $110 and balayage at $150. The final price depends on your
hair's length and thickness; your stylist confirms it at the free consultation before starting.

### Price list

| Service | Price |
|---|---|
| Women's cut and blow-dry | $55 |
| Men's cut | $30 |
| Children's cut (under 12) | $20 |
| Blow-dry only | $35 |
| Full colour | from $85 |
| Highlights | from $110 |
| Balayage | from $150 |
| Manicure | $30 |

## Booking

### How do I book an appointment?
Book online at bellas-salon.example/book, call us on (555) 010-2030, or send us a message here.
Saturdays fill up fast, so book about a week ahead for a Saturday.

### Do you take walk-ins?
Yes, whenever a stylist is free. Weekday mornings are the quietest.

### Do I need a patch test before colouring?
Yes. We do a free five-minute patch test at least 48 hours before any colour service, for your safety.

## Cancellation

### What is your cancellation policy?
Please cancel or move your appointment at least 24 hours ahead, free of charge. Cancellations with
less notice are charged 50% of the service price, and missed appointments the full price.

### What if I'm running late?
Call us. We hold your appointment for 15 minutes; after that we may shorten the service or rebook you.

## Payment

### What payment methods do you accept?
Cash, all major cards, Apple Pay and Google Pay. Gift vouchers are sold at the desk and online.
"""


async def seed_demo_faq(db: Database, *, workspace_id: str, embedders: Embedders | None = None) -> Stored:
    """Add the FAQ to the workspace's knowledge base (a no-op when it is already there)."""
    data = FAQ.encode()
    return await store_document(
        db,
        workspace_id=workspace_id,
        collection_id=None,
        source=FAQ_NAME,
        kind="file",
        parsed=parse(FAQ_NAME, data),
        digest=content_hash(data),
        size=len(data),
        embedders=embedders,
    )
