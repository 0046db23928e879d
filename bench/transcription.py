"""Voice-note transcription speed: real-time factor (processing seconds / audio seconds) for 5 s,
20 s and 60 s notes, through our media stage and through faster-whisper called directly, in one run.

    .venv/bin/python -m bench.transcription              # 3 rounds per note length
    .venv/bin/python -m bench.transcription --rounds 5

The notes are OGG/Opus (what Telegram and WhatsApp send), cut from one minute of a varied customer
message (bench/audio/front_desk_note.ogg; a repeated clip would be unfair, since Whisper decodes
repetitive text again at higher temperatures). "Direct" hands the same OGG bytes to the same
loaded WhisperModel (`model.transcribe(BytesIO(ogg), …)`, same beam size, VAD on) and reads every
segment ("model-only": the same call on samples already decoded, to show what decoding costs).
"Stage" is the product's media stage on a web-chat voice note kept in storage: fetch from
storage, content check, store (dedupe), PyAV decode with the Ogg check and length limit in the
transcription pool, transcribe, and write the message row (SQLite). Each round runs all three,
alternating which goes first. CPU seconds count every thread of the process.
Goal (issue 6): RTF <= 0.15 on 2 cores, stage overhead <= 5 %.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

import bot.schema  # noqa: F401  (every package's tables)
from bot.runtime import Runtime
from bot.settings import Settings
from core.media.audio import decode
from core.media.transcribe import WhisperTranscriber, load_model
from core.messages import Attachment, AttachmentKind, ChannelKind, InboundMessage, Sender
from core.migrate import upgrade
from core.models import InboxItem
from core.pipeline.turn import Turn
from core.workspaces import create_workspace

LENGTHS = (5.0, 20.0, 60.0)
# A minute of a customer's voice message (espeak-ng reading front_desk_note.txt; see bench/audio/README.md).
NOTE = Path(__file__).resolve().parent / "audio" / "front_desk_note.ogg"
RTF_TARGET = 0.15
OVERHEAD_TARGET = 0.05


def notes() -> dict[float, bytes]:
    """5, 20 and 60 s OGG/Opus voice notes cut from one minute of a customer's message."""
    from core.media.audio import SAMPLE_RATE, decode
    from tests.media.support import encode

    speech = decode(NOTE.read_bytes(), max_seconds=120)
    return {seconds: encode(speech[: int(seconds * SAMPLE_RATE)]) for seconds in LENGTHS}


async def _stage_runner(data_dir: Path) -> tuple[Runtime, Any]:
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        secret_key="bench-secret-key-0123456789",
        log_json=False,
        media_max_voice_seconds=120,
    )
    runtime = Runtime.build(settings)
    await upgrade(runtime.db)
    async with runtime.db.session() as s:
        new = await create_workspace(s, name="Bench Salon")
    stages = {stage.name: stage.run for stage in runtime.pipeline.stages}
    counter = iter(range(1, 1_000_000))

    async def run_stage(data: bytes) -> tuple[float, float, str]:
        stored = await runtime.storage.put(data)
        message = InboundMessage(
            workspace_id=new.workspace.id,
            channel=ChannelKind.web,
            account=new.assistant.id,
            assistant_id=new.assistant.id,
            external_id=f"bench-{next(counter)}",
            thread="bench-session",
            sender=Sender(id="bench-session"),
            attachments=(Attachment(kind=AttachmentKind.voice, mime_type="audio/ogg", ref=stored.key),),
        )
        accepted = await runtime.inbox.accept(message)
        async with runtime.db.reader() as s:
            item = (await s.execute(select(InboxItem).where(InboxItem.id == accepted.inbox_id))).scalar_one()
        turn = Turn(inbox_id=item.id, message=InboundMessage.model_validate(item.message))
        await stages["resolve"](turn)
        started, cpu = time.perf_counter(), time.process_time()
        await stages["media"](turn)
        return time.perf_counter() - started, time.process_time() - cpu, turn.message.text

    return runtime, run_stage


def _direct(transcriber: WhisperTranscriber, data: Any) -> tuple[float, float, str]:
    """faster-whisper itself on the file's bytes (or on decoded samples): wall and CPU seconds."""
    model = load_model(transcriber.options)
    started, cpu = time.perf_counter(), time.process_time()
    segments, _info = model.transcribe(
        io.BytesIO(data) if isinstance(data, bytes) else data,
        beam_size=transcriber.options.beam_size,
        language=transcriber.options.language,
        vad_filter=True,
        condition_on_previous_text=False,
    )
    text = " ".join(s.text.strip() for s in segments)
    return time.perf_counter() - started, time.process_time() - cpu, text


