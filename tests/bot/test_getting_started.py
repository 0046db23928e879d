"""/getting-started: a new owner's checklist ticks itself off as they set hours, configure the
assistant, add knowledge and add staff (another workspace's doing ticks nothing), and shows the web
chat's embed snippet for their own workspace."""

from __future__ import annotations

import html
import re

import httpx

from bot.runtime import Runtime
from tests.admin.conftest import API, bearer, register
from tests.admin.test_web_team import _add_staff
from tests.admin.web_pages import Visitor
from tests.kb.test_api import FAQ, upload

PAGE = "/getting-started"


def ticked(page: httpx.Response) -> set[str]:
    return set(re.findall(r'<li id="step-(\w+)">\s*<span class="tick done">', page.text))


async def test_the_checklist_ticks_itself_off_from_real_state(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    session = await register(web, email=owner.email)
    ws, token = session["workspace"], session["token"]
    page = await web.get(PAGE)
    assert page.status_code == 200 and "0 of 5 done" in page.text and ticked(page) == set()
    snippet = html.unescape(re.search(r'<textarea id="embed-snippet"[^>]*>([^<]*)<', page.text).group(1))  # type: ignore[union-attr]
    chat = f"{runtime.settings.public_url.rstrip('/')}/chat/{ws['slug']}"
    assert snippet.startswith(f'<iframe src="{chat}" title="Chat with us"')
    assert (await web.get(f"/chat/{ws['slug']}")).status_code == 200  # the page the frame shows

    # Someone else's workspace doing everything ticks nothing here.
    other = await register(web)
    await upload(web, other["token"], "visiting.md", FAQ)
    assert ticked(await web.get(PAGE)) == set()

    hours = {"timezone": "Europe/Madrid", "business_hours": {"tue": [["09:00", "18:00"]]}}
    r = await web.put(f"{API}/context/workspaces/{ws['id']}/business-hours", json=hours, headers=bearer(token))
    assert r.status_code == 200
    assert ticked(await web.get(PAGE)) == {"hours"}
    assistant = (await web.get(f"{API}/assistants", headers=bearer(token))).json()[0]
    r = await web.patch(f"{API}/assistants/{assistant['id']}", json={"instructions": "Speak like Bella."},
                        headers=bearer(token))  # fmt: skip
    assert r.status_code == 200, r.text
    assert (await upload(web, token, "visiting.md", FAQ)).status_code == 201
    await _add_staff(web, runtime, ws["id"])
    page = await web.get(PAGE)
    assert ticked(page) == {"hours", "assistant", "knowledge", "staff"} and "4 of 5 done" in page.text


async def test_staff_do_not_see_the_checklist(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    sam = await _add_staff(web, runtime, (await register(web, email=owner.email))["workspace"]["id"])
    await owner.sign_out()
    await Visitor(web, email=sam["email"]).sign_in()
    assert (await web.get(PAGE)).status_code == 403
