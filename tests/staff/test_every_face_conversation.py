"""Every face does the same staff action on a conversation: taking it over and replying, triage
(status, priority, tags, assignee) and retrying a turn that failed. The API, the CLI
(`frontdesk conversation …`, `frontdesk inbox retry`) and Slack (`/frontdesk pause|priority|status|
tag|untag|assign|retry`, and a reply in the card's thread) each act on a conversation of their own,
and the same audit entries and rule events come out of all three (the harness: tests/staff/faces.py).
"""

from __future__ import annotations

from sqlalchemy import select

from core.models import Conversation, InboxItem
from tests.channels.slack_support import post_json, staff_message
from tests.staff.faces import ANN, Desk, cli, cross_process, desk, fake, llm, settings

__all__ = ["cli", "desk", "fake", "llm", "settings"]  # the harness's fixtures
REPLY = "We open at 9."


async def test_take_over_a_conversation_and_reply(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3)
    faces = {"api": api, "cli": cli, "slack": slack}
    await desk.api("PATCH", f"/conversations/{api.conversation}", {"bot_paused": True})
    assert (await desk.cli("conversation", "takeover", cli.conversation[:8], "--json"))["bot_paused"] is True
    assert "taken over" in await desk.command(f"pause {slack.conversation[:8]}")
    paused = await desk.same_entries("conversation.take_over", faces)
    assert (paused["before"], paused["after"]) == ({"bot_paused": False}, {"bot_paused": True})

    await desk.api("POST", f"/conversations/{api.conversation}/messages", {"text": REPLY})
    assert (await desk.cli("conversation", "reply", cli.conversation, REPLY, "--json"))["queued"] is True
    said = staff_message(REPLY, user=ANN, thread_ts=slack.card_ts, ts="1700000300.000001", event_id="EvReply")
    assert (await post_json(desk.client, desk.connection, said)).status_code == 200
    replied = await desk.same_entries("conversation.reply", faces)
    assert replied == {"object_type": "conversation", "before": None, "after": {"text": REPLY}}
    await desk.notified(cross_process(desk, [api, cli, slack]))


async def test_triage_from_every_face(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3)
    faces = {"api": api, "cli": cli, "slack": slack}
    since = await desk.last_run()
    await desk.api("PATCH", f"/conversations/{api.conversation}",
                   {"priority": "high", "tags": ["vip"], "assigned_user_id": desk.ann, "status": "closed"})  # fmt: skip
    await desk.cli("conversation", "set", cli.conversation[:8], "--status", "closed", "--priority", "high",
                   "--tag", "vip", "--assign", "ANN@bella.example")  # fmt: skip
    short = slack.conversation[:8]
    assert "*high* priority" in await desk.command(f"priority {short} high")
    assert "tags: vip" in await desk.command(f"tag {short} vip")
    assert f"assigned to <@{ANN}>" in await desk.command(f"assign {short} <@{ANN}|ann>")
    assert "now *closed*" in await desk.command(f"status {short} closed")
    await desk.fired("status_changed", [api, cli, slack], "moved", since=since)  # the owner's rule tags "moved"

    # Untagging and unassigning: the API sends the whole list of tags, the CLI and Slack name one.
    await desk.api("PATCH", f"/conversations/{api.conversation}", {"tags": ["moved"], "assigned_user_id": None})
    await desk.cli("conversation", "set", cli.conversation, "--untag", "vip", "--assign", "nobody")
    assert "tags: moved" in await desk.command(f"untag {short} vip")
    assert "assigned to nobody" in await desk.command(f"assign {short} nobody")

    for action, expected in (
        ("conversation.status", [({"status": "waiting"}, {"status": "closed"})]),
        ("conversation.priority", [({"priority": "normal"}, {"priority": "high"})]),
        ("conversation.tags", [({"tags": []}, {"tags": ["vip"]}), ({"tags": ["vip", "moved"]}, {"tags": ["moved"]})]),
        ("conversation.assign", [({"assigned_user_id": None}, {"assigned_user_id": desk.ann}),
                                 ({"assigned_user_id": desk.ann}, {"assigned_user_id": None})]),
    ):  # fmt: skip
        entries = await desk.entries_alike(action, faces)
        assert [(e["before"], e["after"]) for e in entries] == expected, action
    async with desk.runtime.db.reader() as s:
        rows = await s.execute(
            select(Conversation).where(Conversation.id.in_([t.conversation for t in faces.values()]))
        )
        triaged = {(c.status, c.priority, tuple(c.tags), c.assigned_user_id) for c in rows.scalars()}
    assert triaged == {("closed", "high", ("moved",), None)}
    await desk.notified(cross_process(desk, [api, cli, slack]))


async def test_retry_a_failed_turn_from_every_face(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3)
    faces = {"api": api, "cli": cli, "slack": slack}
    turns = {face: await desk.failed_turn(target) for face, target in faces.items()}
    listed = await desk.cli("inbox", "list", "--json")
    assert {item["id"] for item in listed["items"]} == set(turns.values())
    assert f"`{turns['slack']}`" in await desk.command("status")  # the summary lists the failed turns

    await desk.api("POST", f"/inbox/{turns['api']}/retry")
    assert (await desk.cli("inbox", "retry", str(turns["cli"]), "--json")) == {"id": turns["cli"], "queued": True}
    assert "back in the queue" in await desk.command(f"retry {turns['slack']}")

    entries = await desk.entries_alike("inbox.retry", faces)
    assert entries == [{"object_type": "inbox", "before": {"state": "failed"}, "after": {"state": "pending"}}]
    async with desk.runtime.db.reader() as s:
        states = (await s.execute(select(InboxItem.state).where(InboxItem.id.in_(turns.values())))).scalars()
        assert "failed" not in set(states)
