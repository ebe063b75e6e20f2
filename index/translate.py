"""A Chinese -> English lexicon learned from the corpus's own parallel text.

The bilingual document pairs each Chinese line with its English translation. Over those pairs,
a Chinese bigram and an English word that keep appearing together are likely translations
(Dice association, at least `min_pairs` shared pairs). A Chinese question is then rewritten
as the English words its bigrams translate to, and searched with the English BM25 leg: the
bridge that lets a Chinese question find a passage that exists only in English.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from corpus.lang import HAN, is_chinese
from index.lexical import HAN_RUN, _bigrams, _words


def aligned_pairs(texts: list[str]) -> list[tuple[str, str]]:
    """(Chinese line, following English lines) pairs found in the given texts, deduplicated."""
    pairs, seen = [], set()
    for text in texts:
        zh, en = None, []
        for line in text.splitlines() + [""]:
            if line.strip() and is_chinese(line):
                if zh and en and (zh, " ".join(en)) not in seen:
                    seen.add((zh, " ".join(en)))
                    pairs.append((zh, " ".join(en)))
                zh, en = line, []
            elif line.strip() and zh is not None:
                en.append(line)
        if zh and en and (zh, " ".join(en)) not in seen:
            seen.add((zh, " ".join(en)))
            pairs.append((zh, " ".join(en)))
    return pairs


def _zh_terms(text: str) -> set[str]:
    return {t for run in HAN_RUN.findall(text) for t in _bigrams(run) if len(t) == 2}


def _en_terms(text: str) -> set[str]:
    return {w for w in _words(HAN.sub(" ", text)) if w.isalpha() and len(w) > 2}


def learn(pairs: list[tuple[str, str]], min_pairs: int = 2, min_dice: float = 0.3,
          per_term: int = 3) -> dict[str, list[list]]:
    """bigram -> [[english word, dice], ...], best first."""
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
    return {a: sorted(v, key=lambda x: -x[1])[:per_term] for a, v in sorted(table.items())}


class Lexicon:
    def __init__(self, table: dict[str, list[list]]):
        self.table = table

    @classmethod
    def build(cls, texts: list[str]) -> "Lexicon":
        return cls(learn(aligned_pairs(texts)))

    def translate(self, question: str) -> str:
        """The English words a Chinese question's bigrams translate to ('' when none do)."""
        words: list[str] = []
        for term in (t for run in HAN_RUN.findall(question) for t in _bigrams(run)):
            for word, _ in self.table.get(term, [])[:2]:
                if word not in words:
                    words.append(word)
        return " ".join(words)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.table, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Lexicon":
        return cls(json.loads(path.read_text(encoding="utf-8")))
