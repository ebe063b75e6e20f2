"""Extractive answering: score the sentences of the retrieved passages and pick the few that answer.

A candidate is one sentence of a retrieved chunk (for a Chinese question, a Chinese sentence of the
bilingual document stands with its aligned English translation). Its features:
  focus    share of the question's focus words (what is asked: "theme", "chaired", 主办) it contains
  lex      IDF-weighted share of the question's terms it contains; a term found only in the
           sentences around it, in the heading or byline of its section (SentenceTable.heading) or in
           its document's title counts Settings.answer_context of its weight
  sem      multilingual (USE) cosine between question and sentence
  minilm   MiniLM cosine between an English question and the sentence (0 for a Chinese question)
  prior    the fused retrieval score of its passage, relative to the best passage
  type     it holds a new entity of the expected answer type (a number for "how many" ...)
  novelty  share of its terms that the question does not already say (a heading scores 0)
  zh       a Chinese sentence for a Chinese question
  source   it belongs to the body of a document the question names ("according to the Belt and
           Road Portal"), not to the title, breadcrumbs and date line before the first statement
  clash    it names another ordinal than the one asked ("the 8th meeting" for "the 10th"), only
           other years (2025 for a question on 2023; a sentence that names no year has its
           document title's: "Top 10 News of Lancang-Mekong Cooperation in 2025"), or only
           other Mekong countries than the ones asked (中泰贸易 for a question on 中缅贸易)
A Chinese question is matched against English sentences through its English terms (lexicon.py,
glossary.py). Each part of a several-part question gets its best sentence; then further sentences
are added while they cover question weight not yet covered. Long sentences are cut to their best
clauses, verbatim. When the best sentence mostly restates the question, the next sentence of its
paragraph joins the answer (follow_on, after the refusal check). The weights (Settings.answer_weights) were chosen on the dev split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.question import Question, analyse, found, unit_missing
from assistant.sentences import Sentence, SentenceTable, terms
from index.types import Hit

CLAUSE_END = re.compile(r"[，；：、]|[,;:](?!\d)")
ORDINAL = re.compile(r"(?:[2-9]|\d\d+)th")        # "the 8th meeting" is not about "the 10th meeting"
YEAR = re.compile(r"(?:19|20)\d\d")               # nor "a 2025 event" about "the 2023 one"
LIST_END = re.compile(r"\s*(?:and|or|as well as|以及|和)\b")


# the five Mekong countries, as English names and adjectives, Chinese names, 中X pairs and list items (柬、老、缅)
COUNTRIES = {"cambodia": "Cambodia|Cambodian|柬埔寨|中柬|柬(?=[、，,])", "laos": "Laos|Lao(?! Cai)|老挝|中老|(?<=、)老(?=[、，,])",
             "myanmar": "Myanmar|缅甸|中缅|(?<=、)缅(?=[、，,])", "thailand": "Thailand|Thai|泰国|中泰|(?<=、)泰(?=[、，,])",
             "vietnam": "Vietnam|Viet Nam|Vietnamese|越南|中越|(?<=、)越(?=[、，,六])"}
COUNTRY = {k: re.compile(r"(?<![A-Za-z])(?:" + v + r")(?![a-z])") for k, v in COUNTRIES.items()}


def countries(text: str) -> frozenset[str]:
    """The Mekong countries a text names (English or Chinese)."""
    return frozenset(k for k, rx in COUNTRY.items() if rx.search(text))


@dataclass
class Candidate:
    sentence: Sentence
    hit: Hit
    tokens: frozenset[str]
    text: str                         # sentence text plus its aligned translation (what is matched)
    context: frozenset[str] = frozenset()   # tokens of its passage and its document's title
    own: frozenset[str] = frozenset()       # tokens of the sentence alone (no translation)
    sem: float = 0.0
    minilm: float = 0.0
    prior: float = 0.0
    body: bool = True                       # after its document's first statement (SentenceTable.body_start)
    doc_years: frozenset = frozenset()      # the years its document's title names ("Top 10 News ... 2023")
    scores: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    candidate: Candidate
    start: int                         # the quoted span (a whole sentence or its best clauses)
    end: int
    score: float


def candidates(table: SentenceTable, hits: list[Hit], q: Question, titles: dict | None = None,
               years: dict | None = None) -> list[Candidate]:
    """The sentences of the hits' passages (Chinese ones for a Chinese question where there are any).
    titles: doc_id -> tokens of its title and date; years: doc_id -> the years its title names."""
    out, seen = [], set()
    top = max((h.score for h in hits), default=0.0) or 1.0
    for hit in hits:
        c = hit.chunk
        for s in table.within(c.doc_id, c.start, c.end):
            if s.lang == "zh" and q.lang == "en":
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
            out.append(Candidate(s, hit, tokens, text, context, own, prior=hit.score / top,
                                 body=s.start >= table.body_start.get(s.doc_id, 0),
                                 doc_years=(years or {}).get(s.doc_id, frozenset())))
    return out


@dataclass(frozen=True)
class Need:
    """What a (part of a) question asks the sentence to contain: token weights and focus tokens,
    in the question's own terms and, for a Chinese question, in English terms too."""
    weights: dict
    focus: frozenset
    weights_en: dict
    focus_en: frozenset
    ordinals: frozenset = frozenset()      # "8th", "10th": what the part is about, not another one
    years: frozenset = frozenset()         # "2023": likewise


