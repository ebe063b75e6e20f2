"""Text of record from extracted lines: paragraphs joined without breaking Chinese or English.

    join_lines(["以 24 次拦截领先国家橄榄", "球联盟 (NFL)，并且"]) -> "以 24 次拦截领先国家橄榄球联盟 (NFL)，并且"
    join_lines(["The ministers agreed to", "expand cooperation."]) -> "The ministers agreed to expand cooperation."

A line break inside a Chinese sentence disappears (no space is added between Chinese characters or
full-width punctuation); an English one becomes a space; a hyphen at the end of a line is kept and
the word goes on ("Lancang-" + "Mekong" -> "Lancang-Mekong"). Characters are never changed:
full-width punctuation (，。：“”) stays full-width.
"""

from __future__ import annotations

import re
import unicodedata

WIDE = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                  r"\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
CLOSERS = "\"'”’」』）)]》〉"
OPENERS = "\"'“‘「『（([《〈"
ENDS = ".!?。！？…:：;；"
BLANKS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f]+")


def is_wide(ch: str) -> bool:
    """A Chinese, Japanese or Korean character, or full-width punctuation."""
    return bool(WIDE.match(ch))


def ends_sentence(line: str) -> bool:
    """True when a line ends a sentence (closing quotes and brackets after the stop allowed)."""
    core = line.rstrip().rstrip(CLOSERS)
    return bool(core) and core[-1] in ENDS


def joiner(before: str, after: str) -> str:
    """What goes between two lines of one paragraph: "" inside Chinese or after a hyphen, else " "."""
    if not before or not after:
        return ""
    if before.endswith("-") and len(before) > 1 and before[-2].isalnum():
        return ""
    last = before.rstrip(CLOSERS)[-1:] or before[-1]           # “澜湄精神” ends in Chinese
    first = after.lstrip(OPENERS)[:1] or after[0]
    if is_wide(last) or is_wide(first):
        return ""
    return " "


def join_lines(lines: list[str]) -> str:
    out = ""
    for line in (x.strip() for x in lines):
        if line:
            out = f"{out}{joiner(out, line)}{line}" if out else line
    return out


def clean(text: str) -> str:
    """Newlines as \\n, no control characters (tabs become spaces), no trailing spaces, runs of
    spaces as one, at most one blank line in a row, no blank lines at the ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = "".join(ch if ch == "\n" or unicodedata.category(ch)[0] != "C" or ch in "\u200d" else
                   (" " if ch == "\t" else "") for ch in text)
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = BLANKS.sub("\n\n", "\n".join(lines))
    return text.strip("\n")
