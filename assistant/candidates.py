"""candidates(hits) -> [Candidate]: the sentences of the retrieved passages that could answer.

A candidate is one sentence of a retrieved chunk. For a Chinese question, a Chinese sentence of a
bilingual document stands with its aligned English translation (and an English sentence that has a
Chinese original is replaced by it); for an English question, Chinese sentences are left out where
an English one exists. Each candidate knows its terms (with its translation's), its context (the
sentences around it, its section's heading, its document's title), its passage's rank and score.
Need says what a question, or one part of it, asks a sentence to hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.question import Question, analyse
from assistant.sentences import Sentence, SentenceTable, terms
from index.types import Hit

ORDINAL = re.compile(r"(?:[2-9]|\d\d+)th")        # "the 8th meeting" is not about "the 10th meeting"
YEAR = re.compile(r"(?:19|20)\d\d")               # nor "a 2025 event" about "the 2023 one"


@dataclass
class Candidate:
    sentence: Sentence
    hit: Hit
    tokens: frozenset[str]                  # its terms and its translation's
    text: str                               # sentence text plus its aligned translation (what is matched)
    context: frozenset[str] = frozenset()   # terms of the sentences around it, its heading and its title
    own: frozenset[str] = frozenset()       # terms of the sentence alone (no translation)
    pairs: frozenset = frozenset()          # adjacent term pairs of `text`
    rank: int = 0                           # its passage's place among the passages searched (0 = first)
    prior: float = 0.0                      # its passage's score relative to the best
    body: bool = True                       # after its document's first statement (SentenceTable.body_start)
    doc_years: frozenset = frozenset()      # the years its document's title names ("Top 10 News ... 2023")
    sem: float = 0.0                        # cosines with the question: USE, MiniLM, e5
    minilm: float = 0.0
    e5: float = 0.0
    scores: dict = field(default_factory=dict)   # its features, for reports


@dataclass(frozen=True)
class Choice:
    candidate: Candidate
    start: int                         # the quoted span (a whole sentence or its best clauses)
    end: int
    score: float                       # the model's probability that it holds the answer


def candidates(table: SentenceTable, hits: list[Hit], q: Question, titles: dict | None = None,
               years: dict | None = None) -> list[Candidate]:
    """The sentences of the hits' passages, in passage order. titles: doc_id -> terms of its title
    and date; years: doc_id -> the years its title names."""
    out, seen = [], set()
    top = max((h.score for h in hits), default=0.0) or 1.0
    for rank, hit in enumerate(hits):
        c = hit.chunk
        for s in table.within(c.doc_id, c.start, c.end):
            if s.lang == "zh" and q.lang == "en" and s.parallel:
                continue
            if q.lang == "zh" and s.lang == "en":
                s = table.source_of(s) or s
            if (s.doc_id, s.start) in seen:
                continue
            seen.add((s.doc_id, s.start))
            own = tokens = table.tokens_of(s)
            if len(own) < 2:
                continue                                   # "III.", "(XINHUA)": nothing to quote
            text = s.text
            if s.parallel:
                par = table.parallel_text(s)
                tokens = tokens | frozenset(terms(par))
                text = f"{s.text}\n{par}"
            context = table.near(s) | table.heading(s) | (titles or {}).get(s.doc_id, frozenset())
            words = terms(text)
            out.append(Candidate(s, hit, tokens, text, context, own, frozenset(zip(words, words[1:])),
                                 rank=rank, prior=hit.score / top if top > 0 else 0.0,
                                 body=s.start >= table.body_start.get(s.doc_id, 0),
                                 doc_years=(years or {}).get(s.doc_id, frozenset())))
    return out


@dataclass(frozen=True)
class Need:
    """What a (part of a) question asks the sentence to contain: term weights and focus terms,
    in the question's own terms and, for a Chinese question, in English terms too."""
    weights: dict
    focus: frozenset
    weights_en: dict
    focus_en: frozenset
    ordinals: frozenset = frozenset()      # "8th", "10th": what the part is about, not another one
    years: frozenset = frozenset()         # "2023": likewise
    missing_en: float = 0.0                # the weight of the Chinese terms with no English (an
    missing_focus_en: float = 0.0          # English sentence cannot hold them), and of the focus ones


def need_for(q: Question, part: str, table: SentenceTable) -> Need:
    """IDF weights; a part's own terms count fully and the rest of the question less."""
    english = {t: table.idf(t) * conf for t, conf in q.english}
    if part == q.text:
        weights, focus, own = {t: table.idf(t) for t in q.tokens}, q.focus, set(q.tokens)
    else:
        sub = analyse(part)
        own = set(sub.tokens)
        weights, focus = {t: table.idf(t) * (1.0 if t in own else 0.35) for t in q.tokens}, sub.focus
    missing = [t for t in q.untranslated if t in weights]
    return Need(weights, focus, english, q.english_focus, frozenset(t for t in own if ORDINAL.fullmatch(t)),
                frozenset(t for t in own if YEAR.fullmatch(t)), sum(weights[t] for t in missing),
                sum(weights[t] for t in missing if t in focus))


def repeats(c: Candidate, chosen: list[Candidate]) -> bool:
    """True when c says mostly what a chosen sentence already says (term Jaccard over 0.6)."""
    return any(len(c.own & x.own) > 0.6 * len(c.own | x.own) for x in chosen)
