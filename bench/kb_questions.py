"""The knowledge-base evaluation set (written for bench/kb_eval.py).

ABCD: customer questions against ASAPP's agent guidelines (../shared/datasets/abcd/guidelines.json),
each with the guideline section(s), "Flow > Subflow", whose passages answer it. A question lists several
sections only where the guidelines themselves treat them as one case.

Salon: questions against the demo's Bella's Salon FAQ (kb/demo.py), with the FAQ question that answers.

Out of scope: questions neither knowledge base answers. They calibrate the answer threshold: the
extractive drafter must hand these off, not answer them.
"""

from __future__ import annotations

ABCD: list[tuple[str, tuple[str, ...]]] = [
    # Product Defect
    ("I want my money back for the jacket I bought", ("Product Defect > Initiate Refund",)),
    ("Can I add another item to the refund I already started?", ("Product Defect > Update Refund",)),
    ("What's happening with my refund, has it been processed?", ("Product Defect > Refund Status",)),
    ("The shirt arrived with a stain on it, I want to return it", ("Product Defect > Return Due to Stain",)),
    (
        "The color of the sweater is not what I ordered, how do I send it back?",
        ("Product Defect > Return Due to Color",),
    ),
    ("These jeans are the wrong size, I need to return them", ("Product Defect > Return Due to Size",)),
    # Order Issue
    ("There is an extra fee on my order that I don't recognise", ("Order Issue > Status Mystery Fee",)),
    ("Can you change my delivery from morning to evening?", ("Order Issue > Status Delivery Time",)),
    (
        "I was charged on the wrong card, can I change the payment method of my order?",
        ("Order Issue > Status Payment Method",),
    ),
    ("My confirmation email shows 3 items but I only ordered 1", ("Order Issue > Status Quantity",)),
    ("I'd like to upgrade my order to overnight shipping", ("Order Issue > Manage Upgrade",)),
    ("Can I switch to slower delivery next week to save on shipping fees?", ("Order Issue > Manage Downgrade",)),
    ("I want to add a belt to the order I placed yesterday", ("Order Issue > Manage Create",)),
    ("I accidentally ordered the same item twice, please cancel one", ("Order Issue > Manage Cancel",)),
    # Account Access
    ("I forgot my username", ("Account Access > Recover Username",)),
    ("I can't log in, I forgot my password", ("Account Access > Recover Password",)),
    ("How do I reset my two-factor authentication?", ("Account Access > Reset Two-Factor Auth",)),
    ("I lost my phone and can't get the 2FA code", ("Account Access > Reset Two-Factor Auth",)),
    # Troubleshoot Site
    ("My credit card keeps getting rejected at checkout", ("Troubleshoot Site > Invalid Credit Card",)),
    ("I add things to my shopping cart but the cart stays empty", ("Troubleshoot Site > Cart Not Updating",)),
    ("The search on your site always says no results found", ("Troubleshoot Site > Search Not Working",)),
    ("Your website is so slow it is unusable", ("Troubleshoot Site > Website Too Slow",)),
    ("Pages take forever to load on acmecorp.com", ("Troubleshoot Site > Website Too Slow",)),
    # Manage Account
    ("There's a service on my account that I never signed up for", ("Manage Account > Status Service Added",)),
    ("An important service was removed from my plan by mistake", ("Manage Account > Status Service Removed",)),
    ("Does my account get free international shipping?", ("Manage Account > Status Shipping Question",)),
    ("Some store credit is missing from my account", ("Manage Account > Status Credit Missing",)),
    ("I moved, how do I update my address?", ("Manage Account > Manage Change Address",)),
    ("I need to change the name on my account", ("Manage Account > Manage Change Name",)),
    ("How can I update my phone number?", ("Manage Account > Manage Change Phone",)),
    ("I want to change the payment method saved on my account", ("Manage Account > Manage Payment Method",)),
    # Purchase Dispute
    ("A competitor sells the same boots for less, can you match it?", ("Purchase Dispute > Bad Price Competitor",)),
    ("The price was lower yesterday, can I get the difference back?", ("Purchase Dispute > Bad Price Yesterday",)),
    ("Everything I want is out of stock", ("Purchase Dispute > Out-of-Stock General",)),
    ("The one jacket I want is out of stock", ("Purchase Dispute > Out-of-Stock One Item",)),
    ("My promo code says it's invalid", ("Purchase Dispute > Promo Code Invalid",)),
    ("The promo code I got is expired", ("Purchase Dispute > Promo Code Out of Date",)),
    ("I returned the item but I was still billed for it", ("Purchase Dispute > Mistimed Billing Already Returned",)),
    ("I got a bill for something I never bought", ("Purchase Dispute > Mistimed Billing Never Bought",)),
    # Shipping Issue
    (
        "I got an email saying something is wrong with my shipment, is it still coming?",
        ("Shipping Issue > Shipping Status",),
    ),
    (
        "I need to change the shipping address on my order",
        ("Shipping Issue > Manage Shipping", "Manage Account > Manage Change Address"),
    ),
    ("My package arrived but an item is missing", ("Shipping Issue > Missing Item",)),
    ("Shipping cost way too much, can you waive the fee?", ("Shipping Issue > Shipping Cost",)),
    # Subscription Inquiry
    ("Did my payment go through? Is my subscription still active?", ("Subscription Inquiry > Status Active",)),
    ("How much do I owe for my premium subscription?", ("Subscription Inquiry > Status Due Amount",)),
    ("When does my subscription renew?", ("Subscription Inquiry > Status Due Date",)),
    ("I'd like to pay my subscription bill now", ("Subscription Inquiry > Manage Pay Bill",)),
    (
        "I can't afford my premium subscription this month, can I get an extension?",
        ("Subscription Inquiry > Manage Extension",),
    ),
    ("I was billed twice for my subscription", ("Subscription Inquiry > Manage Dispute Bill",)),
    # Single-Item Query
    ("Are your boots waterproof?", ("Single-Item Query > Boots FAQ",)),
    ("How do I get gum off the sole of my boots?", ("Single-Item Query > Boots FAQ",)),
    ("Does the shirt shrink in the wash?", ("Single-Item Query > Shirt FAQ",)),
    ("What material is the shirt made of?", ("Single-Item Query > Shirt FAQ", "Single-Item Query > Jacket FAQ")),
    ("How do I get a grass stain out of jeans?", ("Single-Item Query > Jeans FAQ",)),
    ("How much does it cost to get jeans tailored?", ("Single-Item Query > Jeans FAQ",)),
    ("How do I detach the hood of the jacket?", ("Single-Item Query > Jacket FAQ",)),
    ("Is the jacket warm enough for winter?", ("Single-Item Query > Jacket FAQ",)),
    ("How do I remove a wine stain from my jacket?", ("Single-Item Query > Jacket FAQ",)),
    # Storewide Query
    ("How much is gift wrapping?", ("Storewide Query > Pricing FAQ",)),
    ("Can you stitch my name on it, and what does that cost?", ("Storewide Query > Pricing FAQ",)),
    ("What membership levels do you have?", ("Storewide Query > Membership FAQ",)),
    ("How do I qualify for premium membership?", ("Storewide Query > Membership FAQ",)),
    ("When does the spring collection come out?", ("Storewide Query > Timing FAQ",)),
    ("When does the annual sale start?", ("Storewide Query > Timing FAQ",)),
    ("What is your return policy?", ("Storewide Query > Policy FAQ",)),
    ("How do I cancel my subscription?", ("Storewide Query > Policy FAQ",)),
]

