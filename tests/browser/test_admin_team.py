"""An owner builds their team in a browser: they add an agent on /team and copy the invitation link;
the agent opens it in a browser of their own, sets a password and lands in the inbox, where there is
no Team link and /team is the 403 page. Both pages pass axe-core and are saved as screenshots."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, Watch, assert_accessible, save_screenshots
from tests.browser.test_admin_signin import _fits_a_phone, _press, _register


def test_an_owner_invites_an_agent_who_joins_from_the_link(
    live_server: LiveServer, page: Page, browser: Browser
) -> None:
    url = live_server.url
    _register(page, url, f"bella-{uuid.uuid4().hex[:6]}@example.com", "Bella's Salon")
    with page.expect_navigation():
        page.get_by_role("link", name="Team").click()
    robin = f"robin-{uuid.uuid4().hex[:6]}@example.com"
    page.get_by_label("Email", exact=True).fill(robin)
    page.get_by_label("Name (optional)").fill("Robin")
    page.get_by_label("Role", exact=True).select_option(label="Agent")
    _press(page, "Add person")
    expect(page.get_by_role("heading", name=f"Send {robin} this link")).to_be_visible()
    link = page.get_by_label("Invitation link").input_value()
    expect(page.get_by_role("region", name="Invited")).to_contain_text(robin)
    assert_accessible(page)
    save_screenshots(page, "admin-team")
    _fits_a_phone(page)

    path = urlsplit(link).path
    assert path.startswith("/invite/fdi_")
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # Robin's own browser
    watch = Watch()
    context.route("**/*", watch.route)
    try:
        theirs = context.new_page()
        theirs.goto(url + path)
        expect(theirs.get_by_role("heading", name="Join Bella's Salon")).to_be_visible()
        expect(theirs.get_by_text(robin)).to_be_visible()
        expect(theirs.get_by_label("Your name")).to_have_value("Robin")
        assert_accessible(theirs)
        save_screenshots(theirs, "admin-invite")
        _fits_a_phone(theirs)
        theirs.get_by_label("Password").fill("correct horse battery staple")
        _press(theirs, "Join Bella's Salon")
        expect(theirs.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
        expect(theirs.get_by_role("link", name="Team")).to_have_count(0)
        response = theirs.goto(f"{url}/team")
        assert response is not None and response.status == 403
        response = theirs.goto(url + path)  # the link works once
        assert response is not None and response.status == 410
        expect(theirs.get_by_role("heading", name="This invitation cannot be used")).to_be_visible()
        assert_accessible(theirs)
    finally:
        context.close()
    assert not watch.elsewhere, watch.elsewhere

    page.reload()
    expect(page.get_by_role("region", name="People")).to_contain_text(robin)
    expect(page.get_by_text("No invitation is waiting.")).to_be_visible()
