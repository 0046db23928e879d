"""A person at the web admin, over ASGI: cookies kept like a browser's, forms sent with their token."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import httpx

from tests.admin.conftest import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = TOKEN.search(page.text)
    assert found, f"no form token on {page.url}"
    return found.group(1)


@dataclass
class Visitor:
    client: httpx.AsyncClient
    email: str = field(default_factory=lambda: f"owner-{uuid.uuid4().hex[:8]}@example.com")

    async def submit(self, form_page: str, action: str, data: dict[str, str], **headers: str) -> httpx.Response:
        """Open the page with the form, then send it with the page's token (as a browser does)."""
        token = csrf_of(await self.client.get(form_page))
        return await self.client.post(action, data={"csrf_token": token, **data}, headers=headers)

    async def register(self, workspace_name: str = "Bella's Salon", password: str = PASSWORD) -> httpx.Response:
        form = {"name": "Bella", "email": self.email, "workspace_name": workspace_name, "password": password}
        r = await self.submit("/register", "/register", form)
        assert r.status_code == 303 and r.headers["location"] == "/inbox", r.text
        return r

    async def sign_in(self, password: str = PASSWORD, email: str | None = None) -> httpx.Response:
        return await self.submit("/login", "/login", {"email": email or self.email, "password": password})

    async def sign_out(self) -> httpx.Response:
        return await self.submit("/inbox", "/logout", {})


def error_text(page: httpx.Response) -> str:
    """The form's error message (what the page says, role=alert)."""
    found = re.search(r'role="alert">([^<]*)<', page.text)
    assert found, page.text
    return found.group(1).replace("&#39;", "'")
