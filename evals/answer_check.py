"""Answer quality on a split of the gold set, until `lmc eval` reports it.

    python -m evals.answer_check --split dev            # figures
    python -m evals.answer_check --split dev --show     # and every answer, with its refusal signals

Figures: answer-key accuracy (answerable questions; a refused answer counts as wrong), by kind;
citations verified independently here (quote == document text at its offsets, every [n] marker
names a citation, every citation is marked); refusal rate on unanswerable questions; false refusals on
answerable ones; median answer length; warm seconds per question of one ask_many batch.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path

from evals.metrics import answer_correct

def correct(question: dict, answer_text: str) -> bool:
    """The keys in the answer (all of them for a several-part question): evals.metrics, as lmc eval judges."""
    return answer_correct(question.get("answer_keys") or [], answer_text, question["kind"])


def citation_faults(answer, documents: dict[str, str]) -> list[str]:
    faults = []
    labels = {c.label for c in answer.citations}
    for c in answer.citations:
        if documents.get(c.doc_id, "")[c.start:c.end] != c.quote or not c.quote:
            faults.append(f"[{c.label}] quote is not document text at {c.start}:{c.end}")
        if c.parallel_quote and documents[c.doc_id][c.parallel_start:c.parallel_end] != c.parallel_quote:
            faults.append(f"[{c.label}] parallel quote is not document text")
    marked = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    if marked - labels:
        faults.append(f"markers without citations: {sorted(marked - labels)}")
    if labels - marked:
        faults.append(f"citations without markers: {sorted(labels - marked)}")
    return faults


def run(split: str, show: bool = False, index_dir: str | None = None) -> dict:
    from assistant.answer import Assistant
    from assistant.config import Settings
    from evals.gold import load_questions
    from index.store import open_index
    settings = Settings() if index_dir is None else dataclasses.replace(Settings(), index_dir=Path(index_dir))
    index = open_index(settings, log=lambda m: None, progress=False)
    from corpus import load_corpus
    assistant = Assistant(index, settings, load_corpus(settings))
    questions = load_questions(split=split)
    assistant.ask_many([questions[0]["question"]])                    # warm the models
    started = time.perf_counter()
    answers = assistant.ask_many([q["question"] for q in questions])
    seconds = time.perf_counter() - started
    return summarise(questions, answers, assistant, seconds, show)


def summarise(questions, answers, assistant, seconds, show) -> dict:
    by_kind, faults, lengths = defaultdict(list), [], []
    refused_unans, false_refusals, n_cites = [], [], 0
    for q, a, sig in zip(questions, answers, assistant.last_signals):
        f = citation_faults(a, assistant.documents)
        faults.extend(f"{q['id']}: {x}" for x in f)
        n_cites += len(a.citations)
        if q["kind"] == "unanswerable":
            refused_unans.append(a.refused)
        else:
            ok = not a.refused and correct(q, a.text)
            by_kind[q["kind"]].append(ok)
            false_refusals.append(a.refused)
            lengths.append(len(a.text))
        if show:
            ok = a.refused if q["kind"] == "unanswerable" else (not a.refused and correct(q, a.text))
            print(f"{'OK ' if ok else 'BAD'} {q['id']} {q['kind']:<12} {q['question']}")
            print(f"    keys={q.get('answer_keys')} signals={sig.as_dict() if sig else None}")
            if a.searched_for != q["question"]:
                print(f"    searched: {a.searched_for}")
            print(f"    -> {a.text}")
    answerable = [x for v in by_kind.values() for x in v]
    report = {
        "questions": len(questions),
        "accuracy": _share(answerable),
        "accuracy_by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(by_kind.items())},
        "citations": n_cites, "citation_faults": len(faults),
        "refusal_on_unanswerable": _share(refused_unans),
        "false_refusals": _share(false_refusals),
        "median_answer_chars": statistics.median(lengths) if lengths else 0,
        "seconds_per_question_warm_batch": round(seconds / len(questions), 4),
    }
    for line in faults:
        print("FAULT", line)
    return report


def _share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 3) if flags else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=["dev", "test", "holdout", "all"])
    parser.add_argument("--show", action="store_true", help="print every answer and its refusal signals")
    parser.add_argument("--index", default=None, help="index folder (default: Settings().index_dir)")
    args = parser.parse_args()
    report = run(args.split, args.show, args.index)
    for key, value in report.items():
        print(f"{key:>34}: {value}")


if __name__ == "__main__":
    main()
