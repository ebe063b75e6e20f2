"""The one-line baseline every answer figure is measured against, and BM25 over paragraphs.

    base = Oneline(documents)                 # paragraphs = non-blank lines of each document
    base.search(question, k)                  # [(doc_id, start, end), ...] by plain BM25
    base.answer(question)                     # the best-overlap sentence of BM25's top paragraph

BM25 (bm25s, the product's CJK-aware tokenizer) ranks paragraphs; the answer is the sentence of the
top paragraph that shares the most distinct tokens with the question (ties: the earlier sentence).
No model, no tuning: what any reader would try first.
"""

from __future__ import annotations

import re

LINE = re.compile(r"[^\n]*\S[^\n]*")


class Oneline:
    def __init__(self, documents):
        import bm25s
        from index.lexical import tokenize
        self.texts = {d.doc_id: d.text for d in documents}
        self.paragraphs = [(d.doc_id, m.start(), m.end()) for d in documents for m in LINE.finditer(d.text)]
        docs = [tokenize(self.texts[d][s:e]) or [""] for d, s, e in self.paragraphs]
        vocab = {t: i for i, t in enumerate(sorted({t for doc in docs for t in doc}))}
        self._bm25 = bm25s.BM25()
        self._bm25.index(([[vocab[t] for t in doc] for doc in docs], vocab), show_progress=False)

    def search(self, question: str, k: int = 10) -> list[tuple[str, int, int]]:
        import numpy as np
        from index.lexical import tokenize
        tokens = tokenize(question)
        if not tokens:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens))
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.paragraphs[i] for i in order if scores[i] > 0]

    def answer(self, question: str) -> tuple[str, int, int, str]:
        """(doc_id, start, end, sentence) of the answer; ("", 0, 0, "") when BM25 finds nothing."""
        from assistant.sentences import split_line
        from corpus.lang import is_chinese
        from index.lexical import tokenize
        top = self.search(question, 1)
        if not top:
            return "", 0, 0, ""
        doc_id, start, end = top[0]
        text = self.texts[doc_id]
        asked = set(tokenize(question))
        spans = split_line(text, start, end, is_chinese(text[start:end]))
        best = max(spans, key=lambda sp: (len(asked & set(tokenize(text[sp[0]:sp[1]]))), -sp[0]))
        return doc_id, best[0], best[1], text[best[0]:best[1]]
