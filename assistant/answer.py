"""Assistant.ask(question, history=()) -> Answer: extractive answers with verified citations.

    assistant = Assistant(index, settings)
    answer = assistant.ask("Where was the 2025 forum held?")
    answer.text          # "The 2025 ... were successfully held in Dali, Yunnan. [1]"
    answer.citations[0]  # Citation(label=1, doc_id=..., quote=..., start=..., end=..., chunk_id=...)

Steps: condense a follow-up into a standalone query (followup.py); retrieve passages (one batch for
ask_many); score their sentences and pick the few that answer (extract.py); refuse when the signals
say nothing supports an answer (refusal.py); verify every citation and drop any that fails (verify.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from assistant import refusal
from assistant.extract import Choice, candidates, follow_on, select
from assistant.glossary import glossary_terms
from assistant.lexicon import Lexicon
from assistant.inputs import InputError, check_doc_ids, check_k, clean_history, clean_question
from assistant.question import Question, analyse, counted_zh
from assistant.sentences import SentenceTable, spell_ordinals, terms
from assistant.types import Answer, Citation
from assistant.verify import problems
from index.pinyin import english_names, names_in
from index.types import Hit

SOURCE_IN_ENGLISH = "来源为英文。"
PARTLY_IN_ENGLISH = "部分来源为英文。"


FEATURES = ("focus", "lex", "sem", "prior", "type", "novelty", "zh", "clash", "minilm", "source")


@dataclass(frozen=True)
class Tuning:
    """The extraction knobs, read from Settings (see Settings.answer_*)."""
    weights: dict
    context: float
    min_gain: float
    keep_ratio: float
    max_sentences: int
    max_chars: int
    min_clause_chars: int = 120
    per_part: int = 2
    restated: float = 0.0                  # see extract.follow_on (0: off)

    @classmethod
    def from_settings(cls, s) -> "Tuning":
        if len(s.answer_weights) != len(FEATURES):
            raise ValueError(f"Settings.answer_weights needs {len(FEATURES)} numbers: {', '.join(FEATURES)}")
        return cls(dict(zip(FEATURES, s.answer_weights)), s.answer_context, s.answer_min_gain,
                   s.answer_keep_ratio, s.answer_max_sentences, s.answer_max_chars,
                   per_part=s.answer_per_part, restated=s.answer_restated)


@dataclass
class Prepared:
    question: str               # as typed (cleaned)
    searched: str               # the standalone query searched
    q: Question
    hits: list[Hit]             # the main retrieval, best first
    merged: list[Hit]           # the passages the answer may draw from
    pool: list                  # their candidate sentences (extract.Candidate)


class Assistant:
    def __init__(self, index, settings, documents=None):
        """documents: the Document list the index was built from (default: load settings.corpus_dir)."""
        if documents is None:
            from corpus import load_documents
            documents = load_documents(settings.corpus_dir, max_bytes=settings.max_document_bytes)
        self.index = index
        self.settings = settings
        self.documents = {d.doc_id: d.text for d in documents}
        self.table = SentenceTable(self.documents)
        self.lexicon = Lexicon(self.table)
        self.tuning = Tuning.from_settings(settings)
        self._vectors: dict[str, np.ndarray] = {}       # leg -> vector of every sentence (assistant/vectors.py)
        self._rows: dict[tuple[str, int], int] = {}
        self._titles = {d: frozenset(terms(f'{meta.get("title", "")} {meta.get("date", "")[:4]}'))
                        for d, meta in index.documents.items()}
        self._names = english_names(self.documents.values())       # "baozhipeng" -> {"Bao Zhipeng"}
        self.sources = index.sources                                # which documents a question names
        self._english_docs = {c.doc_id for c in index.chunks} - {c.doc_id for c in index.chunks if "zh" in c.lang}
        self.last_signals: list[refusal.Signals | None] = []

    # ---------- public ----------
    def ask(self, question: str, history=(), *, k: int | None = None, doc_ids=None, lang=None) -> Answer:
        return self.ask_many([question], [history], k=k, doc_ids=doc_ids, lang=lang)[0]

    def ask_many(self, questions, histories=None, *, k: int | None = None, doc_ids=None,
                 lang=None) -> list[Answer]:
        """Answer several questions with one retrieval batch (the models are used once per batch)."""
        k = check_k(self.settings.k if k is None else k, self.settings)
        self.last_signals = []
        return [self._answer(p, k) for p in self.prepare(questions, histories, k, doc_ids, lang)]

    def prepare(self, questions, histories=None, k: int | None = None, doc_ids=None, lang=None) -> list[Prepared]:
        """Everything before choosing sentences: condensed queries, retrieval, scored-ready candidates."""
        from assistant.followup import condense
        k = self.settings.k if k is None else k
        questions = [clean_question(q, self.settings) for q in questions]
        histories = list(histories) if histories is not None else [()] * len(questions)
        if len(histories) != len(questions):
            raise InputError(f"{len(questions)} questions but {len(histories)} histories")
        histories = [clean_history(h, self.settings) for h in histories]
        self._check_filters(doc_ids, lang)
        searched = [condense(q, h) for q, h in zip(questions, histories)]
        analysed = [self._translate(self._named(self._analyse(q, s))) for q, s in zip(questions, searched)]
        main, pooled = self._retrieve(searched, analysed, max(k, self.settings.answer_k), doc_ids, lang)
        pools = [candidates(self.table, hits, a, self._titles, self.sources.title_years) for a, hits in zip(analysed, pooled)]
        self._similarities(analysed, pools)
        return [Prepared(*row) for row in zip(questions, searched, analysed, main, pooled, pools)]

    def _check_filters(self, doc_ids, lang) -> None:
        if lang not in (None, "en", "zh"):
            raise InputError(f"lang must be 'en' or 'zh' (got {lang!r})")
        if doc_ids is not None:
            if isinstance(doc_ids, str) or not all(isinstance(d, str) for d in doc_ids):
                raise InputError("doc_ids must be a list of document ids")
            check_doc_ids(doc_ids, self.index.documents)

    def _retrieve(self, searched, analysed, n, doc_ids, lang):
        """Main hits per question, and the merged passages its answer may draw from: the main hits,
        the hits of each part of a several-part question, the best passages of the documents the
        question names, and for a Chinese question the best passages of the English-only documents
        (which hold answers the bilingual one lacks)."""
        from index.store import language_weights
        s = self.settings
        kw = dict(weights=language_weights(s), lang=lang, candidates=s.candidates)
        wanted = set(doc_ids) if doc_ids else None
        queries, owner = list(searched), list(range(len(searched)))
        for i, a in enumerate(analysed):
            if len(a.parts) > 1:
                queries.extend(a.parts)
                owner.extend([i] * len(a.parts))
        results = self.index.search_many([spell_ordinals(q) for q in queries], n, doc_ids=wanted, **kw)
        extra: list[list[list[Hit]]] = [[] for _ in searched]
        for i, hits in zip(owner[len(searched):], results[len(searched):]):
            extra[i].append(hits[:s.answer_part_k])
        by_source: dict[frozenset, list[int]] = {}
        for i, a in enumerate(analysed):
            named = a.sources & wanted if wanted else a.sources
            if named:
                by_source.setdefault(named, []).append(i)
        for named, members in by_source.items():
            found = self.index.search_many([spell_ordinals(searched[i]) for i in members], s.answer_part_k,
                                           doc_ids=named, **kw)
            for i, hits in zip(members, found):
                extra[i].append(hits)
        zh = [i for i, a in enumerate(analysed) if a.lang == "zh"]
        english = self._english_docs & wanted if wanted else self._english_docs
        if zh and english:
            found = self.index.search_many([searched[i] for i in zh], s.answer_part_k, doc_ids=english, **kw)
            for i, hits in zip(zh, found):
                extra[i].append(hits)
        main = results[:len(searched)]
        return main, [_merge(m[:s.answer_k], e) for m, e in zip(main, extra)]

    # ---------- steps ----------
    @staticmethod
    def _analyse(question: str, searched: str) -> Question:
        """The searched query's tokens, with the language and answer type of what the user typed."""
        a = analyse(searched)
        if searched == question:
            return a
        own = analyse(question)
        return dataclasses.replace(a, lang=own.lang, wants=own.wants or a.wants)

    def _named(self, q: Question) -> Question:
        """With the documents the question names (index/sources.py)."""
        whole, parts = self.sources.asked(q.text, q.parts)
        return dataclasses.replace(q, sources=whole, part_sources=parts)

    def _translate(self, q: Question) -> Question:
        """A Chinese question's terms in English (for scoring sentences of English documents): the
        learned lexicon's, the glossary's for its entries found in the question, the English names
        its characters spell in pinyin, and for a word the learned lexicon lacks, CC-CEDICT's (at
        Settings.answer_dictionary_confidence: 通关 is learned, 相互 -> mutual is not)."""
        if q.lang != "zh":
            return q
        english = self.lexicon.translate(q.tokens)
        focus = set(self.lexicon.translate(q.focus))
        for zh, words in glossary_terms(q.text, terms).items():
            english.update({w: 1.0 for w in words})
            if set(terms(zh)) & q.focus:
                focus |= words
        for names in names_in(q.text, self._names).values():
            english.update({w: 1.0 for name in names for w in terms(name)})
        confidence = self.settings.answer_dictionary_confidence
        dictionary = getattr(getattr(self.index, "lexicon", None), "dictionary", None) or {}
        for t in q.tokens:                 # words the learned lexicon lacks: CC-CEDICT's, trusted less
            if confidence > 0 and not t.isascii() and t not in self.lexicon.entries and t in dictionary:
                english.update({e: confidence for w in dictionary[t] for e in terms(w) if e not in english})
        return dataclasses.replace(q, english=tuple(english.items()), english_focus=frozenset(focus))

    def embed_sentences(self, reuse: dict | None = None) -> int:
        """Embed every corpus sentence with each sentence model (USE, MiniLM) now, into the index's
        answer cache, so the first question does not wait for it; reuse: vectors of an earlier
        cache (assistant.vectors.read_vectors). Returns the number of sentences."""
        for leg in ("multilingual", "dense"):
            if leg in getattr(self.index, "dense", {}):
                self._sentence_vectors(leg, reuse)
        return self.table.n

    def _sentence_vectors(self, leg: str, reuse: dict | None = None) -> np.ndarray:
        if leg not in self._vectors:
            from assistant.vectors import cache_dir, sentence_vectors
            sents = [s for group in self.table.by_doc.values() for s in group]
            self._rows = {(s.doc_id, s.start): i for i, s in enumerate(sents)}
            folder = cache_dir(self.settings.index_dir) if self.settings.index_dir else None
            self._vectors[leg] = sentence_vectors([s.text for s in sents], self.index.dense[leg][0], folder, reuse)
        return self._vectors[leg]

    def _similarities(self, analysed: list[Question], pools) -> None:
        """Cosines between each question and its candidate sentences: USE for every question
        (Candidate.sem), and MiniLM for English ones (Candidate.minilm)."""
        dense = getattr(self.index, "dense", {})
        wanted = [("multilingual", "sem", [i for i in range(len(analysed)) if pools[i]]),
                  ("dense", "minilm", [i for i, q in enumerate(analysed) if pools[i] and q.lang == "en"])]
        for leg, attr, members in wanted:
            if leg not in dense or not members:
                continue
            vectors = self._sentence_vectors(leg)
            qvecs = dense[leg][0].encode([analysed[i].text for i in members])
            for qv, i in zip(qvecs, members):
                rows = [self._rows[(c.sentence.doc_id, c.sentence.start)] for c in pools[i]]
                for c, sim in zip(pools[i], (vectors[rows] @ qv).tolist()):
                    setattr(c, attr, float(sim))

    def _answer(self, p: Prepared, k: int, tuning: Tuning | None = None) -> Answer:
        question, searched, q, hits, merged = p.question, p.searched, p.q, p.hits, p.merged
        tuning = tuning or self.tuning
        choices, signals = self.choose(p, tuning)
        self.last_signals.append(signals)
        base = dict(question=question, hits=tuple(hits[:k]), searched_for=searched, lang=q.lang)
        if signals is None or refusal.should_refuse(signals, self.settings):
            why = refusal.why(signals, q.lang, self.settings) if signals else ""
            return Answer(text=refusal.message(q.lang), citations=(), refused=True,
                          notes=(why,) if why else (), **base)
        citations, pieces = self._cite(follow_on(p.pool, choices, q, self.table, tuning), q, merged)
        if not citations:
            return Answer(text=refusal.message(q.lang), citations=(), refused=True, **base)
        notes = self._notes(q, citations)
        text = " ".join(pieces)
        if notes:
            text = f"{notes[0]} {text}"
        return Answer(text=text, citations=tuple(citations), refused=False, notes=notes, **base)

    def choose(self, p: Prepared, tuning: Tuning | None = None) -> tuple[list[Choice], refusal.Signals | None]:
        """The sentences chosen to answer, and the refusal signals over them (None when there is
        nothing to judge: no sentence, no passage, or no content word in the question)."""
        q = p.q
        choices = select(p.pool, q, self.table, tuning or self.tuning)
        signals = self._signals(q, choices, p.hits) if choices and p.hits and (q.tokens or q.english) else None
        return choices, signals

    def _signals(self, q: Question, choices: list[Choice], hits: list[Hit]) -> refusal.Signals | None:
        near = [self.table.near(c.candidate.sentence, 6) | set(terms(c.candidate.hit.chunk.text)) for c in choices]
        return refusal.measure(q, choices, hits, near, self._counted_english(q))

    def _counted_english(self, q: Question) -> frozenset[str]:
        """What a Chinese "多少X" question counts, in English terms: the head noun of X (its last word of
        two or more characters in CC-CEDICT, else its last two characters) through the index's lexicon
        (learned + CC-CEDICT) and the answer lexicon. 多少家中小微企业获得了 -> 企业 -> firm, enterprise."""
        phrase = counted_zh(q) if q.lang == "zh" else ""
        if len(phrase) < 2:
            return frozenset()
        lexicon = getattr(self.index, "lexicon", None)
        if lexicon is None:
            return frozenset()
        from index.translate import segment
        words = [w for w in segment(phrase, lexicon.dictionary) if len(w) > 1]
        head = words[-1] if words else phrase[-2:]
        return frozenset(terms(lexicon.translate(head))) | frozenset(self.lexicon.translate(terms(head)))

    def _cite(self, choices: list[Choice], q: Question, hits: list[Hit]) -> tuple[list[Citation], list[str]]:
        """Citations that pass verification, numbered 1..n, and the answer sentences that carry them."""
        citations, pieces = [], []
        for choice in choices:
            s = choice.candidate.sentence
            quote = self.documents[s.doc_id][choice.start:choice.end]
            piece = ("…" if choice.start > s.start else "") + quote + ("…" if choice.end < s.end else "")
            par = s.parallel or (-1, -1)
            citation = Citation(label=len(citations) + 1, doc_id=s.doc_id, quote=quote, start=choice.start,
                                end=choice.end, chunk_id=choice.candidate.hit.chunk.chunk_id, lang=s.lang,
                                parallel_quote=self.table.parallel_text(s), parallel_start=par[0],
                                parallel_end=par[1])
            if problems(citation, piece, self.documents, hits, set(q.tokens) | {t for t, _ in q.english},
                        choice.candidate.sem,
                        self.settings.cite_min_similarity):
                continue
            citations.append(citation)
            pieces.append(f"{piece} [{citation.label}]")
        return citations, pieces

    @staticmethod
    def _notes(q: Question, citations: list[Citation]) -> tuple[str, ...]:
        if q.lang != "zh":
            return ()
        english = sum(c.lang == "en" for c in citations)
        if english == len(citations):
            return (SOURCE_IN_ENGLISH,)
        return (PARTLY_IN_ENGLISH,) if english else ()


def _merge(first: list[Hit], more: list[list[Hit]]) -> list[Hit]:
    """first, then the others' hits, each chunk once."""
    out, seen = [], set()
    for hits in [first] + more:
        for h in hits:
            if h.chunk.chunk_id not in seen:
                seen.add(h.chunk.chunk_id)
                out.append(h)
    return out
