"""Transcription: real speech through the offline model, the limits, and the OpenAI backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.media.audio import AudioProblem
from core.media.transcribe import OpenAITranscriber, WhisperOptions, WhisperTranscriber, packaged_model_path
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve
from tests.media.support import JFK, JFK_TEXT, encode, jfk_samples, voice_note, word_error_rate


@pytest.fixture
async def whisper() -> AsyncIterator[WhisperTranscriber]:
    transcriber = WhisperTranscriber(WhisperOptions(), max_seconds=300)
    yield transcriber
    await transcriber.aclose()


async def test_real_speech_is_transcribed_offline(whisper: WhisperTranscriber) -> None:
    heard = await whisper.transcribe(JFK.read_bytes(), container="flac")
    assert word_error_rate(JFK_TEXT, heard.text) <= 0.1, heard.text
    assert heard.language == "en"
    assert heard.duration_seconds == pytest.approx(11.0, abs=0.1)
    assert heard.confidence is not None and 0.5 < heard.confidence <= 1


async def test_an_ogg_opus_voice_note_is_transcribed_from_bytes(whisper: WhisperTranscriber) -> None:
    heard = await whisper.transcribe(voice_note(), container="ogg")
    assert word_error_rate(JFK_TEXT, heard.text) <= 0.15, heard.text


async def test_audio_that_cannot_be_trusted_is_refused_with_a_reason(whisper: WhisperTranscriber) -> None:
    note = voice_note()
    short = WhisperTranscriber(WhisperOptions(), max_seconds=5)
    cases = {
        "too_long": (short, note),
        "corrupt": (whisper, note[: len(note) // 2]),  # truncated in transit
        "empty": (whisper, b""),
    }
    try:
        for code, (transcriber, data) in cases.items():
            with pytest.raises(AudioProblem) as problem:
                await transcriber.transcribe(data, container="ogg")
            assert problem.value.code == code
        with pytest.raises(AudioProblem) as problem:
            await whisper.transcribe(b"OggS" + bytes(range(256)) * 20, container="ogg")
        assert problem.value.code == "corrupt"
    finally:
        await short.aclose()


async def test_silence_gives_an_empty_transcript(whisper: WhisperTranscriber) -> None:
    heard = await whisper.transcribe(encode(jfk_samples() * 0), container="ogg")
    assert heard.text == ""


async def test_openai_backend_sends_the_voice_note_and_keeps_the_limits() -> None:
    fake = FakeOpenAI()
    fake.transcript = "I'd like an appointment on Tuesday, my number is 4571."
    with serve(fake.app) as url:
        transcriber = OpenAITranscriber(
            base_url=f"{url}/v1", api_key="sk-test", model="whisper-1", language="en", max_seconds=30
        )
        try:
            note = voice_note()
            heard = await transcriber.transcribe(note, container="ogg")
            assert heard.text == fake.transcript and heard.duration_seconds == pytest.approx(11.0, abs=0.1)
            (sent,) = fake.transcriptions
            assert sent["model"] == "whisper-1" and sent["language"] == "en"
            assert sent["file_bytes"] == len(note) and sent["file_name"].endswith(".ogg")
            assert sent["authorization"] == "Bearer sk-test"
            with pytest.raises(AudioProblem):  # refused here, without a paid call
                await transcriber.transcribe(note[:-300], container="ogg")
            assert len(fake.transcriptions) == 1
        finally:
            await transcriber.aclose()


def test_a_model_that_is_not_on_disk_stops_start_up(tmp_path: Path) -> None:
    from bot.media import build_transcriber
    from bot.settings import SettingsError
    from tests.conftest import make_settings

    with pytest.raises(SettingsError, match="FRONTDESK_WHISPER_MODEL"):
        build_transcriber(make_settings("sqlite+aiosqlite://", tmp_path, whisper_model=str(tmp_path / "no-model")))
    packaged = str(packaged_model_path())
    transcriber = build_transcriber(make_settings("sqlite+aiosqlite://", tmp_path, whisper_model=packaged))
    assert isinstance(transcriber, WhisperTranscriber) and transcriber.options.model == packaged
