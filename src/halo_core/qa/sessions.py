"""Conversations about a run: `<run>/sessions/<name>.json`, written atomically. A follow-up
("and when did that happen?") is read with the question it follows (`is_follow_up`)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from ..artifacts import atomic_write_json
from ..errors import HaloError
from ..model import Citation

_FOLLOW_UP_START = re.compile(r"^\s*(and|but|also|so|then|what about|how about)\b", re.IGNORECASE)
_PRONOUN = re.compile(
    r"\b(it|its|that|this|those|these|they|them|their|he|she|him|her|his|there|then)\b",
    re.IGNORECASE,
)
SHORT_QUESTION_WORDS = 6


class Turn(BaseModel):
    question: str
    retrieval_query: str
    answer: str
    citations: list[Citation] = []
    asked_at: str


class Session(BaseModel):
    name: str
    turns: list[Turn] = []


_SESSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def session_path(run_folder: Path, name: str) -> Path:
    if not _SESSION_NAME.match(name):
        raise HaloError(
            f"bad session name {name!r}",
            fix="use letters, digits, '.', '_' or '-' (up to 64), e.g. --session lecture-notes",
        )
    return run_folder / "sessions" / f"{name}.json"


def load_session(run_folder: Path, name: str) -> Session:
    path = session_path(run_folder, name)
    if not path.is_file():
        return Session(name=name)
    try:
        return Session.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HaloError(
            f"session {name!r} cannot be read: {str(exc).splitlines()[0]}",
            where=str(path),
            fix="move the file away to start the session afresh (it is left untouched)",
        ) from None


def save_session(run_folder: Path, session: Session) -> None:
    atomic_write_json(session_path(run_folder, session.name), session.model_dump(mode="json"))


def clean_question(question: str) -> str:
    """The question with its whitespace normalized; an empty one is a user error."""
    question = " ".join(question.split())
    if not question:
        raise HaloError(
            "the question is empty", fix='ask something, e.g. halo ask RUN_DIR "What is X?"'
        )
    return question


def is_follow_up(question: str) -> bool:
    if _FOLLOW_UP_START.search(question):
        return True
    return bool(_PRONOUN.search(question)) and len(question.split()) <= SHORT_QUESTION_WORDS
