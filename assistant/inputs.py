"""Checks on what users type or pipe in: questions, k, and JSON-lines question files."""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path


class InputError(ValueError):
    """Bad input; the message is one line, fit to show as it is."""


def clean_question(question, settings) -> str:
    """Strip control characters; refuse empty, overlong or non-text questions."""
    if not isinstance(question, str):
        raise InputError("the question must be text")
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in question)
    text = " ".join(text.split())
    if not text:
        raise InputError("the question is empty")
    if len(text) > settings.max_question_chars:
        raise InputError(f"the question is {len(text):,} characters long; the limit is "
                         f"{settings.max_question_chars:,} (Settings.max_question_chars)")
    return text


def check_k(k, settings) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= settings.max_k:
        raise InputError(f"k must be a whole number from 1 to {settings.max_k} (got {k!r})")
    return k


def read_queries(path: str, settings) -> list[dict]:
    """Read JSON lines {"id", "question"}; '-' reads standard input. All lines are checked first."""
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
        except InputError as exc:
            raise InputError(f"{path} line {n}: {exc}") from None
        queries.append({"id": item.get("id", n), "question": question})
    if not queries:
        raise InputError(f"{path} holds no questions")
    return queries
