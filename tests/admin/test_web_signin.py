"""The web admin's sign-in: pages, the session cookie, CSRF on every form, the login throttle's
answers, the workspace switch and roles. Over ASGI on both databases; the browser journeys are in
tests/browser/test_admin_signin.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from admin.auth.throttle import EMAIL
from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from core.models import Membership, User
from tests.admin.conftest import API, PASSWORD, bearer, register
from tests.admin.test_login_throttle import let_short_waits_pass
from tests.admin.web_pages import Visitor, csrf_of, error_text


@pytest.fixture
async def visitor(web: httpx.AsyncClient) -> AsyncIterator[Visitor]:
    yield Visitor(web)


async def test_strangers_are_sent_to_sign_in(web: httpx.AsyncClient) -> None:
    for path, to in (("/", "/login"), ("/inbox", "/login?next=/inbox"), ("/team", "/login?next=/team")):
        r = await web.get(path)
        assert (r.status_code, r.headers["location"]) == (303, to)
    r = await web.get("/inbox", headers={"HX-Request": "true"})
    assert r.headers["HX-Redirect"] == "/login?next=/inbox"


async def test_register_lands_in_the_inbox_and_the_cookie_is_kept_safe(visitor: Visitor) -> None:
    r = await visitor.register()
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("frontdesk_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie  # plain http here: see the https test
    token_like = cookie.split(";")[0].split("=", 1)[1]
    assert "fd_" not in token_like  # the session token is sealed, not shown
    inbox = await visitor.client.get("/inbox")
    assert inbox.status_code == 200 and "Bella&#39;s Salon" in inbox.text and "No conversations yet" in inbox.text
    policy = inbox.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert (await visitor.client.get("/")).headers["location"] == "/inbox"
    assert (await visitor.client.get("/login")).headers["location"] == "/inbox"


async def test_sign_out_revokes_the_session_everywhere(visitor: Visitor) -> None:
    await visitor.register()
    stolen = dict(visitor.client.cookies)
    r = await visitor.sign_out()
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert (await visitor.client.get("/inbox")).status_code == 303
    # A copy of the cookie made before signing out opens nothing either: the token is revoked.
    visitor.client.cookies.clear()
    visitor.client.cookies.update(stolen)
    assert (await visitor.client.get("/inbox")).headers["location"] == "/login?next=/inbox"
    visitor.client.cookies.clear()
    r = await visitor.sign_in()
    assert (r.status_code, r.headers["location"]) == (303, "/inbox")
    assert (await visitor.client.get("/inbox")).status_code == 200


async def test_sign_in_goes_back_to_the_page_asked_for_but_never_to_another_site(visitor: Visitor) -> None:
    await visitor.register()
    await visitor.sign_out()
    for asked, landed in (("/team", "/team"), ("//evil.example/", "/inbox"), ("https://evil.example", "/inbox")):
        token = csrf_of(await visitor.client.get(f"/login?next={asked}"))
        form = {"csrf_token": token, "email": visitor.email, "password": PASSWORD, "next": asked}
        r = await visitor.client.post("/login", data=form)
        assert r.headers["location"] == landed
        await visitor.sign_out()


async def test_the_cookie_is_secure_when_the_site_is_https(settings: Settings) -> None:
    runtime = Runtime.build(settings.model_copy(update={"public_url": "https://desk.example.com"}))
    try:
        app = create_app(runtime, worker=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://t") as client:
            r = await Visitor(client).register()
        assert "Secure" in r.headers["set-cookie"]
    finally:
        await runtime.close()


async def test_a_form_without_its_token_or_from_another_site_is_refused_and_changes_nothing(visitor: Visitor) -> None:
    await visitor.register()
    client = visitor.client
    token = csrf_of(await client.get("/inbox"))
    refused = [
        await client.post("/logout"),
        await client.post("/logout", data={"csrf_token": "0" * 64}),
        await client.post("/logout", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}),
        await client.post("/logout", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}),
        await client.post("/logout", headers={"X-CSRF-Token": "0" * 64}),
    ]
    for r in refused:
        assert r.status_code == 403 and "This form could not be sent" in r.text
        assert "frontdesk_session" not in r.headers.get("set-cookie", "")
    assert (await client.get("/inbox")).status_code == 200  # still signed in
    # The right token, as a form field or as htmx sends it, from this site: accepted.
    r = await client.post(
        "/logout", headers={"X-CSRF-Token": token, "Origin": "http://t", "Sec-Fetch-Site": "same-origin"}
    )
    assert r.status_code == 303
    assert (await client.get("/inbox")).status_code == 303


async def test_sign_in_and_registration_forms_need_their_token_too(visitor: Visitor) -> None:
    await visitor.client.get("/login")  # the form cookie
    r = await visitor.client.post("/login", data={"email": "a@example.com", "password": "x"})
    assert r.status_code == 403
    r = await visitor.client.post(
        "/register",
        data={"csrf_token": csrf_of(await visitor.client.get("/register")), "email": visitor.email},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403


async def test_form_errors_are_said_next_to_their_fields(visitor: Visitor) -> None:
    form = {"name": "", "email": "not an email", "workspace_name": " ", "password": "short"}
    r = await visitor.submit("/register", "/register", form)
    assert r.status_code == 422
    assert "Enter your email address" in r.text and "Use 10 to 256 characters" in r.text
    assert "Enter your business" in r.text and 'value="not an email"' in r.text and "short" not in r.text
    r = await visitor.submit("/register", "/register", {**form, "email": visitor.email, "workspace_name": "Bella",
                                                        "password": "password1234"})  # fmt: skip
    assert r.status_code == 422 and "too easy to guess" in r.text
    r = await visitor.submit("/login", "/login", {"email": "", "password": ""})
    assert r.status_code == 422 and error_text(r) == "Enter your email and your password."


async def test_ten_wrong_passwords_lock_the_account_with_the_same_answers_for_an_unknown_email(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = Visitor(web)
    await owner.register()
    await owner.sign_out()

    async def ten_wrong_then_right(email: str) -> list[tuple[int, str]]:
        seen = []
        for i in range(10):
            r = await owner.sign_in(f"wrong guess {i}", email=email)
            seen.append((r.status_code, error_text(r)))
            await let_short_waits_pass(runtime)  # the user waits out each short delay
        r = await owner.sign_in(PASSWORD, email=email)
        seen.append((r.status_code, error_text(r)))
        return seen

    known = await ten_wrong_then_right(owner.email)
    wrong, locked = (401, "Wrong email or password."), (429, "Too many sign-in attempts. Try again in 15 minutes.")
    assert known == [wrong] * EMAIL.lock_after + [locked] * (11 - EMAIL.lock_after)
    # A fresh address, so only the email counts: an email nobody has gets the very same answers.
    other = httpx.ASGITransport(app=create_app(runtime, worker=False), client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=other, base_url="http://t") as client:
        owner.client = client
        assert await ten_wrong_then_right("nobody-" + owner.email) == known


async def test_switching_workspace_only_to_ones_you_belong_to(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register("Bella's Salon")
    second = await register(web, email=owner.email)  # the API's registration: a session of the same person
    other = await register(web, workspace_name="Someone Else's")
    r = await web.post(f"{API}/workspaces", json={"name": "Bella's Spa"}, headers=bearer(second["token"]))
    assert r.status_code == 201, r.text
    spa = r.json()["workspace"]["id"]
    inbox = await web.get("/inbox")
    assert "Bella&#39;s Spa" in inbox.text and 'name="workspace"' in inbox.text  # the switcher
    r = await owner.submit("/inbox", "/workspace", {"workspace": spa})
    assert (r.status_code, r.headers["location"]) == (303, "/inbox")
    assert f'<option value="{spa}" selected>' in (await web.get("/inbox")).text
    r = await owner.submit("/inbox", "/workspace", {"workspace": other["workspace"]["id"]})
    assert r.status_code == 403 and "Not your workspace" in r.text
    r = await owner.submit("/inbox", "/workspace", {"workspace": ""})
    assert r.status_code == 403


async def test_staff_get_403_on_owner_pages(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await register(web)
    staff = Visitor(web)
    await register(web, email=staff.email, workspace_name="Staff's own")
    async with runtime.db.session() as s:
        user = (await s.execute(User.__table__.select().where(User.email == staff.email))).first()
        assert user is not None
        s.add(Membership(workspace_id=owner["workspace"]["id"], user_id=user.id, role="agent"))
    await staff.sign_in()
    r = await staff.submit("/inbox", "/workspace", {"workspace": owner["workspace"]["id"]})
    assert r.status_code == 303
    inbox = await web.get("/inbox")
    assert 'href="/team"' not in inbox.text  # no owner links for staff
    r = await web.get("/team", headers={"Accept": "text/html"})
    assert r.status_code == 403 and "Only the workspace&#39;s owners" in r.text
    r = await staff.submit("/inbox", "/team/password", {"user_id": owner["user"]["id"], "new_password": "x" * 20})
    assert r.status_code == 403
    assert (
        await web.post(f"{API}/auth/login", json={"email": owner["user"]["email"], "password": PASSWORD})
    ).is_success


async def test_unknown_pages_get_a_404_page_and_the_api_keeps_json(web: httpx.AsyncClient) -> None:
    r = await web.get("/no/such/page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 404 and "Page not found" in r.text and r.headers["content-type"].startswith("text/html")
    r = await web.get(f"{API}/nothing-here", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    r = await web.get("/inbox?offset=-1")
    assert r.status_code in (303, 400)
