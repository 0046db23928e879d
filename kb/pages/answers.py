"""/knowledge/answers: the answers staff saved (kb.memory: each a one-question FAQ document the
assistant answers from), listed, added, edited; deleting one is deleting its document
(POST /knowledge/documents/{id}/delete)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from admin.web.errors import not_found
from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from core.db import Database
from core.web import Db
from kb import memory, store
from kb.api.deps import WorkspaceEmbedders
from kb.pages.common import HOME, form_fields

router = page_router()
LONGEST_ANSWER = 4000  # as a staff reply (the inbox's)
DONE = {"added": "Saved: the assistant answers this question with it from now on.", "edited": "Saved.",
        "deleted": "Deleted: the assistant no longer answers with it."}  # fmt: skip


async def _page(request: Request, db: Database, me: SignedIn, *, status: int = 200, **shown: Any) -> Response:
    async with db.reader() as s:
        saved = await memory.answers(s, workspace_id=me.workspace_id)
    context: dict[str, Any] = {"error": None, "notice": None, "sent": {}, "editing": None}
    return render(request, "kb/answers.html", status=status, answers=saved, **{**context, **shown})


@router.get(HOME + "/answers")
async def answers(request: Request, db: Db, me: CurrentAdmin) -> Response:
    return await _page(request, db, me, notice=DONE.get(request.query_params.get("done", "")))


def _problem(question: str, answer: str) -> str | None:
    if not question.strip() or not answer.strip():
        return "Write both the customer's question and the answer."
    if len(question) > memory.MAX_QUESTION_CHARS:
        return f"A question is at most {memory.MAX_QUESTION_CHARS} characters."
    if len(answer) > LONGEST_ANSWER:
        return f"An answer is at most {LONGEST_ANSWER} characters."
    return None


@router.post(HOME + "/answers")
async def add(request: Request, db: Db, me: CurrentAdmin, embedders: WorkspaceEmbedders) -> Response:
    form = await form_fields(request, "question", "answer")
    if (why := _problem(form["question"], form["answer"])) is not None:
        return await _page(request, db, me, status=422, error=why, sent=form)
    await memory.save_answer(
        db, workspace_id=me.workspace_id, question=form["question"], answer=form["answer"], embedders=embedders
    )
    return see_other(f"{HOME}/answers?done=added")


@router.post(HOME + "/answers/{answer_id}")
async def edit(answer_id: str, request: Request, db: Db, me: CurrentAdmin, embedders: WorkspaceEmbedders) -> Response:
    async with db.reader() as s:
        theirs = {a.document_id for a in await memory.answers(s, workspace_id=me.workspace_id)}
    if answer_id not in theirs:
        raise not_found("There is no such saved answer in this workspace.")
    form = await form_fields(request, "question", "answer")
    if (why := _problem(form["question"], form["answer"])) is not None:
        return await _page(request, db, me, status=422, error=why, sent=form, editing=answer_id)
    try:
        await memory.edit_answer(
            db, workspace_id=me.workspace_id, document_id=answer_id, question=form["question"],
            answer=form["answer"], embedders=embedders,
        )  # fmt: skip
    except store.NotFound:
        raise not_found("There is no such saved answer in this workspace.") from None
    return see_other(f"{HOME}/answers?done=edited")
