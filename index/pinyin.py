"""Chinese names -> the English (pinyin) names of the corpus: 鲍志鹏 -> "Bao Zhipeng", 重庆 -> "Chongqing".

English news spells Chinese people and places in pinyin, and neither the lexicon learned from the
bilingual document nor a dictionary knows most personal names. So a Chinese question's runs of 2-4
characters are read in pinyin (every CC-CEDICT reading of each character, tones dropped) and looked up
among the capitalised runs of 1-3 words of the corpus, spelled without spaces ("baozhipeng"). A run
that CC-CEDICT lists only as an ordinary word (大力, lower-case pinyin) is skipped: 大力 is
"vigorously", not Dali; 大理 is also listed as a place (capitalised pinyin), so it is kept.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from index.translate import cedict_text

CEDICT_ENTRY = re.compile(r"^\S+ (\S+) \[([^\]]+)\] /", re.M)
HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
MAX_READINGS = 64                       # pinyin spellings tried for one run of characters


@lru_cache(maxsize=1)
def cedict_readings() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """(character -> its pinyin readings, the multi-character words that are only ordinary words,
    never names), from CC-CEDICT (empty when it is not installed). Parsed once per process (0.2 s)."""
    text = cedict_text()
    readings: dict[str, list[str]] = {}
    common, proper = set(), set()
    for head, pinyin in CEDICT_ENTRY.findall(text):
        syllables = pinyin.split()
        if len(head) == 1 and len(syllables) == 1:
            r = re.sub(r"\d", "", syllables[0]).lower().replace("u:", "v")
            if r.isalpha() and r not in readings.setdefault(head, []):
                readings[head].append(r)
        elif len(head) > 1:
            (common if pinyin[:1].islower() else proper).add(head)
    return {c: tuple(r) for c, r in readings.items()}, frozenset(common - proper)


def english_names(texts) -> dict[str, frozenset[str]]:
    """Spelling without spaces -> the capitalised runs of 1-3 words that spell it ("xijinping" ->
    {"Xi Jinping"}), over the English words of `texts`."""
    out: dict[str, set[str]] = {}
    for text in texts:
        words = ENGLISH_WORD.findall(text)
        for i in range(len(words)):
            for n in (1, 2, 3):
                run = words[i:i + n]
                if len(run) < n or not all(w[0].isupper() for w in run):
                    break
                key = re.sub(r"[^a-z]", "", "".join(run).lower())
                if len(key) >= 4:
                    out.setdefault(key, set()).add(" ".join(run))
    return {k: frozenset(v) for k, v in out.items()}


def spellings(run: str, readings) -> list[str]:
    options = [readings.get(c, ())[:3] for c in run]
    if not all(options):
        return []
    return ["".join(p) for p in itertools.islice(itertools.product(*options), MAX_READINGS)]


def names_in(question: str, names: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """The corpus's English names that runs of the question's Chinese characters spell in pinyin:
    {"鲍志鹏": {"Bao Zhipeng"}, "重庆": {"Chongqing"}}. A run takes the names of its first spelling
    that names any, trying each character's readings in the order CC-CEDICT lists them (强: qiáng,
    then jiàng)."""
    readings, common = cedict_readings()
    out: dict[str, set[str]] = {}
    for run in HAN_RUN.findall(question):
        for n in (4, 3, 2):
            for i in range(len(run) - n + 1):
                piece = run[i:i + n]
                if piece in common:
                    continue
                for spelled in spellings(piece, readings):      # in CC-CEDICT's order of readings
                    if spelled in names:
                        out.setdefault(piece, set()).update(names[spelled])
                        break                        # 李强 is Li Qiang, not also Lijiang (强 jiàng)
    return {k: frozenset(v) for k, v in out.items()}