def weights_for(q: Question, part: str, table: SentenceTable) -> Need:
    """IDF weights; a part's own tokens count fully and the rest of the question less."""
    english = {t: table.idf(t) * conf for t, conf in q.english}
    if part == q.text:
        ordinals = frozenset(t for t in q.tokens if ORDINAL.fullmatch(t))
        return Need({t: table.idf(t) for t in q.tokens}, q.focus, english, q.english_focus, ordinals,
                    frozenset(t for t in q.tokens if YEAR.fullmatch(t)))
    sub = analyse(part)
    own = set(sub.tokens)
    return Need({t: table.idf(t) * (1.0 if t in own else 0.35) for t in q.tokens}, sub.focus, english,
                q.english_focus, frozenset(t for t in own if ORDINAL.fullmatch(t)),
                frozenset(t for t in own if YEAR.fullmatch(t)))


def features(c: Candidate, q: Question, wants: tuple[str, ...], need: Need, context: float,
             part: Question | None = None, sources: frozenset[str] | None = None) -> dict[str, float]:
    """part: the sub-question a several-part question's row is scored for (else the question);
    sources: the documents it names (default: the question's)."""
    if q.lang == "zh" and c.sentence.lang == "en" and need.weights_en:
        weights, focus = need.weights_en, need.focus_en
    else:
        weights, focus = need.weights, need.focus
    total = sum(weights.values()) or 1.0
    lex = sum(v if t in c.tokens else context * v for t, v in weights.items()
              if t in c.tokens or t in c.context) / total
    fw = {t: v for t, v in weights.items() if t in focus}
    if fw:
        foc = sum(v for t, v in fw.items() if t in c.tokens) / sum(fw.values())
    else:
        foc = sum(v for t, v in weights.items() if t in c.tokens) / total
    typed = 1.0 if wants and any(found(kind, c.text, q) for kind in wants[:2]) else 0.0
    if typed and unit_missing(part or q, [c.text]):
        typed = 0.0                                        # "多远?" wants kilometres, not "the 160th"
    novelty = len(c.own - set(weights)) / len(c.own) if c.own else 0.0
    zh = 1.0 if q.lang == "zh" and c.sentence.lang == "zh" else 0.0
    said = {t for t in c.tokens if ORDINAL.fullmatch(t)}
    clash = 1.0 if need.ordinals and said and not need.ordinals & said else 0.0
    years = {t for t in c.tokens if YEAR.fullmatch(t)} or c.doc_years     # else its document's (title) years
    if need.years and years and not need.years & years:
        clash = 1.0
    asked = countries(q.text)
    if asked and not clash:
        named = countries(c.text)
        clash = 1.0 if named and not asked & named else 0.0
    source = 1.0 if c.body and c.sentence.doc_id in (q.sources if sources is None else sources) else 0.0
    return {"focus": foc, "lex": lex, "sem": c.sem, "prior": c.prior, "type": typed, "novelty": novelty,
            "zh": zh, "clash": clash, "minilm": c.minilm, "source": source}


@dataclass
class Scored:
    """Feature rows of every candidate: one list per part of the question, and one for the whole."""
    parts: list[list[dict]]
    whole: list[dict]
    need: Need


