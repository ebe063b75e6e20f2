"""The `llm` answerer: a model writes the answer, and only the sentences that pass the check are shown.

    llm = LLMAssistant(Assistant(index, settings), settings)
    answer = llm.ask("Where was the 2025 forum held?")          # an Answer, as the extractive one gives
    for piece in llm.stream(question): ...                       # the model's text, then the final Answer

Steps: the extractive answer first (it condenses a follow-up, retrieves, and is the fallback, ready);
when it refuses, the refusal stands and the model is not asked. Otherwise the sentences of its cited
passages and of the top retrieved passages are numbered (grounding.number_sentences), the model is
asked (llm.stream_chat), and each sentence of its reply is checked against the sentences it cites
(support.Checker). A sentence that fails is dropped and counted. When none survives, when the model
says the passages do not answer, or when the server fails in any way, the extractive answer is shown
with a one-line note saying why.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.grounding import UNANSWERED, Claim, Unit, number_sentences, parse, prompt, unit
from assistant.support import Checker, kind_of, lowercase_words
from assistant.llm import Endpoint, LLMFailure, stream_chat
from assistant.types import Answer, Citation

SUFFIX = {"en": " so the extractive step answered.", "zh": "因此由摘录步骤作答。"}
WHY = {
    "config": ("The model server is not set up (see LMC_LLM_URL),", "模型服务器未正确设置(见LMC_LLM_URL)，"),
    "down": ("The model server could not be reached,", "无法连接模型服务器，"),
    "status": ("The model server answered with an error (HTTP {status}),", "模型服务器返回错误(HTTP {status})，"),
    "busy": ("The model server is busy (HTTP 429, too many requests),", "模型服务器繁忙(HTTP 429)，"),
    "timeout": ("The model did not finish within {timeout:g} s,", "模型未在{timeout:g}秒内完成回答，"),
    "cut": ("The model's answer stopped midway,", "模型的回答中途中断，"),
    "malformed": ("The model server's reply could not be read,", "无法读取模型服务器的回复，"),
    "empty": ("The model returned an empty answer,", "模型返回了空回答，"),
    "unverified": ("No sentence of the model's answer is supported by the sentences it cites,",
                   "模型回答中没有一句得到其所引句子的支持，"),
    "unanswered": ("The model found no answer in the passages,", "模型认为段落中没有答案，"),
}
DROPPED = ("{dropped} of the model's {total} sentences were left out: the sentences they cite do not support them.",
           "模型所写的{total}句中有{dropped}句未被采用：其所引句子不支持它们。")
SOURCE_IN_ENGLISH = ("来源为英文。", "部分来源为英文。")


def fallback_note(kind: str, lang: str, **values) -> str:
    """The one-line note shown with the extractive answer when the model's answer is not used."""
    i = 1 if lang == "zh" else 0
    return WHY[kind][i].format(**values) + SUFFIX["zh" if i else "en"]


@dataclass
class Stats:
    """What the llm answerer did, summed over the questions it was given (lmc eval reports it)."""
    questions: int = 0
    asked: int = 0                  # the model was asked (the extractive step had not refused)
    answered: int = 0               # answers made of verified model sentences
    sentences: int = 0              # sentences the model wrote
    dropped: int = 0                # ... that failed the check
    recheck_failures: int = 0       # finished answers whose re-reading failed (a bug caught; not shown)
    fallbacks: Counter = field(default_factory=Counter)       # why the extractive answer was shown instead
    drop_reasons: Counter = field(default_factory=Counter)
    model_seconds: float = 0.0

    def as_dict(self) -> dict:
        share = (lambda a, b: round(a / b, 4) if b else None)
        return {"questions": self.questions, "asked": self.asked, "answered_by_model": self.answered,
                "model_sentences": self.sentences, "dropped_sentences": self.dropped,
                "dropped_share": share(self.dropped, self.sentences),
                "fallbacks": sum(self.fallbacks.values()), "fallbacks_by_reason": dict(self.fallbacks),
                "recheck_failures": self.recheck_failures,
                "drop_reasons": dict(self.drop_reasons.most_common()),
                "model_seconds_per_asked": share(self.model_seconds, self.asked)}


