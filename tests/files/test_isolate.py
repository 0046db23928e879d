"""A parser in a limited child: its answer comes back, its blow-ups stay in the child."""

from __future__ import annotations

import resource

import pytest

from core.files import FileRefused
from core.files.isolate import IsolationLimits, configure, current_limits, run_isolated


class Refused(FileRefused):
    pass


@pytest.fixture
def tight_limits():  # type: ignore[no-untyped-def]
    before = current_limits()
    configure(IsolationLimits(memory_mb=512, cpu_seconds=2, wall_seconds=20))
    yield
    configure(before)


async def test_the_parsers_answer_comes_back() -> None:
    assert await run_isolated("tests.files.targets:words", b"book me in", upper=True) == ["BOOK", "ME", "IN"]


async def test_a_refusal_keeps_its_words_and_status() -> None:
    with pytest.raises(Refused) as refused:
        await run_isolated("tests.files.targets:refuse", b"12345", refusal=Refused)
    assert str(refused.value) == "no thanks (5 bytes)" and refused.value.status == 415


@pytest.mark.usefixtures("tight_limits")
async def test_a_parser_that_swells_is_stopped_and_this_process_does_not_grow() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(Refused, match="needs more memory"):
        await run_isolated("tests.files.targets:swell", b"x", refusal=Refused, what="DOCX")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KB


@pytest.mark.usefixtures("tight_limits")
async def test_a_parser_that_spins_is_stopped() -> None:
    with pytest.raises(Refused, match="takes longer to read than a PDF should"):
        await run_isolated("tests.files.targets:spin", b"x", refusal=Refused, what="PDF")


async def test_a_crashing_or_failing_parser_is_a_refusal() -> None:
    with pytest.raises(Refused):
        await run_isolated("tests.files.targets:crash", b"x", refusal=Refused)
    with pytest.raises(Refused, match=r"could not be read \(KeyError\)"):
        await run_isolated("tests.files.targets:stumble", b"x", refusal=Refused)


async def test_the_child_sees_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", "do-not-leak-0123456789")
    monkeypatch.setenv("FRONTDESK_LLM_API_KEY", "sk-do-not-leak")
    names = await run_isolated("tests.files.targets:environment", b"")
    assert not [name for name in names if name.startswith("FRONTDESK")], names
