"""choose(...) -> [Choice]: the sentences the answer quotes, from the model's probabilities.

The answer model gives each candidate the probability that it holds the answer. The answer takes
the most probable sentence, then the next ones while the probability they add keeps the total
below the model's coverage target (AnswerModel.coverage, chosen on held-out folds): one sentence
when the model is sure, two or three when two readings are close. Each part of a several-part
question gets its own best sentence first. A sentence that says mostly what a chosen one says is
skipped, and the answer stays within Settings.answer_max_chars (twice that for several parts):
long sentences are cut to their best clauses, verbatim.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.candidates import Candidate, Choice, repeats
from assistant.question import Question, found
from assistant.sentences import SentenceTable, terms

CLAUSE_END = re.compile(r"[，；：、]|[,;:](?!\d)")
LIST_END = re.compile(r"\s*(?:and|or|as well as|以及|和)\b")


def choose(cands: list[Candidate], probs: np.ndarray, part_probs: list[np.ndarray], q: Question,
           table: SentenceTable, *, coverage: float, max_sentences: int, max_chars: int,
           min_clause_chars: int = 120) -> list[Choice]:
    """probs: the whole question's probability per candidate; part_probs: each part's (one array
    per part of a several-part question, else empty)."""
    if not len(cands):
        return []
    budget = max_chars * (2 if part_probs else 1)
    chosen: dict[int, float] = {}
    for p in part_probs:                               # each part's best sentence first
        best = int(np.argmax(p))
        chosen.setdefault(best, float(p[best]))
    total = sum(float(probs[i]) for i in chosen)
    length = sum(len(cands[i].sentence.text) for i in chosen)
    for i in np.argsort(-probs, kind="stable").tolist():
        if len(chosen) >= max(max_sentences, len(part_probs)) or (chosen and total >= coverage):
            break
        if i in chosen or repeats(cands[i], [cands[j] for j in chosen]):
            continue
        if chosen and length + len(cands[i].sentence.text) > budget:
            continue
        chosen[i] = float(probs[i])
        total += float(probs[i])
        length += len(cands[i].sentence.text)
    out, used = [], 0
    for i, p in chosen.items():                        # in order of choice: the first is cut the least
        c = trim(cands[i], q, p, max(min_clause_chars, budget - used), table)
        used += c.end - c.start
        out.append(c)
    return out


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, cursor = [], start
    for m in CLAUSE_END.finditer(text, start, end):
        spans.append((cursor, m.end()))
        cursor = m.end()
    if cursor < end:
        spans.append((cursor, end))
    return spans


def trim(c: Candidate, q: Question, value: float, limit: int, table: SentenceTable) -> Choice:
    """The whole sentence if it fits in `limit`, else the window of clauses that best answers: the
    one with most focus terms, then with an entity of the expected type, then the most question
    weight; a window never stops just before a short "and ..." clause (the end of a list)."""
    s = c.sentence
    if len(s.text) <= limit:
        return Choice(c, s.start, s.end, value)
    doc = table.texts[s.doc_id]
    parts = clauses(doc, s.start, s.end)
    focus = (q.focus | q.english_focus) & c.own
    weights = {t: table.idf(t) for t in q.tokens}
    weights.update({t: table.idf(t) * conf for t, conf in q.english if t not in weights})
    best = ((-1, -1, -1.0), s.start, s.end)
    for i in range(len(parts)):
        for j in range(i, len(parts)):
            a, b = parts[i][0], parts[j][1]
            if b - a > limit and j > i:
                break
            nxt = parts[j + 1] if j + 1 < len(parts) else None
            if nxt and nxt[1] - nxt[0] <= 40 and LIST_END.match(doc, nxt[0]) and nxt[1] - a <= limit:
                continue                                   # do not stop a list just before its last item
            piece = doc[a:b]
            toks = set(terms(piece))
            lex = sum(v for t, v in weights.items() if t in toks)
            typed = any(found(kind, piece, q) for kind in q.wants[:2])
            val = (len(focus & toks), int(typed), lex - 0.001 * (b - a))
            if val > best[0]:
                best = (val, a, b)
    _, a, b = best
    while a < b and (doc[a].isspace() or doc[a] in ",;:，；：、"):
        a += 1
    while b > a and (doc[b - 1].isspace() or doc[b - 1] in ",;:，；：、"):
        b -= 1
    return Choice(c, a, b, value)
