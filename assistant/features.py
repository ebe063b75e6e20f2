"""The features the learned answer model reads: one row per candidate sentence.

    X = sentence_features(q, cands, table)        # (len(cands), len(FEATURES))

Every feature is general: it holds on any documents in English or Chinese, and none names a
corpus, a country or an institution. Per candidate sentence:
  focus     share of the question's focus words it holds (what is asked, not the topic's name)
  lex       IDF-weighted share of the question's terms it holds (a term found only in the sentences
            around it, its section's heading or its document's title counts Settings.answer_context)
  sem       multilingual (USE) cosine with the question; e5: multilingual-e5 cosine;
  minilm    MiniLM cosine (English questions; 0 for Chinese ones)
  prior     its passage's search score, relative to the best passage; rank: 1 / (1 + passage rank)
  type      it holds an entity of the kind asked for (a number for "how many", a date for "when" ...)
            that the question does not already name
  novelty   share of its terms the question does not say
  zh        a Chinese sentence for a Chinese question
  clash     it names only other ordinals or years than the question ("the 8th" for "the 10th")
  source    it belongs to a document the question names ("according to the Belt and Road Portal")
  bigram    share of the question's adjacent term pairs it holds in the same order
  length    log of its length in characters
  *_gap     the feature minus its best value among the question's candidates (for lex, sem,
            minilm, e5 and bigram): how the sentence compares with its rivals
A Chinese question is matched against English sentences through its English terms (Question.english);
its terms with no English count as absent from an English sentence.
"""

from __future__ import annotations

import math

import numpy as np

from assistant.question import Question, found, unit_missing
from assistant.sentences import SentenceTable, terms

BASE = ("focus", "lex", "sem", "prior", "type", "novelty", "zh", "clash", "minilm", "source")
EXTRA = ("e5", "bigram", "rank", "length")
GAPS = ("lex", "sem", "minilm", "e5", "bigram")
FEATURES = BASE + EXTRA + tuple(f"{g}_gap" for g in GAPS)


def pairs(tokens: list[str]) -> frozenset[tuple[str, str]]:
    return frozenset(zip(tokens, tokens[1:]))


def row(c, q: Question, need, context: float, question_pairs: frozenset) -> dict[str, float]:
    """The features of one candidate (before the gaps, which need the whole pool)."""
    crossing = q.lang == "zh" and c.sentence.lang == "en" and bool(need.weights_en)
    if crossing:        # the question's terms in English; the ones with no English count as absent
        weights, focus, missing, missing_focus = need.weights_en, need.focus_en, need.missing_en, need.missing_focus_en
    else:
        weights, focus, missing, missing_focus = need.weights, need.focus, 0.0, 0.0
    total = (sum(weights.values()) + missing) or 1.0
    lex = sum(v if t in c.tokens else context * v for t, v in weights.items()
              if t in c.tokens or t in c.context) / total
    fw = {t: v for t, v in weights.items() if t in focus}
    foc = (sum(v for t, v in fw.items() if t in c.tokens) / (sum(fw.values()) + missing_focus) if fw
           else sum(v for t, v in weights.items() if t in c.tokens) / total)
    typed = 1.0 if q.wants and any(found(kind, c.text, q) for kind in q.wants[:2]) else 0.0
    if typed and unit_missing(q, [c.text]):
        typed = 0.0
    said = {t for t in c.tokens if t.endswith("th") and t[:-2].isdigit()}
    clash = 1.0 if need.ordinals and said and not need.ordinals & said else 0.0
    years = {t for t in c.tokens if len(t) == 4 and t.isdigit() and t[:2] in ("19", "20")} or c.doc_years
    if need.years and years and not need.years & years:
        clash = 1.0
    return {"focus": foc, "lex": lex, "sem": c.sem, "prior": c.prior, "type": typed,
            "novelty": len(c.own - set(weights)) / len(c.own) if c.own else 0.0,
            "zh": 1.0 if q.lang == "zh" and c.sentence.lang == "zh" else 0.0, "clash": clash,
            "minilm": c.minilm, "source": 1.0 if c.body and c.sentence.doc_id in q.sources else 0.0,
            "e5": c.e5, "bigram": len(question_pairs & c.pairs) / max(1, len(question_pairs)),
            "rank": 1.0 / (1 + c.rank), "length": math.log(10 + len(c.sentence.text))}


def sentence_features(q: Question, cands: list, need, context: float) -> np.ndarray:
    """(len(cands), len(FEATURES)) for the candidates of one question (or one part of it)."""
    if not cands:
        return np.zeros((0, len(FEATURES)))
    question_pairs = pairs(terms(q.text))
    rows = [row(c, q, need, context, question_pairs) for c in cands]
    best = {g: max(r[g] for r in rows) for g in GAPS}
    for r in rows:
        r.update({f"{g}_gap": r[g] - best[g] for g in GAPS})
    return np.array([[r[f] for f in FEATURES] for r in rows], dtype=np.float64)
