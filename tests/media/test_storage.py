"""The local media store: content-hash keys, dedupe, signed links."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from bot.runtime import Runtime
from core.media.sniff import contradicts, sniff
from core.media.storage import LinkSigner, LocalStorage, StorageError
from tests.media.support import encode, jfk_samples, voice_note


async def test_identical_uploads_are_kept_once(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, LinkSigner("secret", "https://desk.example"))
    first = await storage.put(b"a voice note")
    again = await storage.put(b"a voice note")
    other = await storage.put(b"another")
    assert first.key == again.key != other.key
    assert first.created and not again.created
    assert await storage.get(first.key) == b"a voice note"
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2
    with pytest.raises(StorageError):
        await storage.get("0" * 64)
    with pytest.raises(StorageError):
        await storage.get("../../etc/passwd")


def test_signed_links_expire_and_cannot_be_forged() -> None:
    signer = LinkSigner("secret", "https://desk.example/")
    key = "ab" * 32
    url = urlparse(signer.url(key, expires_in=60, now=1000))
    assert url.path == f"/media/{key}"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    expires, signature = int(query["expires"]), query["signature"]
    assert signer.verify(key, expires, signature, now=1030)
    assert not signer.verify(key, expires, signature, now=1061)  # expired
    assert not signer.verify("cd" * 32, expires, signature, now=1030)  # another file
    assert not signer.verify(key, expires + 3600, signature, now=1030)  # a longer life
    assert not LinkSigner("other", "https://desk.example").verify(key, expires, signature, now=1030)


def test_content_decides_the_type_not_the_label() -> None:
    mp3 = encode(jfk_samples()[:16000], container="mp3", codec="libmp3lame")
    assert sniff(voice_note(1)) == "ogg" and sniff(mp3) == "mp3"
    assert contradicts("mp3", "audio/ogg", "voice.ogg")  # an MP3 named .ogg
    assert contradicts("mp3", None, "voice.ogg")
    assert not contradicts("ogg", "audio/ogg; codecs=opus", None)
    assert not contradicts("webm", "audio/webm;codecs=opus", "recording.webm")  # Chrome's recorder
    assert not contradicts("pdf", "application/octet-stream", None)  # a label that promises nothing
    assert sniff(b"%PDF-1.7\n...") == "pdf"
    assert sniff("Hola, ¿tenéis cita el martes?".encode()) == "text"
    assert sniff(b"\x00\x01\x02garbage") is None


async def test_a_signed_link_serves_the_file_and_nothing_else_does(client: httpx.AsyncClient, runtime: Runtime) -> None:
    note = voice_note(1)
    stored = await runtime.storage.put(note)
    url = urlparse(runtime.storage.signed_url(stored.key, expires_in=60))
    r = await client.get(f"{url.path}?{url.query}")
    assert r.status_code == 200 and r.content == note and r.headers["content-type"] == "audio/ogg"
    assert (await client.get(url.path)).status_code == 404  # the key alone is not enough
    forged = url.query.replace("signature=", "signature=0")
    assert (await client.get(f"{url.path}?{forged}")).status_code == 404
