"""Every setting the API has is reachable from a page (issue 17).

The API's write operations are read from the app's OpenAPI document; each must be either mapped to
the page form(s) that offer it (PAGES, each checked to exist in the app) or deliberately API-only
with the reason (API_ONLY). A new API write route that is in neither fails here: give it a page, or
say why it has none.
"""

from __future__ import annotations

from fastapi.routing import iter_route_contexts

from bot.app import create_app
from bot.runtime import Runtime

V1 = "/api/v1"
WRITES = ("post", "put", "patch", "delete")
CONTEXT = f"{V1}/context/workspaces/{{workspace_id}}"

# API operation → the page form(s) that do the same thing through the same service.
PAGES: dict[str, tuple[str, ...]] = {
    f"POST {V1}/auth/register": ("POST /register",),
    f"POST {V1}/auth/login": ("POST /login",),
    f"POST {V1}/auth/logout": ("POST /logout",),
    f"POST {V1}/auth/password": ("POST /account/password",),
    f"POST {V1}/auth/invitations/{{token}}/accept": ("POST /invite/{token}",),
    f"POST {V1}/tokens": ("POST /tokens",),
    f"DELETE {V1}/tokens/{{token_id}}": ("POST /tokens/revoke",),
    f"POST {V1}/workspaces": ("POST /account/workspaces",),
    # name, time zone and phone region on the Business page; the slug on /account
    f"PATCH {V1}/workspaces/{{workspace_id}}": ("POST /settings/business/workspace", "POST /account/workspace/slug"),
    f"DELETE {V1}/workspaces/{{workspace_id}}": ("POST /account/workspace/delete",),
    f"POST {V1}/assistants": ("POST /assistants",),
    f"PATCH {V1}/assistants/{{assistant_id}}": (
        "POST /assistants/{assistant_id}",
        "POST /assistants/{assistant_id}/model",
    ),
    f"DELETE {V1}/assistants/{{assistant_id}}": ("POST /assistants/{assistant_id}/delete",),
    f"POST {V1}/assistants/{{assistant_id}}/model-check": ("POST /assistants/{assistant_id}/model",),  # its Check
    f"POST {V1}/assistants/{{assistant_id}}/try": ("POST /assistants/{assistant_id}/try",),
    f"POST {V1}/members": ("POST /team/invite",),
    f"PATCH {V1}/members/{{user_id}}": ("POST /team/role",),
    f"DELETE {V1}/members/{{user_id}}": ("POST /team/remove",),
    f"DELETE {V1}/invitations/{{invitation_id}}": ("POST /team/revoke",),
    f"POST {V1}/knowledge-base/collections": ("POST /knowledge/collections",),
    f"PATCH {V1}/knowledge-base/collections/{{collection_id}}": (
        "POST /knowledge/collections/{collection_id}/rename",  # name, refresh
        "POST /knowledge/collections/{collection_id}/assistant",  # assistant_id
    ),
    f"DELETE {V1}/knowledge-base/collections/{{collection_id}}": (
        "POST /knowledge/collections/{collection_id}/delete",
    ),
    f"POST {V1}/knowledge-base/documents": ("POST /knowledge/upload/{collection_id}",),
    f"DELETE {V1}/knowledge-base/documents/{{document_id}}": ("POST /knowledge/documents/{document_id}/delete",),
    f"POST {V1}/knowledge-base/documents/{{document_id}}/reindex": ("POST /knowledge/documents/{document_id}/reindex",),
    f"POST {V1}/knowledge-base/sites": ("POST /knowledge/collections/{collection_id}/sites",),
    f"POST {V1}/knowledge-base/sites/{{site_id}}/crawl": ("POST /knowledge/sites/{site_id}/crawl",),
    f"DELETE {V1}/knowledge-base/sites/{{site_id}}": ("POST /knowledge/sites/{site_id}/delete",),
    f"PUT {V1}/knowledge-base/embedding": ("POST /knowledge/embedding",),
    f"PUT {CONTEXT}/business-hours": ("POST /settings/business/hours", "POST /settings/business/closures"),
    f"PUT {CONTEXT}/schema": (
        "POST /context/template",
        "POST /context/fields",
        "POST /context/workflow",
        "POST /context/priority",  # the priority rules
    ),
    f"PUT {CONTEXT}/intents": ("POST /context/intents", "POST /context/intents/remove"),
    f"PATCH {CONTEXT}/conversations/{{conversation_id}}": ("POST /inbox/{conversation_id}/context",),
    f"POST {CONTEXT}/conversations/{{conversation_id}}/status": ("POST /inbox/{conversation_id}/status",),
    f"PATCH {V1}/conversations/{{conversation_id}}": (
        "POST /inbox/{conversation_id}/triage",  # status, priority, assignee
        "POST /inbox/{conversation_id}/tags",
        "POST /inbox/{conversation_id}/takeover",  # bot_paused
        "POST /inbox/{conversation_id}/handback",
    ),
    f"POST {V1}/conversations/{{conversation_id}}/messages": ("POST /inbox/{conversation_id}/reply",),
    f"POST {V1}/drafts/{{draft_id}}/approve": ("POST /inbox/{conversation_id}/approve",),
    f"POST {V1}/drafts/{{draft_id}}/reject": ("POST /inbox/{conversation_id}/reject",),
    f"POST {V1}/drafts/{{draft_id}}/takeover": ("POST /inbox/{conversation_id}/takeover",),
    f"POST {V1}/inbox/{{inbox_id}}/retry": ("POST /inbox/{conversation_id}/retry",),
    f"POST {CONTEXT}/rules/": ("POST /rules/new",),
    f"PUT {CONTEXT}/rules/{{rule_id}}": ("POST /rules/{rule_id}",),
    # on/off and the run order (service.change: set_active, move)
    f"PATCH {CONTEXT}/rules/{{rule_id}}": ("POST /rules/{rule_id}/active", "POST /rules/{rule_id}/move"),
    f"DELETE {CONTEXT}/rules/{{rule_id}}": ("POST /rules/{rule_id}/delete",),
    f"POST {V1}/rules/test": ("POST /rules/new", "POST /rules/{rule_id}"),  # the editor's Test (op=test)
    f"POST {V1}/rules/{{rule_id}}/replay": ("GET /rules/{rule_id}",),  # ?replay_days=N on a saved rule
    f"POST {V1}/rules/templates/{{pack}}/install": ("POST /rules/packs/{pack}",),
    f"POST {V1}/channels": ("POST /channels/new/{kind}",),
    # name, assistant_id and config on the change form; enabled by Pause/Resume
    f"PATCH {V1}/channels/{{connection_id}}": (
        "POST /channels/{connection_id}",
        "POST /channels/{connection_id}/pause",
        "POST /channels/{connection_id}/resume",
    ),
    f"DELETE {V1}/channels/{{connection_id}}": ("POST /channels/{connection_id}/remove",),
    # the forms' Test buttons: typed credentials (the connect and change forms), stored ones (the list)
    f"POST {V1}/channels/test": ("POST /channels/new/{kind}/test", "POST /channels/{connection_id}/test-changes"),
    f"POST {V1}/channels/{{connection_id}}/test": ("POST /channels/{connection_id}/test",),
}

