"""Wiring for voice notes and files: the storage, the transcriber and the media stage's limits,
from settings."""

from __future__ import annotations

from bot.settings import Settings, SettingsError
from core.files.isolate import IsolationLimits, configure
from core.media.stage import MediaLimits
from core.media.storage import LinkSigner, LocalStorage, Storage
from core.media.transcribe import (
    OpenAITranscriber,
    Transcriber,
    WhisperOptions,
    WhisperTranscriber,
    local_model_dir,
)


def build_storage(settings: Settings) -> Storage:
    root = settings.media_dir or settings.data_dir / "media"
    return LocalStorage(root, LinkSigner(settings.key, settings.public_url))


def configure_file_parsing(settings: Settings) -> None:
    """This process's limits for reading files from outside (chat documents, knowledge-base uploads)."""
    configure(
        IsolationLimits(
            memory_mb=settings.files_parse_memory_mb,
            cpu_seconds=settings.files_parse_cpu_seconds,
            wall_seconds=settings.files_parse_cpu_seconds * 2.0,
            concurrency=settings.files_parse_concurrency,
        )
    )


def media_limits(settings: Settings) -> MediaLimits:
    return MediaLimits(
        max_voice_seconds=settings.media_max_voice_seconds,
        max_audio_bytes=settings.media_max_audio_bytes,
        max_image_bytes=settings.media_max_image_bytes,
        max_document_bytes=settings.media_max_document_bytes,
        max_document_chars=settings.media_max_document_chars,
    )


def build_transcriber(settings: Settings) -> Transcriber | None:
    if settings.transcription == "off":
        return None
    if settings.transcription == "openai":
        return OpenAITranscriber(
            base_url=settings.transcription_base_url,
            api_key=settings.transcription_api_key.get_secret_value() if settings.transcription_api_key else None,
            model=settings.transcription_model,
            language=settings.whisper_language,
            max_seconds=settings.media_max_voice_seconds,
        )
    model = settings.whisper_model
    if model:  # a wrong path fails at start-up, not on the first customer's voice note
        try:
            model = local_model_dir(model)
        except FileNotFoundError as exc:
            raise SettingsError(f"FRONTDESK_WHISPER_MODEL: {exc}") from None
    return WhisperTranscriber(
        WhisperOptions(
            model=model,
            compute_type=settings.whisper_compute_type,
            beam_size=settings.whisper_beam_size,
            language=settings.whisper_language,
            cpu_threads=settings.whisper_cpu_threads,
        ),
        max_seconds=settings.media_max_voice_seconds,
        workers=settings.transcription_workers,
    )
