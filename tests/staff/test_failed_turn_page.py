"""A turn that failed for good shows under the customer's message on the conversation's page, with
the error and a Retry button that puts it back in the queue (StaffActions.retry_turn, as
`POST /api/v1/inbox/{id}/retry`; audited with face "web"). Another workspace's turn or conversation is
refused, and a turn already retried says so."""

from __future__ import annotations

import re
import uuid

import httpx

from bot.runtime import Runtime
from core.pipeline.turn import Turn
from tests.admin.conftest import API, bearer, register
from tests.admin.web_pages import Visitor, error_text

FAILED = "The assistant could not answer this message"


async def _failed_turn(web: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str], text: str) -> str:
    """A customer's message whose turn fails for good (one attempt); its conversation's id."""
    slug = (await web.get(f"{API}/assistants", headers=headers)).json()[0]["slug"]
    understand = next(stage.run for stage in runtime.pipeline.stages if stage.name == "understand")

    async def broken(turn: Turn) -> None:
        raise RuntimeError("understanding crashed")

    runtime.pipeline.replace("understand", broken)
    try:
        body = {"agent": slug, "message": text, "session_id": str(uuid.uuid4())}
        assert (await web.post(f"{API}/chat", json=body)).status_code == 200
        await runtime.worker().drain()
    finally:
        runtime.pipeline.replace("understand", understand)
    items = (await web.get(f"{API}/conversations", headers=headers)).json()["items"]
    return str(items[0]["id"])


async def test_a_failed_turn_is_shown_and_retried_from_the_conversation(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    runtime.settings.inbox_max_attempts = 1
    owner = Visitor(web)
    await owner.register()
    api = bearer(str((await register(web, email=owner.email))["token"]))
    conversation = await _failed_turn(web, runtime, api, "Is parking free?")
    other = await register(web, workspace_name="Elsewhere")
    theirs = await _failed_turn(web, runtime, bearer(other["token"]), "Do you open on Sundays?")
    [their_item] = (await web.get(f"{API}/inbox", headers=bearer(other["token"]))).json()["items"]

    page = await web.get(f"/inbox/{conversation}")
    assert page.status_code == 200 and FAILED in page.text and "understanding crashed" in page.text
    found = re.search(r'name="inbox_id" value="(\d+)"', page.text)
    assert found
    inbox_id = found.group(1)

    url = f"/inbox/{conversation}/retry"
    r = await owner.submit(f"/inbox/{conversation}", url, {"inbox_id": str(their_item["id"])})
    assert r.status_code == 422 and "not waiting to be retried" in error_text(r)
    r = await owner.submit(f"/inbox/{conversation}", f"/inbox/{theirs}/retry", {"inbox_id": inbox_id})
    assert r.status_code == 404
    r = await owner.submit(f"/inbox/{conversation}", url, {"inbox_id": "not a number"})
    assert r.status_code == 400
    assert (await web.get(f"{API}/inbox", headers=bearer(other["token"]))).json()["total"] == 1  # theirs untouched

    r = await owner.submit(f"/inbox/{conversation}", url, {"inbox_id": inbox_id})
    assert r.status_code == 303 and "done=retried" in r.headers["location"]
    assert "Trying again" in (await web.get(r.headers["location"])).text
    audit = (await web.get(f"{API}/audit", headers=api, params={"action": "inbox.retry"})).json()["items"]
    assert [(e["object_id"], e["face"]) for e in audit] == [(inbox_id, "web")]
    await runtime.worker().drain()
    assert FAILED not in (await web.get(f"/inbox/{conversation}")).text
    assert (await web.get(f"{API}/inbox", headers=api)).json()["total"] == 0

    again = await owner.submit(f"/inbox/{conversation}", url, {"inbox_id": inbox_id})
    assert again.status_code == 422 and "retried already" in error_text(again)
