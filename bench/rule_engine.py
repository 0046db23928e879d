"""The rule engine: evaluating a workspace's 100 active rules against one customer message.

    .venv/bin/python -m bench.rule_engine

No database: the rules are compiled once (as the rule book does when they are saved or loaded), then
each iteration takes a new message and times
1. match: building the facts for the message and testing all 100 rules' conditions;
2. evaluate: what the rules stage does per message (engine.evaluate in a dry run), adding the
   per-rule explain trace written to the execution log and the matched rules' actions (dry).
The goal (issue 8) is <= 0.5 ms median for 100 rules.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import fmt_ms, summary_ms
from core.messages import ChannelKind, InboundMessage, Sender
from core.models import Contact, Conversation, Workspace
from rules.engine import compile_rule, evaluate, ordered
from rules.facts import Situation, facts
from rules.run import Services
from rules.schema import validate

TARGET_MS = 0.5
WORDS = ["refund", "urgent", "book", "price", "parking", "cancel", "late", "gift", "voucher", "colour", "nails"]
TEXTS = [
    "Hi, can I book a cut for Saturday morning?",
    "How much is a colour and cut?",
    "I need to cancel my appointment tomorrow, sorry",
    "Is there parking near the salon?",
    "This is urgent, my order #123456 never arrived",
    "Do you sell gift vouchers?",
    "hola, tenéis cita el martes?",
]


def hundred_rules(seed: int = 8) -> list[dict[str, Any]]:
    """A realistic mix: keyword lists, regexes, choices, numbers, business hours, nested groups."""
    rnd = random.Random(seed)
    specs = []
    for i in range(100):
        word = rnd.choice(WORDS)
        kind = i % 5
        if kind == 0:
            cond: dict[str, Any] = {
                "variable": "message.text",
                "operator": "contains_any",
                "value": [word, f"{word}s", f"x{i}"],
            }
        elif kind == 1:
            cond = {
                "variable": "message.text",
                "operator": "matches_regex",
                "value": rf"\b{word}\w*\b.*\d{{{3 + i % 3}}}",
            }
        elif kind == 2:
            cond = {
                "all": [
                    {"variable": "time.within_business_hours", "operator": "is_false"},
                    {"variable": "message.channel", "operator": "in", "value": ["web", "whatsapp"]},
                    {"not": {"variable": "conversation.tags", "operator": "contains_any", "value": [f"tag{i}"]}},
                ]
            }
        elif kind == 3:
            cond = {
                "any": [
                    {"variable": "conversation.priority", "operator": "equals", "value": "urgent"},
                    {"variable": "time.minutes_since_staff_message", "operator": "greater_than", "value": 60 + i},
                    {"variable": f"context.field{i}", "operator": "equals", "value": "yes"},
                ]
            }
        else:
            cond = {
                "all": [
                    {"variable": "message.text", "operator": "contains_all", "value": [word, "please"]},
                    {"variable": "time.hour", "operator": "between", "value": [8, 20]},
                ]
            }
        specs.append(
            {
                "name": f"rule {i:03d}",
                "priority": rnd.randint(0, 500),
                "trigger": {"type": "message_received"},
                "conditions": cond,
                "actions": [{"type": "add_tags", "tags": [f"r{i}"]}, {"type": "require_approval"}],
            }
        )
    return specs


def situation(text: str, now: datetime) -> Situation:
    ws = Workspace(
        id="w",
        name="Bella's Salon",
        timezone="Europe/Madrid",
        business_hours={d: [["09:00", "18:00"]] for d in ("tue", "wed", "thu", "fri", "sat")},
    )
    return Situation(
        workspace=ws,
        now=now,
        conversation=Conversation(id="c", channel="web", status="open", priority="normal", tags=["vip"]),
        contact=Contact(display_name="Ana", language="es"),
        message=InboundMessage(
            workspace_id="w",
            channel=ChannelKind.web,
            account="a",
            external_id="e",
            thread="t",
            sender=Sender(id="s", display_name="Ana"),
            text=text,
        ),
        context={"field3": "no"},
        last_customer_at=now,
        last_staff_at=now - timedelta(minutes=45),
    )


async def run(iterations: int = 5000) -> dict[str, Any]:
    rules = ordered([compile_rule(f"id{i}", validate(spec)) for i, spec in enumerate(hundred_rules())])
    services = Services(db=None, wakeup=None, notifier=None, box=None)  # type: ignore[arg-type]  # dry runs touch none
    base = datetime(2026, 11, 17, 8, 0, tzinfo=UTC)
    match_times, evaluate_times, matched = [], [], []
    for i in range(iterations):
        sit = situation(TEXTS[i % len(TEXTS)], base + timedelta(minutes=37 * i))
        started = time.perf_counter()
        seen = facts(sit)
        hits = [r for r in rules if r.matches(seen, {})]
        match_times.append(time.perf_counter() - started)
        matched.append(len(hits))
        started = time.perf_counter()
        await evaluate(services, rules, sit, trigger="message_received", key="bench", dry_run=True)
        evaluate_times.append(time.perf_counter() - started)
    return {
        "rules": len(rules),
        "iterations": iterations,
        "matched_per_message": sum(matched) / len(matched),
        "match": summary_ms(match_times),
        "evaluate": summary_ms(evaluate_times),
    }


def report(r: dict[str, Any]) -> str:
    ok = r["match"]["median"] <= TARGET_MS
    return "\n".join(
        [
            f"rules: {r['rules']} active rules, {r['iterations']} messages, "
            f"{r['matched_per_message']:.1f} rules matched per message",
            f"  facts + conditions of all rules: {fmt_ms(r['match'])}",
            f"  as the stage runs it (traces, dry actions): {fmt_ms(r['evaluate'])}",
            f"  target <= {TARGET_MS} ms median: {'MET' if ok else 'NOT MET'}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rule_engine", description=__doc__)
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    r = asyncio.run(run(args.iterations))
    print(json.dumps(r, indent=2) if args.json else report(r))


if __name__ == "__main__":
    main()
