"""Decoding a voice note from bytes to 16 kHz mono samples with PyAV, refusing what cannot be trusted.

Runs in the transcription pool (it is CPU work). A voice note longer than the limit is refused as
soon as decoding passes the limit, so a two-hour file costs no more than a five-minute one. An Ogg
file must be whole: a truncated upload still decodes to something, and a transcript of half a
question is worse than asking again.
"""

from __future__ import annotations

import io
import struct
from typing import Any

import av
import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000


class AudioProblem(Exception):
    """The audio cannot be transcribed: code is too_long, corrupt or empty."""

    def __init__(self, message: str, *, code: str, duration: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.duration = duration


def check_ogg(data: bytes) -> None:
    """Walk the Ogg pages: each must start where the last ended, and the file must end with a page."""
    offset, pages = 0, 0
    while offset < len(data):
        if data[offset : offset + 4] != b"OggS" or len(data) < offset + 27:
            raise AudioProblem(f"the Ogg stream breaks off at byte {offset}", code="corrupt")
        segments = data[offset + 26]
        table_end = offset + 27 + segments
        if len(data) < table_end:
            raise AudioProblem("the Ogg stream is truncated", code="corrupt")
        offset = table_end + sum(data[offset + 27 : table_end])
        pages += 1
    if offset != len(data):
        raise AudioProblem("the Ogg stream is truncated mid-page", code="corrupt")
    # A missing end-of-stream flag alone is not refused: some recorders never set it, and a download
    # cut exactly at a page boundary is rare next to one cut mid-page.
    if pages < 3:  # Opus and Vorbis need two header pages before any audio
        raise AudioProblem("the Ogg stream has no audio", code="empty")


def decode(data: bytes, *, max_seconds: float, container: str | None = None) -> npt.NDArray[np.float32]:
    """The audio as float32 samples at 16 kHz mono. Raises AudioProblem."""
    if not data:
        raise AudioProblem("the file is empty", code="empty")
    if container == "ogg":
        check_ogg(data)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list[npt.NDArray[Any]] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as media:
            if not media.streams.audio:
                raise AudioProblem("the file has no audio track", code="corrupt")
            stream = media.streams.audio[0]
            for frame in media.decode(stream):
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1)
                    chunks.append(samples)
                    total += samples.shape[0]
                if total > limit:
                    raise AudioProblem(
                        f"the audio is longer than {max_seconds:.0f} s", code="too_long", duration=total / SAMPLE_RATE
                    )
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except AudioProblem:
        raise
    except (av.error.FFmpegError, struct.error, ValueError, IndexError) as exc:
        raise AudioProblem(f"the audio cannot be decoded: {type(exc).__name__}", code="corrupt") from exc
    if not chunks or not sum(c.shape[0] for c in chunks):
        raise AudioProblem("the file has no audio", code="empty")
    pcm = np.concatenate(chunks)
    if pcm.shape[0] > limit:
        raise AudioProblem(
            f"the audio is longer than {max_seconds:.0f} s", code="too_long", duration=pcm.shape[0] / SAMPLE_RATE
        )
    return pcm.astype(np.float32) / 32768.0
