"""The owner's "Getting started" checklist: what a new workspace still needs, each item read from the
real state through the service of the package that owns it (bot/ is the one layer that may ask all
of them), and the web chat's embed snippet.

Done means: opening hours set (some weekday named, rules.hours); an assistant configured (its
instructions are no longer the default ones, or it has a model of its own); knowledge added (a
document, FAQ or saved answer stored in any collection: documents are written whole, so stored is
ready); a channel connected beyond the built-in web chat (Telegram, WhatsApp/SMS, Slack); a staff
member added (anyone besides the owners).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from admin.assistants.service import list_all as assistants
from admin.workspaces.service import members
from channels.connections import list_all as connections
from core.workspaces import DEFAULT_INSTRUCTIONS
from kb.service import documents
from rules import business_hours
from rules.hours import weekly_set


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    how: str  # what to do, in a sentence
    link: str
    link_label: str


async def checklist(s: AsyncSession, *, workspace_id: str) -> list[Step]:
    ws = await business_hours.load(s, workspace_id)
    bots = await assistants(s, workspace_id=workspace_id)
    configured = any(a.instructions.strip() != DEFAULT_INSTRUCTIONS or a.model_settings for a in bots)
    stored, _ = await documents(s, workspace_id=workspace_id, limit=1)
    channels = [c for c in await connections(s, workspace_id=workspace_id) if c.kind != "web"]
    staff = [who for who, role in await members(s, workspace_id=workspace_id) if role != "owner"]
    return [
        Step("hours", "Set your opening hours", weekly_set(ws.business_hours),
             "Say when you are open, with breaks and holidays, so after-hours replies are right.",
             "/settings/business", "Business settings"),
        Step("assistant", "Configure your assistant", configured,
             "Tell it how to speak for your business, when staff approve its replies, which model it uses.",
             "/assistants", "Assistants"),
        Step("knowledge", "Add knowledge", stored > 0,
             "Upload your FAQ, price list or website so the assistant can answer from it.",
             "/knowledge", "Knowledge"),
        Step("channel", "Connect a channel", bool(channels),
             "Web chat works already: list your websites below and paste the code into them; add Telegram, "
             "WhatsApp or SMS, or Slack for staff.",
             "/channels", "Channels"),
        Step("staff", "Invite your staff", bool(staff),
             "Add the people who answer customers with you.",
             "/team", "Team"),
    ]  # fmt: skip


def embed_snippet(public_url: str, workspace_slug: str) -> str:
    """An iframe of the workspace's chat page, to paste into the business's own site. Inside the
    frame the chat talks to its own server, so the site needs no CORS allowance; the chat page lets
    only the workspace's listed websites (and the server's) show it in a frame."""
    src = f"{public_url.rstrip('/')}/chat/{workspace_slug}"
    return (
        f'<iframe src="{escape(src)}" title="Chat with us" '
        'style="width: 100%; max-width: 420px; height: 600px; border: 0;" loading="lazy"></iframe>'
    )


def script_snippet(public_url: str, workspace_slug: str) -> str:
    """The same frame put in place by our own script (admin/static/js/embed.js), for sites whose
    editor takes a script tag more easily than an iframe."""
    src = f"{public_url.rstrip('/')}/static/js/embed.js"
    return f'<script src="{escape(src)}" data-frontdesk-chat="{escape(workspace_slug)}" async></script>'
