"""The BM25 leg: CJK-aware tokenisation and a bm25s index saved without pickle.

tokenize(): NFKC (so non-breaking and full-width characters become plain ones), words split at
case and digit boundaries ("2023ChinaLaos" -> 2023, china, laos), lower-cased, a few English
stop words dropped; each run of Han characters becomes its character bigrams (a lone
character stays a unigram); question words such as 哪里 and 什么 break a run.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np

HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+(?:\.\d+)?|[^\W\d_]+", re.UNICODE)
STOP = frozenset("""a an and are as at be been by did do does for from had has have how in into is it
its of on or that the their them these they this to was were what when where which who whom whose
why will with""".split())
ZH_BREAK = re.compile(r"什么|多少|哪里|哪些|哪个|[的了吗呢哪]")   # split Han runs here; no bigram spans them


def tokenize(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    tokens: list[str] = []
    pos = 0
    for m in HAN_RUN.finditer(text):
        tokens.extend(_words(text[pos:m.start()]))
        tokens.extend(_bigrams(m.group()))
        pos = m.end()
    tokens.extend(_words(text[pos:]))
    return tokens


def _words(text: str) -> list[str]:
    out = []
    for w in WORD.findall(text):
        w = w.lower()
        if w not in STOP:
            out.append(w)
    return out


def _bigrams(run: str) -> list[str]:
    out = []
    for part in ZH_BREAK.split(run):
        if len(part) == 1:
            out.append(part)
        else:
            out.extend(part[i:i + 2] for i in range(len(part) - 1))
    return out


class LexicalIndex:
    """bm25s over pre-tokenised chunks; scores(query) gives one score per chunk."""

    def __init__(self, bm25):
        self._bm25 = bm25

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        import bm25s
        bm25 = bm25s.BM25()
        docs = [tokenize(t) or [""] for t in texts]
        vocab = {token: i for i, token in enumerate(sorted({t for doc in docs for t in doc}))}
        bm25.index(([[vocab[t] for t in doc] for doc in docs], vocab), show_progress=False)
        return cls(bm25)                   # a sorted vocabulary: every build writes the same files

    def scores(self, query: str) -> np.ndarray:
        tokens = tokenize(query)
        if not tokens:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def save(self, path: Path) -> None:
        self._bm25.save(str(path), show_progress=False)

    @classmethod
    def load(cls, path: Path) -> "LexicalIndex":
        import bm25s
        return cls(bm25s.BM25.load(str(path), show_progress=False))
