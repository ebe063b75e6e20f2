"""Checks on what users type or pipe in: questions, history, k, and JSON-lines question files."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path


class InputError(ValueError):
    """Bad input; the message is one line, fit to show as it is."""


def clean_question(question, settings) -> str:
    """Strip control characters; refuse empty, overlong or non-text questions."""
    if not isinstance(question, str):
        raise InputError("the question must be text")
    text = " ".join(_printable(question).split())
    if not text:
        raise InputError("the question is empty")
    if len(text) > settings.max_question_chars:
        raise InputError(f"the question is {len(text):,} characters long; the limit is "
                         f"{settings.max_question_chars:,} (Settings.max_question_chars)")
    return text


HISTORY_SHAPE = 'history must be a list of {"role": "user"|"assistant", "content": text}'
MAX_HISTORY_MESSAGES = 20            # older turns cannot change how a follow-up is read


def clean_history(history, settings) -> list[dict]:
    """Earlier turns, [{"role": "user"|"assistant", "content": text}], checked and cleaned: control
    characters and lone surrogates become spaces, only the last MAX_HISTORY_MESSAGES are kept, and an
    earlier question over the question limit is refused like the question itself."""
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise InputError(HISTORY_SHAPE)
    out = []
    for n, message in enumerate(history, 1):
        if not (isinstance(message, dict) and message.get("role") in ("user", "assistant")
                and isinstance(message.get("content"), str)):
            raise InputError(f"{HISTORY_SHAPE} (message {n} is not)")
        text = _printable(message["content"])
        if message["role"] == "user" and len(text) > settings.max_question_chars:
            raise InputError(f"history message {n} is {len(text):,} characters long; the limit is "
                             f"{settings.max_question_chars:,} (Settings.max_question_chars)")
        out.append({"role": message["role"], "content": text})
    return out[-MAX_HISTORY_MESSAGES:]


ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")       # a terminal colour or cursor sequence pasted in


def _printable(text: str) -> str:
    text = ANSI.sub(" ", text)
    return "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text)


def check_doc_ids(doc_ids, known) -> None:
    """Refuse a document id the index does not hold, naming the ones it does."""
    unknown = sorted(set(doc_ids) - set(known))
    if unknown:
        raise InputError(f"unknown document id {unknown[0]!r}; known: {', '.join(sorted(known))}")


def check_k(k, settings) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= settings.max_k:
        raise InputError(f"k must be a whole number from 1 to {settings.max_k} (got {k!r})")
    return k


def read_queries(path: str, settings) -> list[dict]:
    """Read JSON lines {"id", "question"} with an optional "history" (the earlier turns of a
    follow-up, as clean_history takes them); '-' reads standard input. All lines are checked first."""
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 (bad byte at offset {exc.start})") from None
    queries = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} line {n}: not valid JSON ({exc.msg})") from None
        if not isinstance(item, dict) or "question" not in item:
            raise InputError(f'{path} line {n}: expected an object with "id" and "question"')
        try:
            question = clean_question(item["question"], settings)
            history = clean_history(item.get("history"), settings)
        except InputError as exc:
            raise InputError(f"{path} line {n}: {exc}") from None
        queries.append({"id": item.get("id", n), "question": question, "history": history})
    if not queries:
        raise InputError(f"{path} holds no questions")
    return queries
