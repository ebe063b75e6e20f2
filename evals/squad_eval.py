"""lmc eval --squad: the product's search and Assistant on any SQuAD-format question set.

    report = evaluate_squad(load_squad("xquad.en.dev.json"), settings, progress=True)

The set's articles are written once as a corpus folder and indexed into a cache keyed by their
content (`.lmc/squad/<name>-<key>/`, beside the index folder), so a second run, or another
question set over the same articles (XQuAD's Chinese questions over its English articles), reuses
it. The report is evals.run's (retrieval through ir-measures, a hit relevant when it covers the
answer's own span; answer accuracy, refusals, citations) with two yardsticks beside it, run on the
same questions: plain BM25 over paragraphs (retrieval) and the one-line baseline (answers).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path

from evals import metrics
from evals.squad import SquadSet, content_key, write_corpus


def cache_folder(qset: SquadSet, settings) -> Path:
    """Where this set's corpus and index live: keyed by the documents and the build settings."""
    build = hashlib.sha256(json.dumps(settings.build_key(), sort_keys=True, default=str).encode()).hexdigest()[:8]
    root = Path(settings.index_dir).resolve().parent / "squad"
    name = qset.name.split("+")[-1]                      # the documents' file names the folder
    return root / f"{name}-{content_key(qset.documents)}-{build}"


def open_squad_index(qset: SquadSet, settings, log=print, progress: bool = True):
    """(index, settings) for the set: the cached index, built on first use."""
    from index.store import open_index
    folder = cache_folder(qset, settings)
    corpus = write_corpus(qset.documents, folder / "corpus")
    settings = dataclasses.replace(settings, corpus_dir=corpus, index_dir=folder / "index")
    return open_index(settings, log=log, progress=progress), settings


def evaluate_squad(qset: SquadSet, settings, *, answers: bool = True, progress: bool = False, log=print,
                   assistant=None, wrap=None):
    """The evals.run Report for the set, with report.baselines filled in. wrap: a function from the
    extractive Assistant to what answers instead (the model answerer)."""
    from evals.run import evaluate
    index, settings = open_squad_index(qset, settings, log=log, progress=progress)
    if assistant is None and answers:
        from assistant.answer import Assistant
        assistant = Assistant(index, settings, qset.documents)
        if wrap is not None:
            assistant = wrap(assistant)
    report = evaluate(index, qset.questions, settings, documents=qset.documents, answers=answers,
                      assistant=assistant, split=qset.name, progress=progress)
    report.baselines = baselines(qset, progress)
    report.config["squad"] = {"name": qset.name, "articles": len(qset.documents), "skipped": qset.skipped,
                              "folds": sorted({q["fold"] for q in qset.questions})}
    if report.answers is not None:
        report.answers["by_fold"] = _by_fold(report, qset)
    return report


def evaluate_cv(qset: SquadSet, settings, folds_dir: Path, *, progress: bool = False, log=print, wrap=None):
    """Cross-validated figures: the articles of fold k are answered by the models fitted without
    them (folds_dir/fold<k>/: fusion.json and answer_model.json, from python -m evals.train
    --folds-dir), and the folds' reports are merged into one."""
    from evals.run import evaluate, merge
    from evals.squad import select_folds
    from assistant.answer import Assistant
    index, base = open_squad_index(qset, settings, log=log, progress=progress)
    reports = []
    for fold in sorted({q["fold"] for q in qset.questions}):
        folder = Path(folds_dir) / f"fold{fold}"
        if not (folder / "answer_model.json").is_file() or not (folder / "fusion.json").is_file():
            raise ValueError(f"{folder} lacks fusion.json or answer_model.json; "
                             f"run: python -m evals.train all --folds-dir {folds_dir}")
        own = dataclasses.replace(base, models_dir=folder)
        part = select_folds(qset, {fold})
        log(f"fold {fold}: {len(part.questions)} questions")
        assistant = Assistant(index, own, qset.documents)
        reports.append(evaluate(index, part.questions, own, documents=qset.documents,
                                assistant=wrap(assistant) if wrap else assistant, split=qset.name,
                                progress=progress))
    report = merge(reports, f"{qset.name} (cross-validated)")
    report.baselines = baselines(qset, progress)
    report.config["squad"] = {"name": qset.name, "articles": len(qset.documents), "skipped": qset.skipped,
                              "folds": sorted({q["fold"] for q in qset.questions}), "cv": str(folds_dir)}
    if report.answers is not None:
        report.answers["by_fold"] = _by_fold(report, qset)
    return report


def baselines(qset: SquadSet, progress: bool = False) -> dict:
    """BM25 over paragraphs (Success@1/@5, MRR@10) and the one-line baseline's answer accuracy."""
    from tqdm import tqdm
    from evals.oneline import Oneline
    base = Oneline(qset.documents)
    answerable = [q for q in qset.questions if q["evidence"]]
    s1 = s5 = rr = correct = 0.0
    for q in tqdm(answerable, desc="Baselines", unit="q", file=sys.stderr, disable=not progress, leave=False):
        spans = metrics.locate(q["evidence"], base.texts)
        rank = next((n for n, (d, s, e) in enumerate(base.search(q["question"], metrics.K), 1)
                     if any(d == d2 and metrics.covers(s, e, s2, e2) for loc in spans for d2, s2, e2 in loc)), None)
        s1 += rank == 1
        s5 += rank is not None and rank <= 5
        rr += 1 / rank if rank else 0.0
        correct += metrics.answer_correct(q["answer_keys"], base.answer(q["question"])[3], q["kind"])
    n = len(answerable) or 1
    return {"bm25_paragraphs": {"success@1": s1 / n, "success@5": s5 / n, "mrr@10": rr / n},
            "oneline": {"key_accuracy": correct / n}, "n_answerable": len(answerable)}


def _by_fold(report, qset: SquadSet) -> dict:
    """Answer accuracy and refusals per article fold."""
    fold = {q["id"]: q["fold"] for q in qset.questions}
    rows: dict[int, list] = {}
    for q, r in zip(qset.questions, report.answer_rows):
        rows.setdefault(fold[q["id"]], []).append(r)
    out = {}
    for f, group in sorted(rows.items()):
        yes = [r for r in group if r["answerable"]]
        no = [r for r in group if not r["answerable"]]
        out[str(f)] = {"n": len(group), "key_accuracy": _share(sum(r["correct"] for r in yes), len(yes)),
                       "false_refusal_rate": _share(sum(r["refused"] for r in yes), len(yes)),
                       "refusal_rate": _share(sum(r["refused"] for r in no), len(no))}
    return out


def _share(part, whole):
    return round(part / whole, 4) if whole else None


def summary(report) -> dict:
    """The figures the issue's table holds, for one set."""
    a = report.answers or {}
    b = report.baselines
    return {"set": report.split, "questions": report.n_questions, "answerable": report.n_answerable,
            "success@1": round(report.overall.get("success@1", 0.0), 4),
            "success@5": round(report.overall.get("success@5", 0.0), 4),
            "mrr@10": round(report.overall.get("mrr@10", 0.0), 4),
            "bm25_success@1": round(b["bm25_paragraphs"]["success@1"], 4),
            "accuracy": a.get("key_accuracy"), "false_refusals": a.get("false_refusal_rate"),
            "refusal": a.get("refusal_rate"), "oneline": round(b["oneline"]["key_accuracy"], 4),
            "citations_verbatim": a.get("citations_verbatim"),
            "seconds_per_question": a.get("seconds_per_question")}
