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


async def test_the_owner_lists_the_websites_that_may_show_the_chat(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    ws = (await register(web, email=owner.email))["workspace"]
    page = await web.get(PAGE)
    script = html.unescape(re.search(r'<textarea id="script-snippet"[^>]*>([^<]*)<', page.text).group(1))  # type: ignore[union-attr]
    assert script == (
        f'<script src="{runtime.settings.public_url.rstrip("/")}/static/js/embed.js" '
        f'data-frontdesk-chat="{ws["slug"]}" async></script>'
    )
    assert (await web.get("/static/js/embed.js")).status_code == 200

    sites = "https://WWW.Bellas-Salon.example/\n\n  http://localhost:8080  \n"
    r = await owner.submit(PAGE, f"{PAGE}/websites", {"chat_origins": sites})
    assert r.status_code == 303, r.text
    page = await web.get(r.headers["location"])
    assert "Saved: the websites that may show your chat." in page.text
    assert "https://www.bellas-salon.example\nhttp://localhost:8080</textarea>" in page.text
    chat = await web.get(f"/chat/{ws['slug']}")
    assert chat.headers["content-security-policy"] == (
        "frame-ancestors 'self' https://www.bellas-salon.example http://localhost:8080"
    )

    # A refused line keeps what was typed, says why beside the box, and changes nothing.
    bad = "https://www.bellas-salon.example\nhttp://bellas-salon.example/book"
    r = await owner.submit(PAGE, f"{PAGE}/websites", {"chat_origins": bad})
    assert r.status_code == 422
    assert 'aria-invalid="true"' in r.text and "without a path" in html.unescape(r.text)
    assert "http://bellas-salon.example/book</textarea>" in r.text
    r = await owner.submit(
        PAGE, f"{PAGE}/websites", {"chat_origins": "\n".join(f"https://s{i}.example" for i in range(21))}
    )
    assert r.status_code == 422 and "list at most 20 websites" in r.text
    chat = await web.get(f"/chat/{ws['slug']}")
    assert "http://localhost:8080" in chat.headers["content-security-policy"]

    # Emptying the box clears the list.
    assert (await owner.submit(PAGE, f"{PAGE}/websites", {"chat_origins": ""})).status_code == 303
    assert (await web.get(f"/chat/{ws['slug']}")).headers["content-security-policy"] == "frame-ancestors 'self'"
