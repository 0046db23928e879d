"""The knowledge base's web pages on the admin shell (admin/web): collections with their documents
and websites, uploads with their progress, a document's passages, the search playground and the
saved answers, and the embedding model. Every page calls kb.service (or kb.memory for saved answers), as the API and the
CLI do, and validates its forms with the API's own schemas (kb/api/schemas.py). Templates in
kb/templates/."""

from __future__ import annotations

from fastapi import APIRouter

from kb.pages import answers, collections, documents, embedding, playground, sites

router = APIRouter()
for _module in (collections, documents, sites, playground, answers, embedding):
    router.include_router(_module.router)