class LLMAssistant:
    """Assistant.ask's contract (ask, ask_many, index, settings, documents), answered by a model and checked."""

    def __init__(self, assistant, settings, endpoint: Endpoint | None = None, checker: Checker | None = None):
        self.extractive = assistant
        self.index, self.settings, self.documents = assistant.index, settings, assistant.documents
        self.table = assistant.table
        self.endpoint = endpoint or Endpoint.from_settings(settings)
        self.checker = checker or Checker.from_settings(
            settings, common=lowercase_words(self.documents.values()), similarity=self._similarity)
        self.stats = Stats()
        self.traces: list[dict] | None = None        # set to [] to record prompts, replies and checks
        self._chunks: dict | None = None
        self._vectors: dict[str, object] = {}

    def rebind(self, assistant) -> None:
        """Answer from another extractive Assistant (the app's, after a document was added)."""
        self.extractive = assistant
        self.index, self.documents, self.table = assistant.index, assistant.documents, assistant.table
        self.checker = Checker.from_settings(self.settings, common=lowercase_words(self.documents.values()),
                                             similarity=self._similarity)
        self._chunks = None
        self._vectors = {}

    # ---------- the contract ----------
    def ask(self, question: str, history=(), *, k: int | None = None, doc_ids=None, lang=None) -> Answer:
        return _last(self.stream(question, history, k=k, doc_ids=doc_ids, lang=lang))

    def ask_many(self, questions, histories=None, *, k: int | None = None, doc_ids=None, lang=None) -> list[Answer]:
        return [_last(self.answer_from(base, judged))
                for base, judged in self.extractive_answers(questions, histories, k=k, doc_ids=doc_ids, lang=lang)]

    def stream(self, question: str, history=(), *, k: int | None = None, doc_ids=None,
               lang=None) -> Iterator[str | Answer]:
        """The model's text as it arrives (str pieces), then the final Answer."""
        [(base, judged)] = self.extractive_answers([question], [history], k=k, doc_ids=doc_ids, lang=lang)
        yield from self.answer_from(base, judged)

    def extractive_answers(self, questions, histories, **kw) -> list[tuple[Answer, object]]:
        """The extractive answers, each with the answer model's reading (None from an Assistant without one)."""
        if hasattr(self.extractive, "ask_judged"):
            return self.extractive.ask_judged(questions, histories, **kw)
        return [(a, None) for a in self.extractive.ask_many(questions, histories, **kw)]

    # ---------- steps ----------
    def answer_from(self, base: Answer, judged=None) -> Iterator[str | Answer]:
        """Given the extractive answer (and the answer model's reading, Judged, for relevance): the model's
        pieces, then the verified Answer (or base with a note)."""
        self.stats.questions += 1
        if base.refused or not base.hits:
            yield base
            return
        self.stats.asked += 1
        units = self.units(base, judged)
        question = base.searched_for or base.question
        pieces: list[str] = []
        started = time.monotonic()
        try:
            for piece in stream_chat(self.endpoint, prompt(question, units, base.lang)):
                pieces.append(piece)
                yield piece
        except LLMFailure as failure:
            self._trace(base, units, "".join(pieces), [], failure.kind)
            yield self._fallback(base, failure.kind, status=failure.status)
            return
        finally:
            self.stats.model_seconds += time.monotonic() - started
        yield self.verified(base, units, "".join(pieces))

    def units(self, base: Answer, judged=None) -> list[Unit]:
        """The numbered sentences the model is shown, each with the answer model's relevance score."""
        return number_sentences(self.table, self._passages(base), base.lang, self.settings.llm_prompt_tokens,
                                getattr(judged, "scores", None))

    def _passages(self, base: Answer) -> list:
        """The chunks the extractive answer cites, then the top retrieved ones (Settings.llm_passages)."""
        if self._chunks is None:
            self._chunks = {h.chunk.chunk_id: h.chunk for h in base.hits}
            self._chunks.update({c.chunk_id: c for c in getattr(self.index, "chunks", ())})
        out, seen = [], set()
        cited = [self._chunks.get(c.chunk_id) or _hit_chunk(base, c.chunk_id) for c in base.citations]
        for chunk in [c for c in cited if c is not None] + [h.chunk for h in base.hits]:
            if chunk.chunk_id not in seen and len(out) < max(self.settings.llm_passages, len(base.citations)):
                seen.add(chunk.chunk_id)
                out.append(chunk)
        return out

    def verified(self, base: Answer, units: list[Unit], text: str) -> Answer:
        """The model's reply `text`, checked sentence by sentence: the Answer to show (or base with a note)."""
        reply = parse(text)
        by_n = {u.n: u for u in units}
        claims = [c for c in reply.claims if c.text.strip(" .").upper() != UNANSWERED]
        kept, checks = [], []
        for claim in claims:
            why = self.checker.problems(claim, by_n, base.lang, base.searched_for or base.question)
            checks.append({"text": claim.text, "cited": list(claim.cited), "problems": why})
            if why:
                self.stats.drop_reasons[kind_of(why[0])] += 1
            elif claim.text not in {c.text for c in kept}:
                kept.append(claim)
        self.stats.sentences += len(claims)
        dropped = sum(bool(c["problems"]) for c in checks)
        self.stats.dropped += dropped
        if reply.says_unanswered or not kept:
            kind = "unanswered" if reply.says_unanswered else "unverified" if claims else "empty"
            self._trace(base, units, text, checks, kind)
            return self._fallback(base, kind)
        answer = self._answer(base, kept[:self.settings.llm_max_sentences], by_n, dropped, len(claims))
        if self.recheck(answer):
            self.stats.recheck_failures += 1
            self._trace(base, units, text, checks, "recheck")
            return self._fallback(base, "unverified")
        self._trace(base, units, text, checks, "answered")
        self.stats.answered += 1
        return answer

    def recheck(self, answer: Answer) -> list[str]:
        """The finished answer read back from its parts alone: each quote is verbatim at its offsets and is a
        whole corpus sentence, and each sentence of the text carries markers naming citations whose
        sentences pass the check. Problems found (none for anything this answerer shows)."""
        text = answer.text
        for note in answer.notes:
            text = text.removeprefix(note).strip()
        labels = {c.label: c for c in answer.citations}
        units, out = {}, []
        for c in answer.citations:
            sentence = next((s for s in self.table.within(c.doc_id, c.start, c.end)
                             if (s.start, s.end) == (c.start, c.end)), None)
            if sentence is None or self.documents.get(c.doc_id, "")[c.start:c.end] != c.quote:
                out.append(f"citation [{c.label}] is not a verbatim corpus sentence")
                continue
            units[c.label] = unit(self.table, sentence, c.label, c.chunk_id)
        for claim in parse(text).claims:
            if any(n not in labels for n in claim.cited):
                out.append(f"{claim.text!r} cites a citation that does not exist")
            out += [f"{claim.text!r} {why}" for why in self.checker.problems(
                claim, units, answer.lang, answer.searched_for or answer.question)]
        return out

    def _answer(self, base: Answer, claims: list[Claim], by_n: dict[int, Unit], dropped: int, total: int) -> Answer:
        """Citations numbered in order of first use; each claim followed by its markers."""
        labels: dict[int, Citation] = {}
        pieces = []
        for claim in claims:
            for n in claim.cited:
                if n not in labels:
                    labels[n] = self._citation(by_n[n], len(labels) + 1)
            pieces.append(f"{claim.text} " + "".join(f"[{labels[n].label}]" for n in claim.cited))
        citations = tuple(labels.values())
        notes = list(self._language_notes(base.lang, citations))
        text = " ".join(pieces)
        if notes:
            text = f"{notes[0]} {text}"
        if dropped:
            notes.append(DROPPED[base.lang == "zh"].format(dropped=dropped, total=total))
        return Answer(question=base.question, text=text, citations=citations, hits=base.hits, refused=False,
                      searched_for=base.searched_for, lang=base.lang, notes=tuple(notes))

    def _citation(self, unit: Unit, label: int) -> Citation:
        s = unit.sentence
        par = s.parallel or (-1, -1)
        quote = self.documents[s.doc_id][s.start:s.end]
        return Citation(label=label, doc_id=s.doc_id, quote=quote, start=s.start, end=s.end, chunk_id=unit.chunk_id,
                        lang=s.lang, parallel_quote=self.table.parallel_text(s), parallel_start=par[0],
                        parallel_end=par[1])

    @staticmethod
    def _language_notes(lang: str, citations) -> tuple[str, ...]:
        if lang != "zh":
            return ()
        english = sum(c.lang == "en" for c in citations)
        return (SOURCE_IN_ENGLISH[0],) if english == len(citations) else (SOURCE_IN_ENGLISH[1],) if english else ()

    def _fallback(self, base: Answer, kind: str, status: int | None = None) -> Answer:
        self.stats.fallbacks[kind] += 1
        note = fallback_note(kind, base.lang, status=status or "?", timeout=self.endpoint.timeout)
        return dataclasses.replace(base, notes=(*base.notes, note))

    def _similarity(self, a: str, b: str) -> float:
        """The multilingual (USE) cosine of two texts, from the index's own encoder; 0 without one."""
        dense = getattr(self.index, "dense", {}) or {}
        if "multilingual" not in dense:
            return 0.0
        missing = [t for t in (a, b) if t not in self._vectors]
        if len(self._vectors) > 10_000:                  # a long-running app: keep the cache bounded
            self._vectors.clear()
            missing = [a, b]
        if missing:
            self._vectors.update(zip(missing, dense["multilingual"][0].encode(missing)))
        return float(self._vectors[a] @ self._vectors[b])

    def _trace(self, base: Answer, units: list[Unit], reply: str, checks: list[dict], outcome: str) -> None:
        if self.traces is not None:
            self.traces.append({"question": base.question, "searched_for": base.searched_for, "lang": base.lang,
                                "extractive": base.text,
                                "units": [{"n": u.n, "doc_id": u.sentence.doc_id, "start": u.sentence.start,
                                           "text": u.sentence.text, "support": u.support} for u in units],
                                "reply": reply, "checks": checks, "outcome": outcome})


def _hit_chunk(base: Answer, chunk_id: str):
    return next((h.chunk for h in base.hits if h.chunk.chunk_id == chunk_id), None)


def _last(events):
    last = None
    for last in events:
        pass
    return last