# API operations no page offers, on purpose.
API_ONLY: dict[str, str] = {
    f"POST {V1}/chat": "the customer's, not staff's: the web chat page (/chat/{slug}) and the widget send it",
}


def _api_writes(runtime: Runtime) -> tuple[set[str], set[str]]:
    app = create_app(runtime, worker=False)
    spec = app.openapi()
    writes = {f"{m.upper()} {path}" for path, ops in spec["paths"].items() for m in ops if m in WRITES}
    pages = set()
    for context in iter_route_contexts(app.routes):
        if context.path is None or context.path.startswith("/api/"):
            continue
        pages |= {f"{m} {context.path}" for m in context.methods or ()}
    return writes, pages


async def test_every_api_write_is_reachable_from_a_page_or_says_why_not(runtime: Runtime) -> None:
    writes, pages = _api_writes(runtime)
    listed = set(PAGES) | set(API_ONLY)
    assert not set(PAGES) & set(API_ONLY), "an operation is both on a page and API-only"
    unmapped = sorted(writes - listed)
    assert not unmapped, (
        f"API write operations no page offers: {unmapped}. Give each a page form (and map it in PAGES), "
        "or list it in API_ONLY with the reason"
    )
    stale = sorted(listed - writes)
    assert not stale, f"named here but not in the API any more: {stale}"
    missing = sorted(f"{op} → {page}" for op, offered in PAGES.items() for page in offered if page not in pages)
    assert not missing, f"mapped to page routes the app does not have: {missing}"
