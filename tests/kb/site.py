"""A small website served on loopback for the crawler: pages, robots.txt, a sitemap, an off-domain
link, a 404, a redirect loop and a 20 MB page. It records every path requested."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HUGE = 20 * 1024 * 1024


def page(title: str, body: str, links: tuple[str, ...] = ()) -> bytes:
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (
        f"<html><head><title>{title}</title></head><body>"
        f'<nav><ul><li><a href="/help/">Home</a></li>{anchors}</ul></nav>'
        f"<main><h1>{title}</h1>{body}</main><footer>Bella's Salon, Mill Lane</footer></body></html>"
    ).encode()


class Site:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.requested: list[str] = []
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.reset()

    def reset(self) -> None:
        b = self.base
        self.pages = {
            "/robots.txt": (
                200,
                {"Content-Type": "text/plain"},
                f"User-agent: *\nDisallow: /help/private/\nSitemap: {b}/sitemap.xml\n".encode(),
            ),
            "/sitemap.xml": (
                200,
                {"Content-Type": "application/xml"},
                (
                    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f"<url><loc>{b}/help/gift-vouchers.html</loc></url>"
                    f"<url><loc>{b}/help/private/staff.html</loc></url></urlset>"
                ).encode(),
            ),
            "/help/": (
                200,
                {},
                page(
                    "Visiting Bella's",
                    "<h2>Parking</h2><p>Free parking behind the salon, entrance on Mill Lane.</p>",
                    (
                        "prices.html",
                        "private/staff.html",
                        f"http://localhost:{self.port}/help/elsewhere.html",
                        "missing.html",
                        "loop-a",
                        "huge.html",
                        "/blog/news.html",
                        "moved",
                    ),
                ),
            ),
            "/help/prices.html": (
                200,
                {},
                page(
                    "Prices",
                    "<table><tr><th>Service</th><th>Price</th></tr><tr><td>Men's cut</td><td>$30</td></tr></table>",
                ),
            ),
            "/help/gift-vouchers.html": (200, {}, page("Gift vouchers", "<p>Gift vouchers last twelve months.</p>")),
            "/help/private/staff.html": (200, {}, page("Staff rota", "<p>Secret staff rota.</p>")),
            "/help/elsewhere.html": (200, {}, page("Elsewhere", "<p>Another host's page.</p>")),
            "/blog/news.html": (200, {}, page("News", "<p>Outside the help section.</p>")),
            "/help/loop-a": (302, {"Location": "/help/loop-b"}, b""),
            "/help/loop-b": (302, {"Location": "/help/loop-a"}, b""),
            "/help/moved": (301, {"Location": "/help/prices.html"}, b""),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.requested.append(f"{self.headers['Host'].split(':')[0]}{self.path}")
                if self.path == "/help/huge.html":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(HUGE))
                    self.end_headers()
                    try:
                        for _ in range(HUGE // 65536):
                            self.wfile.write(b"<p>" + b"x" * 65529 + b"</p>")
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                status, headers, body = site.pages.get(self.path, (404, {}, b"<h1>Not found</h1>"))
                self.send_response(status)
                self.send_header("Content-Type", headers.get("Content-Type", "text/html; charset=utf-8"))
                for key, value in headers.items():
                    if key != "Content-Type":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@contextmanager
def serve() -> Iterator[Site]:
    site = Site()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()
