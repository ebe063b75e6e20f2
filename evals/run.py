"""evaluate(index, questions, settings) -> Report: retrieval figures, failures and answer figures.

Retrieval goes through the product's own search (Index.search_many with the per-language fusion
weights of Settings); unanswerable questions are left out of the retrieval figures. Answer
figures come from assistant.answer.Assistant when it can be imported; without it the report
says so instead.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from evals import metrics

KINDS = ("factoid", "paraphrase", "numeric", "multi", "crosslingual", "unanswerable")
BATCH = 16


@dataclass
class Report:
    split: str
    n_questions: int
    n_answerable: int
    overall: dict[str, float]              # metric name -> mean over answerable questions
    by_kind: dict[str, dict]               # kind -> {"n": count, metric: value, ...}
    by_lang: dict[str, dict]
    questions: list[dict]                  # one row per question: id, kind, lang, first_rank, figures
    failures: list[dict]                   # retrieval (and answer) failures with what came back
    run: list[tuple]                       # TREC run lines (qid, doc, line, score)
    qrels: list[tuple]
    answers: dict | None = None            # answer figures, None when they were not measured
    answers_note: str = ""                 # why answer figures are missing, if they are
    config: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    answer_rows: list[dict] = field(default_factory=list)   # one per question, in order (when answered)
    baselines: dict | None = None          # yardsticks run on the same questions (lmc eval --squad)

    def to_dict(self) -> dict:
        return {"split": self.split, "n_questions": self.n_questions, "n_answerable": self.n_answerable,
                **self.overall, "by_kind": self.by_kind, "by_lang": self.by_lang,
                "answers": self.answers, "answers_note": self.answers_note,
                "n_failures": len(self.failures), "config": self.config, "seconds": self.seconds,
                **({"baselines": self.baselines} if self.baselines else {})}


# ---------- the gold questions ----------
def read_questions(path, split: str = "test") -> list[dict]:
    """Gold questions from a JSON-lines file, checked, optionally one split ("dev", "test", "holdout", "all")."""
    if split not in ("dev", "test", "holdout", "all"):
        raise ValueError(f"split must be dev, test, holdout or all (got {split!r})")
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read questions file {path}: {exc}") from None
    items, ids = [], set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} line {n}: not valid JSON ({exc.msg})") from None
        problem = _problem(q)
        if problem is None and q["id"] in ids:
            problem = f"duplicate id {q['id']!r}"
        if problem:
            raise ValueError(f"{path} line {n}: {problem}")
        ids.add(q["id"])
        items.append(q)
    chosen = [q for q in items if split == "all" or q.get("split") == split]
    if not chosen:
        raise ValueError(f"{path} holds no questions in split {split!r}")
    return chosen


def _problem(q) -> str | None:
    if not isinstance(q, dict):
        return "expected a JSON object"
    for name, kind in (("id", (str, int)), ("question", str), ("kind", str), ("lang", str)):
        if not isinstance(q.get(name), kind) or q.get(name) == "":
            return f'missing or invalid "{name}"'
    if q["kind"] not in KINDS:
        return f"unknown kind {q['kind']!r} (expected one of {', '.join(KINDS)})"
    evidence = q.get("evidence") or []
    if not isinstance(evidence, list) or not all(isinstance(e, dict) and {"doc_id", "text"} <= e.keys()
                                                 for e in evidence):
        return '"evidence" must be a list of {"doc_id", "text"}'
    if (q["kind"] == "unanswerable") != (not evidence):
        return "unanswerable questions have no evidence; every other kind needs some"
    if not isinstance(q.get("answer_keys", []), list):
        return '"answer_keys" must be a list'
    return None


# ---------- evaluation ----------
def evaluate(index, questions: list[dict], settings, *, documents=None, weights=None, answers: bool = True,
             assistant=None, split: str = "", progress: bool = False, k: int = metrics.K) -> Report:
    """Search every question as the product does, judge the hits by span overlap, measure.

    weights: leg -> weight for every question; None uses the per-language weights of settings.
    assistant: what answers the questions (default assistant.answer.Assistant(index, settings)).
    """
    from corpus import load_corpus
    from index.store import fusion_for
    started = time.perf_counter()
    docs = documents if documents is not None else load_corpus(settings)
    texts = {d.doc_id: d.text for d in docs}
    spans = {q["id"]: locate_evidence(q, texts) for q in questions}
    answerable = [q for q in questions if spans[q["id"]]]
    weights = weights if weights is not None else fusion_for(settings)
    results = _search(index, [q["question"] for q in answerable], k, weights, settings, progress)
    rows, failures, run, qrels = judge(answerable, results, spans, k)
    report = Report(split=split, n_questions=len(questions), n_answerable=len(answerable),
                    overall=metrics.average([r["figures"] for r in rows]),
                    by_kind=_groups(rows, "kind"), by_lang=_groups(rows, "lang"),
                    questions=rows, failures=failures, run=run, qrels=qrels,
                    config=_config(index, settings, weights, k),
                    seconds={"retrieval": round(time.perf_counter() - started, 2)})
    if answers:
        _answer_figures(report, index, settings, questions, spans, texts, assistant, progress)
    else:
        report.answers_note = "answer figures not measured (retrieval only)"
    return report


def merge(reports: list[Report], split: str) -> Report:
    """One report over the questions of several (each fold of a cross-validation, say)."""
    rows = [r for rep in reports for r in rep.questions]
    merged = Report(split=split, n_questions=sum(r.n_questions for r in reports),
                    n_answerable=sum(r.n_answerable for r in reports),
                    overall=metrics.average([r["figures"] for r in rows]), by_kind=_groups(rows, "kind"),
                    by_lang=_groups(rows, "lang"), questions=rows,
                    failures=[f for rep in reports for f in rep.failures],
                    run=[x for rep in reports for x in rep.run], qrels=[x for rep in reports for x in rep.qrels],
                    config=dict(reports[0].config) if reports else {},
                    seconds={k: round(sum(r.seconds.get(k, 0) for r in reports), 2)
                             for k in ("retrieval", "answers")})
    answer_rows = [x for rep in reports for x in rep.answer_rows]
    if answer_rows and all(rep.answers is not None for rep in reports):
        merged.answers = _answer_summary(answer_rows, merged.seconds.get("answers", 0.0))
        merged.answer_rows = answer_rows
    else:
        merged.answers_note = next((rep.answers_note for rep in reports if rep.answers is None), "")
    return merged


def judge(questions: list[dict], results: list[list], spans: dict, k: int = metrics.K):
    """Per-question rows (with ir-measures figures), failures, and the TREC run and qrels."""
    qrels, run = [], []
    for q, hits in zip(questions, results):
        qrels += metrics.qrels_for(str(q["id"]), len(spans[q["id"]]))
        run += metrics.run_for(str(q["id"]), [h.chunk for h in hits], spans[q["id"]], k)
    scores = metrics.measures(qrels, run, k)
    rows, failures = [], []
    for q, hits in zip(questions, results):
        row, failure = _judge(q, hits, spans[q["id"]], scores[str(q["id"])], k)
        rows.append(row)
        if failure:
            failures.append(failure)
    return rows, failures, run, qrels


def locate_evidence(q: dict, texts: dict[str, str]) -> list:
    try:
        return metrics.locate(q.get("evidence") or [], texts)
    except ValueError as exc:
        raise ValueError(f"question {q['id']}: {exc}") from None


def _search(index, questions: list[str], k: int, weights, settings, progress: bool) -> list[list]:
    """index.search_many in batches, so a progress bar can move."""
    from tqdm import tqdm
    out = []
    with tqdm(total=len(questions), desc="Searching", unit="q", file=sys.stderr,
              disable=not progress, leave=False) as bar:
        for i in range(0, len(questions), BATCH):
            batch = questions[i:i + BATCH]
            out += index.search_many(batch, k, weights=weights, candidates=settings.candidates)
            bar.update(len(batch))
    return out


def _judge(q: dict, hits: list, spans: list, figures: dict, k: int) -> tuple[dict, dict | None]:
    chunks = [h.chunk for h in hits[:k]]
    rank = metrics.first_rank(chunks, spans)
    covered = {i for c in chunks for i in metrics.covered_spans(c, spans)}
    row = {"id": q["id"], "kind": q["kind"], "lang": q["lang"], "first_rank": rank, "figures": figures}
    missing = [e for i, e in enumerate(q["evidence"]) if i not in covered]
    if rank is not None and rank <= 5 and not missing:
        return row, None
    return row, {"id": q["id"], "type": "retrieval", "question": q["question"], "kind": q["kind"],
                 "lang": q["lang"], "first_rank": rank, "expected": q["evidence"], "missing": missing,
                 "top": [_hit_brief(h) for h in hits[:3]]}


def _hit_brief(hit) -> dict:
    c = hit.chunk
    snippet = " ".join(c.text.split())
    return {"rank": hit.rank, "doc_id": c.doc_id, "chunk_id": c.chunk_id, "start": c.start, "end": c.end,
            "score": hit.score, "snippet": snippet[:200] + ("…" if len(snippet) > 200 else "")}


def _groups(rows: list[dict], key: str) -> dict[str, dict]:
    out = {}
    for value in sorted({r[key] for r in rows}):
        group = [r["figures"] for r in rows if r[key] == value]
        out[value] = {"n": len(group), **metrics.average(group)}
    return out


def _config(index, settings, weights, k: int) -> dict:
    fixed = weights if isinstance(weights, dict) else None
    version = getattr(weights, "version", None)
    return {"k": k, "candidates": settings.candidates, "n_chunks": len(index.chunks),
            "build": index.meta.get("build"), "models": index.meta.get("models"),
            "weights": fixed or {"fusion": version}}


# ---------- answers ----------
def _answer_figures(report: Report, index, settings, questions, spans, texts, assistant, progress) -> None:
    """Ask every question through the Assistant and add answer figures and failures to the report."""
    if assistant is None:
        try:
            from assistant.answer import Assistant
        except ImportError as exc:
            report.answers_note = f"answer figures skipped: assistant.answer.Assistant is not available ({exc})"
            return
    started = time.perf_counter()
    try:
        if assistant is None:
            from corpus import load_corpus
            assistant = Assistant(index, settings, load_corpus(settings))
        answers = _ask_all(assistant, [q["question"] for q in questions], progress)
    except Exception as exc:                     # noqa: BLE001 - retrieval figures still stand
        if os.environ.get("LMC_DEBUG"):
            raise
        report.answers_note = f"answer figures failed: {type(exc).__name__}: {exc}"
        return
    seconds = time.perf_counter() - started
    rows = [_answer_row(q, a, spans[q["id"]], texts) for q, a in zip(questions, answers)]
    report.answers = _answer_summary(rows, seconds)
    report.answer_rows = rows
    report.seconds["answers"] = round(seconds, 2)
    for q, a, row in zip(questions, answers, rows):
        if not row["ok"]:
            report.failures.append({"id": q["id"], "type": "answer", "question": q["question"],
                                    "kind": q["kind"], "lang": q["lang"], "answer_keys": q.get("answer_keys", []),
                                    "answer": a.text[:600], "refused": a.refused,
                                    "citations": len(a.citations), "bad_citations": row["n_citations"] - row["verbatim"]})


def _ask_all(assistant, questions: list[str], progress: bool) -> list:
    from tqdm import tqdm
    out = []
    many = getattr(assistant, "ask_many", None)
    step = BATCH if many else 1
    with tqdm(total=len(questions), desc="Answering", unit="q", file=sys.stderr,
              disable=not progress, leave=False) as bar:
        for i in range(0, len(questions), step):
            batch = questions[i:i + step]
            out += list(many(batch)) if many else [assistant.ask(batch[0], history=())]
            bar.update(len(batch))
    return out


def _verbatim(c, texts: dict[str, str]) -> bool:
    text = texts.get(c.doc_id)
    if text is None or text[c.start:c.end] != c.quote or not c.quote:
        return False
    parallel = getattr(c, "parallel_quote", "")
    return not parallel or text[c.parallel_start:c.parallel_end] == parallel


def _answer_row(q: dict, answer, spans: list, texts: dict) -> dict:
    answerable = bool(spans)
    correct = answerable and not answer.refused and metrics.answer_correct(
        q.get("answer_keys", []), answer.text, q["kind"])
    verbatim = sum(_verbatim(c, texts) for c in answer.citations)
    cover = sum(metrics.overlaps(c.doc_id, c.start, c.end, spans) for c in answer.citations)
    ok = (correct if answerable else answer.refused) and verbatim == len(answer.citations)
    return {"kind": q["kind"], "lang": q["lang"], "answerable": answerable, "refused": answer.refused,
            "correct": correct, "chars": len(answer.text), "n_citations": len(answer.citations),
            "verbatim": verbatim, "cover": cover if answerable else 0, "ok": ok}


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _answer_summary(rows: list[dict], seconds: float) -> dict:
    from statistics import median
    yes = [r for r in rows if r["answerable"]]
    no = [r for r in rows if not r["answerable"]]
    cited = sum(r["n_citations"] for r in rows)
    by = {}
    for key in ("kind", "lang"):
        by[key] = {v: {"n": len(g), "key_accuracy": _share(sum(r["correct"] for r in g), len(g))}
                   for v in sorted({r[key] for r in yes}) for g in [[r for r in yes if r[key] == v]]}
    return {"n_answerable": len(yes), "n_unanswerable": len(no),
            "key_accuracy": _share(sum(r["correct"] for r in yes), len(yes)),
            "citations": cited, "citations_verbatim": _share(sum(r["verbatim"] for r in rows), cited),
            "citations_cover_evidence": _share(sum(r["cover"] for r in yes), sum(r["n_citations"] for r in yes)),
            "refusal_rate": _share(sum(r["refused"] for r in no), len(no)),
            "false_refusal_rate": _share(sum(r["refused"] for r in yes), len(yes)),
            "median_answer_chars": median(r["chars"] for r in rows) if rows else None,
            "seconds_per_question": _share(seconds, len(rows)),
            "by_kind": by["kind"], "by_lang": by["lang"]}
