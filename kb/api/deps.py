"""What the knowledge-base routes take from the running app: its parts (through core.web.part) and
the instance settings they read."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from core.web import part
from kb.crawl import Limits
from kb.embedders import Embedders
from kb.jobs import JobRunner
from kb.refresh import SiteRefresher
from kb.search import KnowledgeBase


class InstanceSettings(Protocol):
    """The FRONTDESK_KB_* settings the routes read."""

    @property
    def kb_max_upload_bytes(self) -> int: ...
    @property
    def kb_upload_wait_seconds(self) -> float: ...
    @property
    def kb_crawl_allow_private(self) -> bool: ...
    @property
    def kb_answer_threshold(self) -> float: ...


Knowledge = Annotated[KnowledgeBase, Depends(part("knowledge"))]
Jobs = Annotated[JobRunner, Depends(part("kb_jobs"))]
WorkspaceEmbedders = Annotated[Embedders, Depends(part("embedders"))]
Refresher = Annotated[SiteRefresher, Depends(part("kb_refresher"))]
CrawlLimits = Annotated[Limits, Depends(part("crawl_limits"))]
Settings = Annotated[InstanceSettings, Depends(part("settings"))]