SALON: list[tuple[str, str]] = [
    ("are you open on Sunday?", "What are your opening hours?"),
    ("What time do you close on Saturday?", "What are your opening hours?"),
    ("when do you open tomorrow morning?", "What are your opening hours?"),
    ("Are you open on Christmas Day?", "Are you open on public holidays?"),
    ("how much is a haircut?", "How much does a haircut cost?"),
    ("What do you charge for a men's cut?", "How much does a haircut cost?"),
    ("price of a kids haircut?", "How much does a haircut cost?"),
    ("How much for highlights?", "How much is hair colouring?"),
    ("what does balayage cost?", "How much is hair colouring?"),
    ("how do I make an appointment?", "How do I book an appointment?"),
    ("Can I book online?", "How do I book an appointment?"),
    ("Can I just walk in without booking?", "Do you take walk-ins?"),
    ("Do I need a patch test before you dye my hair?", "Do I need a patch test before colouring?"),
    ("What happens if I cancel my appointment the same day?", "What is your cancellation policy?"),
    ("Is there a fee for cancelling?", "What is your cancellation policy?"),
    ("I'm going to be 10 minutes late", "What if I'm running late?"),
    ("Do you take Apple Pay?", "What payment methods do you accept?"),
    ("can I pay by card?", "What payment methods do you accept?"),
    ("Do you sell gift vouchers?", "What payment methods do you accept?"),
]

OUT_OF_SCOPE: list[str] = [
    "Do you sell car insurance?",
    "What's the weather like in Paris tomorrow?",
    "Can you recommend a good pizza place nearby?",
    "Who won the football match last night?",
    "How do I renew my passport?",
    "What is the capital of Australia?",
    "Can you help me with my maths homework?",
    "Do you repair iPhone screens?",
    "I need a plumber for a leaking pipe",
    "What's the best mortgage rate right now?",
    "Can I bring my dog?",
    "Is there parking nearby?",
    "Do you do tattoos?",
    "What's your wifi password?",
    "Are you hiring stylists?",
    "hi",
    "thanks, bye!",
    "ok",
    "Tell me a joke",
    "How many calories are in a banana?",
    "What time is it in Tokyo?",
    "Can you book me a taxi?",
    "Do you sell concert tickets?",
    "Where can I adopt a cat?",
    "How do I cook rice?",
]
