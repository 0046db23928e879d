"""The rules' web pages on the admin shell (admin/web), owners and admins only: the Business page
(/settings/business), the rules in run order with the packs to install (/rules), and the rule editor
(/rules/new, /rules/{id}) with its test panel, replay and execution log. Each saves through
rules.service, validated by rules.schema as the API is. Templates in rules/templates/."""

from __future__ import annotations

from fastapi import APIRouter

from rules.pages import business, editor, listing

router = APIRouter()
for _module in (business, listing, editor):
    router.include_router(_module.router)
