"""The admin: the JSON API under /api/v1 (one package per resource) and, later, the web UI.

Each resource's router is built with the Runtime and the one authentication dependency, so no
route can reach the database without first resolving who is calling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

if TYPE_CHECKING:
    from bot.runtime import Runtime


def build_router(runtime: Runtime) -> APIRouter:
    from admin.assistants.routes import build_router as assistants
    from admin.auth.routes import build_router as auth
    from admin.context.routes import build_router as context
    from admin.conversations.routes import build_router as conversations
    from admin.deps import authenticator
    from admin.drafts.routes import build_router as drafts
    from admin.inbox.routes import build_router as inbox
    from admin.knowledge_base.routes import build_router as knowledge_base
    from admin.rules.routes import build_router as rules
    from admin.tokens.routes import router as tokens
    from admin.workspaces.routes import build_router as workspaces

    current_caller = authenticator(runtime)
    router = APIRouter()
    router.include_router(tokens)
    for build in (auth, workspaces, assistants, conversations, drafts, inbox, rules, context):
        router.include_router(build(runtime, current_caller))
    router.include_router(knowledge_base(runtime, current_caller))
    return router
