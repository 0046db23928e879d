"""The admin's static files, served at /static: the pages' own, and under vendor/ the third-party
browser files we vendor (scripts/vendor.py puts them there; vendor/README.md lists them).

Nothing is loaded from a CDN: a page names its scripts and styles by the URLs below. A vendored
file's folder carries its exact version, so it never changes under its URL and the browser may keep
it for a year; any other file here is checked again on each use (its ETag answers 304 when unchanged).
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
VENDOR_DIR = (STATIC_DIR / "vendor").resolve()  # resolved: Starlette answers with the file's real path
STATIC_URL = "/static"
VENDOR_URL = f"{STATIC_URL}/vendor"

HTMX_JS = f"{VENDOR_URL}/htmx.org-2.0.11/htmx.min.js"
PICO_CSS = f"{VENDOR_URL}/picocss-pico-2.1.1/pico.min.css"
SWAGGER_UI_JS = f"{VENDOR_URL}/swagger-ui-dist-5.35.0/swagger-ui-bundle.js"
SWAGGER_UI_CSS = f"{VENDOR_URL}/swagger-ui-dist-5.35.0/swagger-ui.css"
FAVICON = f"{VENDOR_URL}/swagger-ui-dist-5.35.0/favicon-32x32.png"
REDOC_JS = f"{VENDOR_URL}/redoc-2.5.4/redoc.standalone.js"

VENDORED = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class StaticAssets(StaticFiles):
    """Starlette's static files (ETag, Last-Modified, HEAD, no path escapes) with our cache rule."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        real = Path(full_path).resolve()
        # vendor/<package>-<version>/<file>; the README beside the folders changes with them
        vendored = real.is_relative_to(VENDOR_DIR) and len(real.relative_to(VENDOR_DIR).parts) > 1
        response.headers["Cache-Control"] = VENDORED if vendored else REVALIDATE
        return response


def static_files() -> StaticAssets:
    """What the app factory mounts at STATIC_URL."""
    return StaticAssets(directory=STATIC_DIR)
