"""Real speech for the media tests, and voice notes made from it with PyAV (OGG/Opus, MP3)."""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from core.media.audio import SAMPLE_RATE, decode

JFK = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "jfk.flac"
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


@cache
def jfk_samples() -> npt.NDArray[np.float32]:
    return decode(JFK.read_bytes(), max_seconds=60)


def encode(samples: npt.NDArray[np.float32], *, container: str = "ogg", codec: str = "libopus") -> bytes:
    """Samples (16 kHz mono float) as a file, the way a phone would send them."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as media:
        stream = media.add_stream(codec, rate=48000 if codec == "libopus" else SAMPLE_RATE)
        assert isinstance(stream, av.audio.stream.AudioStream)
        stream.layout = "mono"
        if codec == "libopus":
            stream.bit_rate = 24_000
        step = SAMPLE_RATE  # one second per frame; the encoder re-chunks
        for start in range(0, len(pcm), step):
            frame = av.AudioFrame.from_ndarray(pcm[None, start : start + step], format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = None
            for packet in stream.encode(frame):
                media.mux(packet)
        for packet in stream.encode(None):
            media.mux(packet)
    return out.getvalue()


def voice_note(seconds: float | None = None) -> bytes:
    """An OGG/Opus voice note of the speech, repeated or cut to `seconds`."""
    samples = jfk_samples()
    if seconds is not None:
        repeats = int(np.ceil(seconds * SAMPLE_RATE / len(samples)))
        samples = np.tile(samples, repeats)[: int(seconds * SAMPLE_RATE)]
    return encode(samples)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference's length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))