def score_table(cands: list[Candidate], q: Question, table: SentenceTable, context: float) -> Scored:
    parts = []
    for i, part in enumerate(q.parts):
        sub = analyse(part)
        wants = sub.wants or q.wants
        need = weights_for(q, part, table)
        named = q.part_sources[i] if i < len(q.part_sources) else q.sources
        parts.append([features(c, q, wants, need, context, sub, named) for c in cands])
    need = weights_for(q, q.text, table)
    whole = parts[0] if len(q.parts) == 1 else [features(c, q, q.wants, need, context) for c in cands]
    return Scored(parts, whole, need)


def select(cands: list[Candidate], q: Question, table: SentenceTable, w) -> list[Choice]:
    """The sentences that answer: the best for each part, then those that cover what is left."""
    if not cands:
        return []
    return choose(cands, score_table(cands, q, table, w.context), q, table, w)


def _value(f: dict, w) -> float:
    return sum(w.weights[k] * v for k, v in f.items())


def choose(cands: list[Candidate], scored: Scored, q: Question, table: SentenceTable, w) -> list[Choice]:
    per_part = w.per_part if len(scored.parts) > 1 else 1
    chosen: dict[int, float] = {}
    for rows in scored.parts:
        ranked = sorted(((_value(f, w), i) for i, f in enumerate(rows)), reverse=True)
        taken = 0
        for value, i in ranked:
            if taken >= per_part or (taken and value < w.keep_ratio * ranked[0][0]):
                break
            if i not in chosen and not (taken and _repeats(cands[i], [cands[j] for j in chosen])):
                chosen[i] = value
                taken += 1
    first = max(chosen.values())
    covered = set().union(*(cands[i].tokens for i in chosen))
    budget = w.max_chars * (2 if len(q.parts) > 1 else 1)
    length = sum(len(cands[i].sentence.text) for i in chosen)
    for value, i in sorted(((_value(f, w), i) for i, f in enumerate(scored.whole)), reverse=True):
        c = cands[i]
        if len(chosen) >= w.max_sentences or value < w.keep_ratio * first:
            break
        if i in chosen or length + len(c.sentence.text) > budget or _repeats(c, [cands[j] for j in chosen]):
            continue
        weights = scored.need.weights_en if q.lang == "zh" and c.sentence.lang == "en" else scored.need.weights
        gain = sum(v for t, v in weights.items() if t in c.tokens and t not in covered) / (sum(weights.values()) or 1)
        if gain >= w.min_gain:
            chosen[i] = value
            covered |= c.tokens
            length += len(c.sentence.text)
    for i, f in enumerate(scored.whole):
        cands[i].scores = {k: round(v, 3) for k, v in f.items()}
    out, used = [], 0
    for i, v in chosen.items():            # in order of choice: the first sentences are cut the least
        c = trim(cands[i], q, v, max(w.min_clause_chars, budget - used), table)
        used += c.end - c.start
        out.append(c)
    return out


def follow_on(cands: list[Candidate], choices: list[Choice], q: Question, table: SentenceTable, w) -> list[Choice]:
    """When the best sentence mostly restates the question (novelty below w.restated: "the railway
    runs dedicated trains for agricultural products" for "which goods ... now that the railway runs
    dedicated trains for agricultural products?"), the answer is often the next sentence of its line
    ("Exports of beef, durians and bananas have risen sharply."): the choices with that one added.
    Called after the refusal check, which judges the chosen sentences alone."""
    if not choices or len(choices) >= w.max_sentences:
        return choices
    first = choices[0].candidate
    if first.scores.get("novelty", 1.0) >= w.restated:
        return choices
    s = first.sentence
    following = [c for c in cands if c.sentence.doc_id == s.doc_id and c.sentence.line == s.line
                 and c.sentence.start >= s.end]
    if not following:
        return choices
    nxt = min(following, key=lambda c: c.sentence.start)
    budget = w.max_chars * (2 if len(q.parts) > 1 else 1)
    if any(c.candidate is nxt for c in choices) or sum(c.end - c.start for c in choices) + len(nxt.sentence.text) > budget:
        return choices
    return choices + [Choice(nxt, nxt.sentence.start, nxt.sentence.end, 0.0)]


def _repeats(c: Candidate, chosen: list[Candidate]) -> bool:
    """True when c says mostly what a chosen sentence already says (token Jaccard over 0.6)."""
    return any(len(c.own & x.own) > 0.6 * len(c.own | x.own) for x in chosen)


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
    one with most focus tokens, then with an entity of the expected type, then the most question
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
