"""Every face edits a conversation's context the same way: fields (checked against the workspace's
schema) and workflow moves, through the API, the CLI (`frontdesk conversation context|move`) and
Slack (`/frontdesk context|move`), with the same audit entries, the same context history and the
owner's `context_changed` rules (the harness: tests/staff/faces.py).

Slack sends a command's text escaped (the manifest's `should_escape: true`): an email as a mailto
link and `&` as `&amp;`; the values stored are what staff typed.
"""

from __future__ import annotations

from tests.staff.faces import Desk, cli, cross_process, desk, fake, llm, settings

__all__ = ["cli", "desk", "fake", "llm", "settings"]  # the harness's fixtures
FIELDS = {"service": "colour", "email": "ann@bella.example", "wants": "cut & colour"}


async def test_context_edits_and_workflow_moves_from_every_face(desk: Desk) -> None:
    api, cli, slack = await desk.waiting(3)
    faces = {"api": api, "cli": cli, "slack": slack}
    base = f"/context/workspaces/{desk.workspace_id}/conversations"
    since = await desk.last_run()
    await desk.api("PATCH", f"{base}/{api.conversation}", {"fields": FIELDS})
    edited = await desk.cli("conversation", "context", cli.conversation[:8], *(f"{k}={v}" for k, v in FIELDS.items()),
                            "--json")  # fmt: skip
    assert {c["field"]: c["new"] for c in edited["changes"]} == FIELDS
    said = await desk.command(
        f"context {slack.conversation[:8]} service=colour "
        "email=<mailto:ann@bella.example|ann@bella.example> wants=cut &amp; colour"
    )
    assert "• service: colour" in said and "• wants: cut &amp; colour" in said  # escaped again for Slack
    await desk.fired("context_changed", [api, cli, slack], "edited", since=since)

    since = await desk.last_run()
    await desk.api("POST", f"{base}/{api.conversation}/status", {"status": "booked"})
    assert (await desk.cli("conversation", "move", cli.conversation, "booked", "--json"))["changes"][0][
        "new"
    ] == "booked"
    assert "• status: booked" in await desk.command(f"move {slack.conversation[:8]} booked")
    await desk.fired("context_changed", [api, cli, slack], "edited", since=since)

    assert await desk.same_entries("context.edit", faces) == {
        "object_type": "conversation",
        "before": dict.fromkeys(FIELDS),
        "after": FIELDS,
    }
    moved = await desk.same_entries("context.status", faces)
    assert moved["after"] == {"status": "booked"}
    history = await desk.same_history(faces)
    assert sorted(history[:3]) == sorted((name, None, value) for name, value in FIELDS.items())
    assert history[3][0::2] == ("status", "booked")
    await desk.notified(cross_process(desk, [api, cli, slack]))
