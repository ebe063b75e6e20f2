"""Assistant.ask(question, history=()) -> Answer: extractive answers with verified citations.

    assistant = Assistant(index, settings)
    answer = assistant.ask("Where was the 2025 forum held?")
    answer.text          # "The 2025 ... were successfully held in Dali, Yunnan. [1]"
    answer.citations[0]  # Citation(label=1, doc_id=..., quote=..., start=..., end=..., chunk_id=...)

The way through, one stage at a time (ask_many runs every stage over a batch):
  question    condense a follow-up into a standalone query (followup.py), analyse it (question.py)
  passages    search (index/store.py, the learned fusion)
  candidates  the sentences of the passages (candidates.py), with their cosines to the question
  scores      the learned model's probability that each holds the answer (features.py, model.py)
  choice      the most probable sentences (choice.py)
  refusal     the learned probability that the documents answer at all (refusal.py)
  Answer      every citation verified (verify.py), or a refusal that says why
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from assistant import refusal
from assistant.candidates import Candidate, Choice, candidates, need_for
from assistant.checks import checks
from assistant.choice import choose
from assistant.features import sentence_features
from assistant.inputs import InputError, check_doc_ids, check_k, clean_history, clean_question
from assistant.lexicon import Lexicon
from assistant.model import load_model, refusal_features, softmax
from assistant.question import Question, analyse, found
from assistant.sentences import SentenceTable, spell_ordinals, terms
from assistant.types import Answer, Citation
from assistant.verify import problems
from index.pinyin import english_names, names_in
from index.types import Hit

SOURCE_IN_ENGLISH = "来源为英文。"
PARTLY_IN_ENGLISH = "部分来源为英文。"
SENTENCE_LEGS = (("multilingual", "sem"), ("dense", "minilm"), ("e5", "e5"))   # leg -> Candidate field


@dataclass
class Prepared:
    question: str               # as typed (cleaned)
    searched: str               # the standalone query searched
    q: Question
    hits: list[Hit]             # the main retrieval, best first
    merged: list[Hit]           # the passages the answer may draw from
    pool: list[Candidate]       # their candidate sentences


@dataclass
class Judged:
    """What the model made of one question: its candidates' features and probabilities, the
    sentences chosen, and the probability that the documents answer it."""
    X: np.ndarray
    logits: np.ndarray
    choices: list[Choice]
    answerable: float
    reason: str                 # the check that names why a refusal refused ("" when none does)
    signals: np.ndarray         # the refusal model's input (assistant/model.REFUSAL)
    scores: dict = dataclasses.field(default_factory=dict)   # (doc_id, start) -> probability / the best's


class Assistant:
    def __init__(self, index, settings, documents=None):
        """documents: the Document list the index was built from (default: the settings' corpus)."""
        if documents is None:
            from corpus import load_corpus
            documents = load_corpus(settings)
        self.index = index
        self.settings = settings
        self.documents = {d.doc_id: d.text for d in documents}
        self.table = SentenceTable(self.documents)
        self.lexicon = Lexicon(self.table)
        self._vectors: dict[str, np.ndarray] = {}       # leg -> vector of every sentence (assistant/vectors.py)
        self._rows: dict[tuple[str, int], int] = {}
        self._titles = {d: frozenset(terms(f'{meta.get("title", "")} {meta.get("date", "")[:4]}'))
                        for d, meta in index.documents.items()}
        self._names = english_names(self.documents.values())       # "baozhipeng" -> {"Bao Zhipeng"}
        self.sources = index.sources                                # which documents a question names
        self._english_docs = {c.doc_id for c in index.chunks} - {c.doc_id for c in index.chunks if "zh" in c.lang}

    @property
    def model(self):
        """The learned answer model (assistant/answer_model.json, or Settings.models_dir's)."""
        folder = self.settings.models_dir
        return load_model(str(folder / "answer_model.json") if folder else None)

    # ---------- public ----------
    def ask(self, question: str, history=(), *, k: int | None = None, doc_ids=None, lang=None) -> Answer:
        return self.ask_many([question], [history], k=k, doc_ids=doc_ids, lang=lang)[0]

    def ask_many(self, questions, histories=None, *, k: int | None = None, doc_ids=None,
                 lang=None) -> list[Answer]:
        """Answer several questions with one retrieval batch (the models are used once per batch)."""
        return [a for a, _ in self.ask_judged(questions, histories, k=k, doc_ids=doc_ids, lang=lang)]

    def ask_judged(self, questions, histories=None, *, k: int | None = None, doc_ids=None,
                   lang=None) -> list[tuple[Answer, Judged | None]]:
        """ask_many's answers, each with the model's reading of its question (the llm answerer's
        relevance scores: Judged.scores)."""
        k = check_k(self.settings.k if k is None else k, self.settings)
        out = []
        for p in self.prepare(questions, histories, k, doc_ids, lang):
            judged = self.judge(p)
            out.append((self._answer(p, k, judged), judged))
        return out

    def prepare(self, questions, histories=None, k: int | None = None, doc_ids=None, lang=None) -> list[Prepared]:
        """Everything before the model: condensed queries, retrieval, candidates with their cosines."""
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
        pools = [candidates(self.table, hits, a, self._titles, self.sources.title_years)
                 for a, hits in zip(analysed, pooled)]
        self._similarities(analysed, pools)
        return [Prepared(*row) for row in zip(questions, searched, analysed, main, pooled, pools)]

    def features(self, p: Prepared) -> tuple[np.ndarray, list[np.ndarray]] | None:
        """The candidates' features for the whole question and for each part of a several-part one
        (None when there is nothing to judge: no candidate, or no content word in the question)."""
        q, pool, context = p.q, p.pool, self.settings.answer_context
        if not pool or not (q.tokens or q.english):
            return None
        X = sentence_features(q, pool, need_for(q, q.text, self.table), context)
        parts = [sentence_features(dataclasses.replace(q, text=part), pool, need_for(q, part, self.table), context)
                 for part in q.parts] if len(q.parts) > 1 else []
        return X, parts

    def judge(self, p: Prepared, model=None, features=None) -> Judged | None:
        """The model's reading of one prepared question: which sentences answer, and how likely it
        is that any does (model: default the Assistant's; features: from features(p))."""
        model = model or self.model
        features = features if features is not None else self.features(p)
        if features is None:
            return None
        X, parts = features
        q, s = p.q, self.settings
        logits = model.logits(X)
        probs = softmax(logits)
        choices = choose(p.pool, probs, [softmax(model.logits(x)) for x in parts], q, self.table,
                         coverage=model.coverage, max_sentences=s.answer_max_sentences, max_chars=s.answer_max_chars)
        scores, best = {}, float(probs.max())
        for c, prob in zip(p.pool, probs.tolist()):
            c.scores = {"p": round(prob, 4)}
            key = (c.sentence.doc_id, c.sentence.start)
            scores[key] = max(scores.get(key, 0.0), prob / best if best > 0 else 0.0)
        around: set[str] = set()
        for c in choices:
            around |= set(c.candidate.tokens) | set(c.candidate.context) | set(terms(c.candidate.hit.chunk.text))
        typed = any(found(kind, c.candidate.text, q, strict=False) for c in choices for kind in q.wants[:1])
        at = {id(c): i for i, c in enumerate(p.pool)}
        checked = checks(q, [c.candidate.text for c in choices], [c.candidate.own for c in choices])
        r = refusal_features(q, X, logits, choices, [at[id(c.candidate)] for c in choices], p.hits, around,
                             self.table.idf, typed, checked)
        return Judged(X, logits, choices, model.answerable(r), refusal.reason(q, r, typed), r, scores)

    # ---------- steps ----------
    def _answer(self, p: Prepared, k: int, judged: Judged | None) -> Answer:
        q = p.q
        base = dict(question=p.question, hits=tuple(p.hits[:k]), searched_for=p.searched, lang=q.lang)
        if judged is None or judged.answerable < self.model.threshold:
            why = refusal.why(judged.reason, q.lang) if judged else ""
            return Answer(text=refusal.message(q.lang), citations=(), refused=True,
                          notes=(why,) if why else (), **base)
        citations, pieces = self._cite(judged.choices, q, p.merged)
        if not citations:
            return Answer(text=refusal.message(q.lang), citations=(), refused=True, **base)
        notes = self._notes(q, citations)
        text = " ".join(pieces)
        if notes:
            text = f"{notes[0]} {text}"
        return Answer(text=text, citations=tuple(citations), refused=False, notes=notes, **base)

    def _check_filters(self, doc_ids, lang) -> None:
        if lang not in (None, "en", "zh"):
            raise InputError(f"lang must be 'en' or 'zh' (got {lang!r})")
        if doc_ids is not None:
            if isinstance(doc_ids, str) or not all(isinstance(d, str) for d in doc_ids):
                raise InputError("doc_ids must be a list of document ids")
            check_doc_ids(doc_ids, self.index.documents)

    def _retrieve(self, searched, analysed, n, doc_ids, lang):
        """Main hits per question, and the merged passages its answer may draw from: the main hits,
        the hits of each part of a several-part question, and the best passages of the documents
        the question names."""
        from index.store import fusion_for
        s = self.settings
        kw = dict(weights=fusion_for(s), lang=lang, candidates=s.candidates)
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
            found_ = self.index.search_many([spell_ordinals(searched[i]) for i in members], s.answer_part_k,
                                            doc_ids=named, **kw)
            for i, hits in zip(members, found_):
                extra[i].append(hits)
        main = results[:len(searched)]
        return main, [_merge(m[:s.answer_k], e) for m, e in zip(main, extra)]

    @staticmethod
    def _analyse(question: str, searched: str) -> Question:
        """The searched query's terms, with the language and answer type of what the user typed."""
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
        """A Chinese question's terms in English (to score the sentences of English documents): the
        lexicon learned from the corpus's own bilingual lines, the English names its characters
        spell in pinyin, and for a word the learned lexicon lacks, CC-CEDICT's (trusted less:
        Settings.answer_dictionary_confidence)."""
        if q.lang != "zh":
            return q
        english = self.lexicon.translate(q.tokens)
        focus = set(self.lexicon.translate(q.focus))
        named = names_in(q.text, self._names)
        for names in named.values():
            english.update({w: 1.0 for name in names for w in terms(name)})
        confidence = self.settings.answer_dictionary_confidence
        dictionary = getattr(getattr(self.index, "lexicon", None), "dictionary", None) or {}
        untranslated = tuple(t for t in q.tokens if not t.isascii() and t not in self.lexicon.entries
                             and not (confidence > 0 and t in dictionary) and not any(t in run for run in named))
        for t in q.tokens:
            if confidence > 0 and not t.isascii() and t not in self.lexicon.entries and t in dictionary:
                words = {e for w in dictionary[t] for e in terms(w)}
                english.update({e: confidence for e in words if e not in english})
                if t in q.focus:
                    focus |= words
        return dataclasses.replace(q, english=tuple(english.items()), english_focus=frozenset(focus),
                                   untranslated=untranslated)

    def embed_sentences(self, reuse: dict | None = None) -> int:
        """Embed every corpus sentence with each sentence model (USE, MiniLM, e5) now, into the
        index's answer cache, so the first question does not wait for it; reuse: vectors of an
        earlier cache (assistant.vectors.read_vectors). Returns the number of sentences."""
        for leg, _ in SENTENCE_LEGS:
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
        """Cosines between each question and its candidate sentences: USE and e5 for every
        question, MiniLM for English ones."""
        from index.embedder import encode_queries
        dense = getattr(self.index, "dense", {})
        for leg, attr in SENTENCE_LEGS:
            members = [i for i, q in enumerate(analysed) if pools[i] and (leg != "dense" or q.lang == "en")]
            if leg not in dense or not members:
                continue
            vectors = self._sentence_vectors(leg)
            qvecs = encode_queries(dense[leg][0], [analysed[i].text for i in members])
            for qv, i in zip(qvecs, members):
                rows = [self._rows[(c.sentence.doc_id, c.sentence.start)] for c in pools[i]]
                for c, sim in zip(pools[i], (vectors[rows] @ qv).tolist()):
                    setattr(c, attr, float(sim))

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
                        max(choice.candidate.sem, choice.candidate.e5), self.settings.cite_min_similarity):
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
