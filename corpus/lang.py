"""Script detection shared by chunking, tokenisation and answering."""

from __future__ import annotations

import re

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")


def han_ratio(text: str) -> float:
    """Share of Han characters among the letters of `text` (0.0 when there are none)."""
    han = len(HAN.findall(text))
    latin = len(LATIN.findall(text))
    return han / (han + latin) if han + latin else 0.0


def is_chinese(text: str) -> bool:
    """True when the text is mostly Chinese (a Chinese question or a Chinese line)."""
    return han_ratio(text) >= 0.3


def language(text: str) -> str:
    """'zh', 'en' or 'zh+en' for a passage holding both scripts in earnest."""
    han = len(HAN.findall(text))
    latin = len(LATIN.findall(text))
    if han >= 10 and latin >= 40 and han / (han + latin) >= 0.1:
        return "zh+en"
    return "zh" if is_chinese(text) else "en"
