"""/static serves the vendored browser files with a year-long cache, and /docs and /redoc load
every script, style and icon from there (the browser tests in tests/browser render them offline)."""

from __future__ import annotations

import re

import httpx

from admin.assets import FAVICON, HTMX_JS, PICO_CSS, REDOC_JS, STATIC_DIR, SWAGGER_UI_CSS, SWAGGER_UI_JS, VENDOR_DIR

ASSETS = {
    HTMX_JS: "javascript",
    PICO_CSS: "text/css",
    SWAGGER_UI_JS: "javascript",
    SWAGGER_UI_CSS: "text/css",
    FAVICON: "image/png",
    REDOC_JS: "javascript",
}


def _linked(html: str) -> list[str]:
    return re.findall(r'(?:src|href|spec-url)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)


async def test_vendored_files_are_served_with_a_year_long_immutable_cache(web: httpx.AsyncClient) -> None:
    for url, kind in ASSETS.items():
        r = await web.get(url)
        assert r.status_code == 200, url
        assert kind in r.headers["content-type"], (url, r.headers["content-type"])
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable", url
        assert r.content == (STATIC_DIR / url.removeprefix("/static/")).read_bytes()
        assert (await web.head(url)).status_code == 200


async def test_a_file_outside_a_versioned_folder_is_checked_again_on_each_use(web: httpx.AsyncClient) -> None:
    r = await web.get("/static/vendor/README.md")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"
    again = await web.get("/static/vendor/README.md", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"


async def test_static_serves_only_files_inside_its_folder(web: httpx.AsyncClient) -> None:
    assert (VENDOR_DIR.parent.parent / "assets.py").exists()
    for path in (
        "/static/../assets.py",
        "/static/%2e%2e/assets.py",
        "/static/vendor/%2e%2e/%2e%2e/assets.py",
        "/static/vendor/",
        "/static/vendor/htmx.org-2.0.11/missing.js",
    ):
        r = await web.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert b"__future__" not in r.content


async def test_the_docs_pages_load_nothing_but_our_own_files(web: httpx.AsyncClient) -> None:
    for page, expected in (("/docs", {SWAGGER_UI_JS, SWAGGER_UI_CSS, FAVICON}), ("/redoc", {REDOC_JS, FAVICON})):
        r = await web.get(page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        linked = set(_linked(r.text))
        assert linked == expected | {"/openapi.json"}, (page, linked)
        assert "fonts.googleapis" not in r.text and "cdn." not in r.text
        assert r.text.count('<html lang="en">') == 1
        policy = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
        assert policy["default-src"] == "'self'" and policy["img-src"] == "'self' data:"
        assert "unsafe" not in policy["script-src"]  # its own inline script, by hash
        for url in linked:
            assert (await web.get(url)).status_code == 200, url
    assert '"validatorUrl": null' in (await web.get("/docs")).text  # no badge from validator.swagger.io


async def test_the_docs_pages_stay_out_of_the_schema_and_keep_their_urls(web: httpx.AsyncClient) -> None:
    paths = (await web.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc", "/static"))]
    assert (await web.get("/docs/oauth2-redirect")).status_code == 200
    root = await web.get("/")  # the web admin's start page (tests/admin/test_web_signin.py)
    assert root.status_code == 303 and root.headers["location"] == "/login"


def test_every_vendored_folder_is_used_listed_and_keeps_its_licence() -> None:
    folders = {p for p in VENDOR_DIR.iterdir() if p.is_dir()}
    assert folders == {(STATIC_DIR / url.removeprefix("/static/")).resolve().parent for url in ASSETS}
    for folder in folders:
        assert any(f.name.startswith("LICENSE") for f in folder.iterdir()), folder
        assert f"`admin/static/vendor/{folder.name}/`" in (VENDOR_DIR / "README.md").read_text()
