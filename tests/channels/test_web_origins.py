"""Each workspace's chat websites: set through PATCH /workspaces/{id} (checked, normalised), they
decide who may frame the chat page (frame-ancestors) and whose scripts may call the chat API (CORS),
for that workspace's chat only."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from tests.conftest import make_settings
from tests.support import NewWorkspace, new_workspace

API = "/api/v1"
BELLA = "https://www.bellas-salon.example"
TONY = "https://tonys-barbers.example"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


def owner(new: NewWorkspace) -> dict[str, str]:
    return {"Authorization": f"Bearer {new.token}"}


async def set_sites(web: httpx.AsyncClient, new: NewWorkspace, sites: list[str]) -> httpx.Response:
    return await web.patch(f"{API}/workspaces/{new.workspace.id}", json={"chat_origins": sites}, headers=owner(new))


async def test_the_list_is_checked_and_kept_as_browsers_write_origins(web: httpx.AsyncClient, runtime: Runtime) -> None:
    bella = await new_workspace(runtime.db)
    r = await set_sites(web, bella, ["https://WWW.Bellas-Salon.example:443/", "http://localhost:8080", BELLA])
    assert r.status_code == 200, r.text
    assert r.json()["chat_origins"] == [BELLA, "http://localhost:8080"]
    got = await web.get(f"{API}/workspaces/{bella.workspace.id}", headers=owner(bella))
    assert got.json()["chat_origins"] == [BELLA, "http://localhost:8080"]

    for bad, said in [
        ("https://bellas-salon.example/book", "without a path"),
        ("http://bellas-salon.example", "use https://"),
        ("https://*.bellas-salon.example", "wildcard"),
        ("bellas-salon.example", "start it with https://"),
        ("https://bellas-salon.example:70000", "port"),
        ("javascript:alert(1)", "start it with https://"),
        ("https://bellas salon.example", "not valid"),
    ]:
        r = await set_sites(web, bella, [BELLA, bad])
        assert r.status_code == 422, bad
        assert said in r.text, (bad, r.text)
    r = await set_sites(web, bella, [f"https://site{i}.example" for i in range(21)])
    assert r.status_code == 422
    assert (await web.get(f"{API}/workspaces/{bella.workspace.id}", headers=owner(bella))).json()["chat_origins"] == [
        BELLA,
        "http://localhost:8080",
    ]
    assert (await set_sites(web, bella, [])).json()["chat_origins"] == []


async def test_only_the_listed_sites_may_frame_the_chat_page(web: httpx.AsyncClient, runtime: Runtime) -> None:
    bella = await new_workspace(runtime.db)
    page = await web.get(f"/chat/{bella.workspace.slug}")
    assert page.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert (await set_sites(web, bella, [BELLA, "http://localhost:8080"])).status_code == 200
    page = await web.get(f"/chat/{bella.workspace.slug}")
    assert page.headers["content-security-policy"] == f"frame-ancestors 'self' {BELLA} http://localhost:8080"
    tony = await new_workspace(runtime.db, name="Tony's Barbers")
    assert (await web.get(f"/chat/{tony.workspace.slug}")).headers["content-security-policy"] == (
        "frame-ancestors 'self'"
    )


async def _post(web: httpx.AsyncClient, new: NewWorkspace, origin: str | None, **extra: str) -> httpx.Response:
    headers = {"Origin": origin, **extra} if origin else extra
    body = {"agent": new.assistant.slug, "message": "Are you open on Sunday?", "session_id": str(uuid.uuid4())}
    return await web.post(f"{API}/chat", json=body, headers=headers)


async def test_a_site_may_call_its_own_workspaces_chat_and_no_other(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    web = client  # with the worker running, so each message is answered at once
    bella, tony = await new_workspace(runtime.db), await new_workspace(runtime.db, name="Tony's Barbers")
    assert (await set_sites(web, bella, [BELLA])).status_code == 200
    assert (await set_sites(web, tony, [TONY])).status_code == 200

    # A preflight names no workspace: any listed site passes it, an unlisted one does not.
    ok = await web.options(f"{API}/chat", headers={"Origin": BELLA, **PREFLIGHT})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == BELLA
    evil = await web.options(f"{API}/chat", headers={"Origin": "https://evil.example", **PREFLIGHT})
    assert "access-control-allow-origin" not in evil.headers

    r = await _post(web, bella, BELLA)
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == BELLA
    history = await web.get(f"{API}/chat/{r.json()['session_id']}/messages", headers={"Origin": BELLA})
    assert history.status_code == 200 and history.headers["access-control-allow-origin"] == BELLA

    # Bella's site calling Tony's chat: refused, and without CORS headers the script cannot even read why.
    refused = await _post(web, tony, BELLA)
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    stolen = await web.get(f"{API}/chat/{r.json()['session_id']}/messages", headers={"Origin": TONY})
    assert stolen.status_code == 403 and "access-control-allow-origin" not in stolen.headers
    assert (await _post(web, tony, "https://evil.example")).status_code == 403

    # The chat page itself (same site) and callers that are not a browser's script still pass.
    assert (await _post(web, tony, "http://testserver")).status_code == 200
    assert (await _post(web, tony, None)).status_code == 200

    # A change takes effect at once: Tony adds Bella's site.
    assert (await set_sites(web, tony, [TONY, BELLA])).status_code == 200
    assert (await _post(web, tony, BELLA)).status_code == 200
    assert (await set_sites(web, tony, [TONY])).status_code == 200
    assert (await _post(web, tony, BELLA)).status_code == 403


@pytest.fixture
def server_wide(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, chat_allowed_origins=["https://Partner.example/"])


async def test_the_servers_list_adds_to_every_workspaces(server_wide: Settings) -> None:
    runtime = Runtime.build(server_wide)
    app = create_app(runtime)
    await runtime.start(worker=True)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as web:
            bella = await new_workspace(runtime.db)
            assert (await set_sites(web, bella, [BELLA])).status_code == 200
            page = await web.get(f"/chat/{bella.workspace.slug}")
            assert page.headers["content-security-policy"] == (
                f"frame-ancestors 'self' {BELLA} https://partner.example"
            )
            r = await _post(web, bella, "https://partner.example")
            assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://partner.example"
    finally:
        await runtime.close()