async def run(rounds: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        runtime, run_stage = await _stage_runner(Path(tmp))
        transcriber = runtime.transcriber
        if not isinstance(transcriber, WhisperTranscriber):
            raise SystemExit("the benchmark measures the local model: set FRONTDESK_TRANSCRIPTION=local")
        try:
            started = time.perf_counter()
            load_model(transcriber.options)
            load_seconds = time.perf_counter() - started
            audio = notes()
            await run_stage(audio[5.0])  # warm-up: first-call costs (VAD model, pools) are not per note
            _direct(transcriber, audio[5.0])
            results: dict[str, Any] = {"model_load_s": load_seconds, "rounds": rounds, "notes": {}}
            results["load_average_before"] = os.getloadavg()[0]
            for seconds, data in audio.items():
                samples = decode(data, max_seconds=120)
                times: dict[str, list[tuple[float, float]]] = {"stage": [], "direct": [], "pcm": []}
                for i in range(rounds):
                    order = ("stage", "direct", "pcm") if i % 2 == 0 else ("pcm", "direct", "stage")
                    for which in order:
                        if which == "stage":
                            wall, cpu, text = await run_stage(data)
                        else:
                            source = data if which == "direct" else samples
                            wall, cpu, direct_text = await asyncio.to_thread(_direct, transcriber, source)
                        times[which].append((wall, cpu))
                med = {
                    k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
                    for k, v in times.items()
                }
                results["notes"][str(int(seconds))] = {
                    "audio_s": seconds,
                    "bytes": len(data),
                    "stage_s": med["stage"][0],
                    "direct_s": med["direct"][0],
                    "pcm_s": med["pcm"][0],
                    "stage_cpu_s": med["stage"][1],
                    "direct_cpu_s": med["direct"][1],
                    "stage_rtf": med["stage"][0] / seconds,
                    "direct_rtf": med["direct"][0] / seconds,
                    "overhead": med["stage"][0] / med["direct"][0] - 1,
                    "overhead_vs_pcm": med["stage"][0] / med["pcm"][0] - 1,
                    "same_text": text == direct_text,
                }
            results["load_average_after"] = os.getloadavg()[0]
            return results
        finally:
            await runtime.close()


def report(r: dict[str, Any]) -> str:
    lines = [
        f"model load (once per process): {r['model_load_s']:.2f} s; median of {r['rounds']} rounds; "
        f"load average {r['load_average_before']:.1f} before, {r['load_average_after']:.1f} after",
        "note   bytes  direct s  direct RTF  stage s  stage RTF  overhead  model-only s  vs model-only  "
        "CPU s direct/stage  same text",
    ]
    for name, n in r["notes"].items():
        lines.append(
            f"{name:>3} s {n['bytes']:>7} {n['direct_s']:>9.2f} {n['direct_rtf']:>11.3f} {n['stage_s']:>8.2f}"
            f" {n['stage_rtf']:>10.3f} {n['overhead'] * 100:>8.1f}% {n['pcm_s']:>13.2f}"
            f" {n['overhead_vs_pcm'] * 100:>13.1f}%"
            f"  {n['direct_cpu_s']:>8.2f} / {n['stage_cpu_s']:<6.2f}  {n['same_text']}"
        )
    worst_rtf = max(n["stage_rtf"] for n in r["notes"].values())
    total_stage = sum(n["stage_s"] for n in r["notes"].values())
    total_direct = sum(n["direct_s"] for n in r["notes"].values())
    overhead = total_stage / total_direct - 1
    lines.append(target_line(worst_rtf, overhead))
    return "\n".join(lines)


def target_line(worst_rtf: float, overhead: float) -> str:
    rtf_ok = worst_rtf <= RTF_TARGET
    overhead_ok = overhead <= OVERHEAD_TARGET
    return (
        f"target: transcription RTF <= {RTF_TARGET:g} on {os.cpu_count()} cores: {'MET' if rtf_ok else 'NOT MET'} "
        f"(worst {worst_rtf:.3f}); stage overhead <= {OVERHEAD_TARGET:.0%}: "
        f"{'MET' if overhead_ok else 'NOT MET'} ({overhead * 100:+.1f}% over all notes)"
    )


def summary(r: dict[str, Any]) -> str:
    notes_ = r["notes"].values()
    worst_rtf = max(n["stage_rtf"] for n in notes_)
    overhead = sum(n["stage_s"] for n in notes_) / sum(n["direct_s"] for n in notes_) - 1
    return target_line(worst_rtf, overhead)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.transcription", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(report(asyncio.run(run(args.rounds))))


if __name__ == "__main__":
    main()
