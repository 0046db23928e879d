"""The admin: the JSON API under /api/v1 (one package per resource) and, later, the web UI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

if TYPE_CHECKING:
    from bot.runtime import Runtime


def build_router(runtime: Runtime) -> APIRouter:
    router = APIRouter()
    return router
