"""The running parts of one process, wired together: database, inbox, pipeline, worker, outbox,
channels. The only place that builds them; the web app, `frontdesk worker` and tests share it."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import os
import socket
from dataclasses import dataclass, field

from admin.assistants.trial import TryLimits
from bot.media import build_storage, build_transcriber, configure_file_parsing, media_limits
from bot.settings import Settings
from channels.slack.channel import SlackChannel
from channels.telegram.channel import TelegramChannel
from channels.web.channel import WebChannel
from channels.whatsapp.channel import TwilioChannel
from core.assistants import LLMProvider, ModelSettings
from core.channels import Channel, ChannelRegistry
from core.crypto import SecretBox
from core.db import Database
from core.inbox import Inbox
from core.media.stage import MediaStage
from core.notify import StaffNotifier
from core.outbox import OutboxSender, route_for
from core.pipeline import Pipeline
from core.pipeline.decide import Decide
from core.pipeline.draft import DraftStage
from core.pipeline.resolve import Resolve
from core.pipeline.turn import Turn
from core.ratelimit import RateLimiter
from core.wakeup import Wakeup
from core.worker import Worker
from kb.crawl import crawl_limits
from kb.embedders import Embedders
from kb.embeddings import local_encoder
from kb.extractive import ExtractiveDrafter
from kb.jobs import JobRunner
from kb.refresh import SiteRefresher
from kb.retrieve import Retrieve
from kb.search import KnowledgeBase
from rules.hours import Clock, system_clock
from rules.runtime import RuleEngine
from staff.live import LiveFeed
from staff.service import StaffActions
from understanding.wiring import understand_stage

log = logging.getLogger(__name__)


def default_model_settings(settings: Settings) -> ModelSettings:
    return ModelSettings(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
        fallback_base_url=settings.llm_fallback_base_url,
        fallback_model=settings.llm_fallback_model,
        fallback_api_key=(settings.llm_fallback_api_key.get_secret_value() if settings.llm_fallback_api_key else None),
    )


@dataclass
class Runtime:
    settings: Settings
    db: Database
    box: SecretBox
    wakeup: Wakeup = field(default_factory=Wakeup)
    notifier: StaffNotifier = field(default_factory=StaffNotifier)
    channels: ChannelRegistry = field(default_factory=ChannelRegistry)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    clock: Clock = system_clock  # the rule engine's (business hours, schedules); tests inject theirs

    def __post_init__(self) -> None:
        s = self.settings
        configure_file_parsing(s)
        self.inbox = Inbox(self.db, self.wakeup)
        self.embedders = Embedders(self.db, self.box, timeout=s.llm_timeout_seconds, max_retries=s.llm_max_retries)
        self.knowledge = KnowledgeBase(self.db, embedders=self.embedders)
        self.kb_jobs = JobRunner(self.db)
        self.crawl_limits = crawl_limits(s)
        self.kb_refresher = SiteRefresher(
            self.db, self.kb_jobs, self.crawl_limits, self.embedders, every_seconds=s.kb_refresh_scan_seconds
        )
        self.rules = RuleEngine(
            self.db,
            self.wakeup,
            self.notifier,
            self.box,
            worker_id=self.worker_id,
            clock=self.clock,
            scan_seconds=s.rules_scan_seconds,
            webhooks_to_private=s.dev or s.rules_webhooks_to_private,
            phone_region=s.understanding_phone_region,
        )
        self.staff = StaffActions(
            self.db, self.wakeup, events=self.rules.events, embedders=self.embedders,
            phone_region=s.understanding_phone_region,
        )  # fmt: skip
        self.feed = LiveFeed(self.wakeup)  # the inbox's live feed (GET /api/v1/events)
        self.llms = LLMProvider(
            self.box, defaults=default_model_settings(s), timeout=s.llm_timeout_seconds, max_retries=s.llm_max_retries
        )
        self.storage = build_storage(s)
        self.transcriber = build_transcriber(s)
        self.understanding = understand_stage(
            s, self.db, self.box, defaults=default_model_settings(s), encoder=local_encoder
        )
        self.pipeline = Pipeline(
            {
                "resolve": Resolve(self.db, self.wakeup),
                "media": MediaStage(self.db, self.box, self.channels, self.storage, self.transcriber, media_limits(s)),
                "understand": self.understanding,
                "rules": self.rules.stage,
                "retrieve": Retrieve(self.knowledge),
                "draft": DraftStage(
                    self.db,
                    self.llms,
                    on_drafting=self._typing,
                    without_llm=ExtractiveDrafter(s.kb_answer_threshold),
                ),
                "decide": Decide(self.db, self.wakeup, self.notifier),
            }
        )
        self.web = WebChannel(self.db, self.wakeup, s, storage=self.storage)
        self.channels.register(self.web)
        self.channels.register(
            TelegramChannel(
                self.db,
                self.box,
                self.inbox.accept,
                poll_rescan_seconds=s.telegram_poll_rescan_seconds,
                poll_timeout=s.telegram_poll_timeout,
                storage=self.storage,
            )
        )
        self.channels.register(
            TwilioChannel(self.db, self.box, public_url=s.public_url, notifier=self.notifier, storage=self.storage),
            "whatsapp",
            "sms",
        )
        self.slack = SlackChannel(
            self.db, self.box, self.wakeup, worker_id=self.worker_id, poll_seconds=s.worker_poll_seconds,
            staff=self.staff,
        )  # fmt: skip
        self.channels.register(self.slack)
        self.notifier.register(self.slack.jobs.on_alert)  # approval cards, through a durable queue
        decide = next(stage.run for stage in self.pipeline.stages if stage.name == "decide")
        self.pipeline.replace("decide", self.slack.after_decide(decide))  # a taken-over thread sees the customer
        for module in s.channel_plugins:
            importlib.import_module(module).register(self)
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    @functools.cached_property
    def try_limits(self) -> TryLimits:
        """The assistant page's try panel and model check call the LLM: the web chat's limits, per person."""
        s = self.settings
        return TryLimits(s.max_message_chars, RateLimiter(s.chat_rate_per_minute), s.kb_answer_threshold)

    async def _typing(self, turn: Turn) -> None:
        if turn.conversation is None or turn.conversation.channel not in self.channels:
            return
        channel = self.channels.get(turn.conversation.channel)
        if type(channel).typing is Channel.typing:
            return  # this channel shows no typing indicator: don't look up its route
        await channel.typing(await route_for(self.db, self.box, turn.conversation.id))

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        return cls(settings=settings, db=Database(settings.db_url), box=SecretBox(settings.key))

    def worker(self) -> Worker:
        s = self.settings
        return Worker(
            self.db,
            self.pipeline,
            self.wakeup,
            self.notifier,
            self.worker_id,
            concurrency=s.worker_concurrency,
            lease_seconds=s.inbox_lease_seconds,
            poll_seconds=s.worker_poll_seconds,
            max_attempts=s.inbox_max_attempts,
        )

    def sender(self) -> OutboxSender:
        s = self.settings
        return OutboxSender(
            self.db,
            self.channels,
            self.box,
            self.wakeup,
            self.worker_id,
            lease_seconds=s.inbox_lease_seconds,
            max_attempts=s.outbox_max_attempts,
            backoff_base=s.outbox_backoff_seconds,
            backoff_max=s.outbox_backoff_max_seconds,
            poll_seconds=s.worker_poll_seconds,
            concurrency=s.outbox_concurrency,
            notifier=self.notifier,
        )

    async def start(self, *, worker: bool = True, pollers: bool = True) -> None:
        """Start background work: channel pollers (in `serve`), the worker and sender unless split out."""
        await self.wakeup.listen(self.db)
        if pollers:
            for channel in self.channels.unique():
                await channel.start()
        if worker:
            self._tasks.append(asyncio.create_task(self.worker().run(self._stop), name="worker"))
            self._tasks.append(asyncio.create_task(self.sender().run(self._stop), name="outbox"))
            self._tasks.append(asyncio.create_task(self.slack.jobs.run(self._stop), name="slack-staff"))
            self.rules.start()
            self._tasks.append(asyncio.create_task(self.understanding.warm_up(), name="understanding-warm-up"))
            self.kb_refresher.start()
            self._tasks.append(asyncio.create_task(self.knowledge.warm_up(), name="kb-warm-up"))

    async def close(self) -> None:
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=15)
        for task in self._tasks:
            task.cancel()
        for channel in self.channels.unique():
            with contextlib.suppress(Exception):
                await channel.stop()
        await self.rules.close()
        await self.kb_refresher.stop()
        await self.kb_jobs.close()
        await self.embedders.aclose()
        await self.llms.aclose()
        await self.understanding.aclose()
        if self.transcriber is not None:
            await self.transcriber.aclose()
        await self.wakeup.close()
        await self.db.dispose()
