"""/knowledge-base: the knowledge base's admin API, one module per resource (collections, documents,
sites, embedding, jobs, search), every route calling kb.service."""

from __future__ import annotations

from fastapi import APIRouter

from kb.api import collections, documents, embedding, jobs, search, sites

router = APIRouter(prefix="/knowledge-base", tags=["knowledge base"])
for resource in (collections, documents, sites, embedding, jobs, search):
    router.include_router(resource.router)
