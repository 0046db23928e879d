"""Every face does the same staff action on a draft: the API, the CLI and the Slack console (its
buttons and modals) each act on a draft of their own, and the same audit entry, the same rule
event and the same live-update notice come out of all three (the harness: tests/staff/faces.py).

Drafts here: approve (optionally edited, optionally saved as an answer), reject with a reason, and
take over then hand back. Conversations (take over, reply, triage, retrying a failed turn) are in
test_every_face_conversation.py; context edits and workflow moves in test_every_face_context.py.

Every staff action is offered by all three faces. Two differ in form, not in effect: Slack saves
an answer with the approved card's button (the API and the CLI with the approval itself), and a
reply from Slack is a message in the card's thread (taken over, or with the reply marker), which
saves no answer (`conversation reply --save-answer` and the API's `save_answer` do).
"""

from __future__ import annotations

from channels.slack import cards
from tests.channels.test_slack import DRAFT
from tests.staff.faces import Desk, cli, cross_process, desk, fake, llm, settings

__all__ = ["cli", "desk", "fake", "llm", "settings"]  # the harness's fixtures
REASON, EDIT = "We moved the hours", "Open 9 to 6, and until 8 on Thursdays."


async def test_approve_and_save_as_an_answer(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3, "Is there parking nearby?")
    await desk.api("POST", f"/drafts/{api.draft}/approve", {"save_answer": True})
    await desk.cli("draft", "approve", cli.draft, "--save-answer")
    await desk.click(cards.APPROVE, slack.draft, slack.card_ts)
    await desk.click(cards.SAVE_ANSWER, slack.draft, slack.card_ts)

    faces = {"api": api, "cli": cli, "slack": slack}
    approved = await desk.same_entries("draft.approve", faces)
    assert approved["before"] == {"state": "pending", "conversation_status": "waiting"}
    assert approved["after"] == {"state": "approved", "conversation_status": "open", "final_text": DRAFT}
    saved = await desk.same_entries("answer.save", faces)
    assert saved["after"] == {"question": "Is there parking nearby?", "answer": DRAFT}
    await desk.notified(cross_process(desk, [api, cli, slack]))


async def test_approve_an_edit(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3)
    await desk.api("POST", f"/drafts/{api.draft}/approve", {"text": EDIT})
    await desk.cli("draft", "approve", cli.draft, "--text", EDIT)
    await desk.modal(cards.EDIT, slack, {"reply": EDIT})

    edited = await desk.same_entries("draft.approve", {"api": api, "cli": cli, "slack": slack})
    assert edited["after"] == {"state": "edited", "conversation_status": "open", "final_text": EDIT}
    await desk.notified(cross_process(desk, [api, cli, slack]))


async def test_reject_with_a_reason_runs_the_owners_rules_from_every_face(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3)
    since = await desk.last_run()
    await desk.api("POST", f"/drafts/{api.draft}/reject", {"reason": REASON})
    await desk.cli("draft", "reject", cli.draft, "--reason", REASON)
    await desk.modal(cards.REJECT, slack, {"reason": REASON})

    rejected = await desk.same_entries("draft.reject", {"api": api, "cli": cli, "slack": slack})
    assert rejected == {"object_type": "draft", "before": {"state": "pending"},
                        "after": {"state": "rejected", "reason": REASON}}  # fmt: skip
    await desk.fired("draft_rejected", [api, cli, slack], "rejected", since=since)
    await desk.notified(cross_process(desk, [api, cli, slack]))


async def test_take_over_a_draft_then_hand_back(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3)
    await desk.api("POST", f"/drafts/{api.draft}/takeover")
    await desk.cli("draft", "takeover", cli.draft)
    await desk.click(cards.TAKE_OVER, slack.draft, slack.card_ts)

    faces = {"api": api, "cli": cli, "slack": slack}
    taken = await desk.same_entries("draft.take_over", faces)
    assert taken["before"] == {"state": "pending", "bot_paused": False}
    assert taken["after"] == {"state": "taken_over", "bot_paused": True}
    await desk.notified(cross_process(desk, [api, cli, slack]))

    await desk.api("PATCH", f"/conversations/{api.conversation}", {"bot_paused": False})
    assert (await desk.cli("conversation", "handback", cli.conversation, "--json"))["bot_paused"] is False
    await desk.click(cards.HAND_BACK, slack.conversation, slack.card_ts)
    back = await desk.same_entries("conversation.hand_back", faces)
    assert (back["object_type"], back["before"], back["after"]) == (
        "conversation",
        {"bot_paused": True},
        {"bot_paused": False},
    )
