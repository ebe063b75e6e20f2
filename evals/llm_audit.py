"""Put the whole gold set to the llm answerer and audit what it shows with an oracle apart from its check.

    LMC_LLM_URL=http://127.0.0.1:8080/v1 python -m evals.llm_audit [--out DIR] [--limit N]
    python -m evals.llm_audit --replay [--out DIR]           # re-check the saved replies with today's checker
    python -m evals.llm_audit --replay --sweep [--out DIR]   # ... at each llm_min_score, on dev alone

Every question of evals/questions.jsonl (dev and test) and of evals/holdout.jsonl is answered by
LLMAssistant through the usual evaluation (evals.run.evaluate: accuracy, refusal, false refusals, time),
and each shown Answer is read by `audit`, which knows nothing of assistant.support: it reads the final
Answer (text, citations, notes), the extractive answer it would otherwise have been, and the documents.
An answer passes when it is the extractive answer with exactly one more note (a fallback, visible), the
extractive refusal itself (the model is not asked), or model sentences that each carry markers naming
existing citations whose quotes are verbatim and hold every number the sentence states.

Written to DIR (default evals/reports/llm): gold-audit.jsonl, one line per question (the trace: prompt
sentences, reply, checks; both answers; the oracle's verdict), and gold-audit.md, the figures;
`--replay` writes gold-replay.md.
`--replay` re-reads gold-audit.jsonl and re-checks every saved reply with the current Checker (replies
do not depend on the checker: temperature 0), so a change to the check is measured without the model.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "reports" / "llm"
MARKERS = re.compile(r"(?:\s*\[\d+\])+")
SPELLED = {w: str(i) for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
                                            "twelfth".split(), 1)} | \
          {w: str(i) for i, w in enumerate("January February March April May June July August September October "
                                            "November December".split(), 1)}


def audit(answer, base, texts: dict[str, str]) -> tuple[str, list[str]]:
    """('refused' | 'fallback' | 'model', problems): what was shown, and what the oracle finds wrong with it."""
    problems = []
    for c in answer.citations:
        if not c.quote or texts.get(c.doc_id, "")[c.start:c.end] != c.quote:
            problems.append(f"citation [{c.label}] is not verbatim at its offsets")
        if c.parallel_quote and texts.get(c.doc_id, "")[c.parallel_start:c.parallel_end] != c.parallel_quote:
            problems.append(f"citation [{c.label}]'s translation is not verbatim at its offsets")
    if answer.refused or (answer.text, answer.citations) == (base.text, base.citations):
        if answer.refused != base.refused or tuple(answer.notes[:len(base.notes)]) != tuple(base.notes):
            problems.append("the extractive answer is shown with other notes than its own")
        if answer.refused:                                       # the extractive refusal stands, the model unasked
            if answer != base:
                problems.append("a refusal differs from the extractive refusal")
            return "refused", problems
        if len(answer.notes) != len(base.notes) + 1:
            problems.append("a fallback without exactly one note saying why")
        return "fallback", problems
    text = answer.text
    for note in answer.notes:
        text = text.removeprefix(note).strip()
    labels = {c.label: c for c in answer.citations}
    pieces = [p for p in re.split(r"(?<=\])\s+(?=[^\[])", text) if p.strip()]
    if not pieces:
        problems.append("a model answer with no text")
    used = set()
    for piece in pieces:
        if not MARKERS.search(piece):
            problems.append(f"sentence without citation markers: {piece!r}")
            continue
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", piece)]
        if any(n not in labels for n in numbers):
            problems.append(f"sentence cites a citation that does not exist: {piece!r}")
            continue
        used.update(numbers)
        cited = [labels[n] for n in numbers]
        support = " ".join(f"{c.quote} {c.parallel_quote}" for c in cited)
        support += " " + " ".join(n for w, n in SPELLED.items() if w.lower() in support.lower())
        for number in re.findall(r"\d+(?:\.\d+)?", MARKERS.sub("", piece).replace(",", "")):
            if number not in support.replace(",", ""):
                problems.append(f"{number} is not in the sentences cited by {piece!r}")
    if set(labels) - used:
        problems.append(f"citations shown that no sentence uses: {sorted(set(labels) - used)}")
    return "model", problems


def _answer_dict(a) -> dict:
    return {"text": a.text, "refused": a.refused, "notes": list(a.notes), "lang": a.lang,
            "citations": [dataclasses.asdict(c) for c in a.citations]}


class Recorder:
    """The llm answerer as evals.run.evaluate sees it, keeping each extractive answer and each shown one."""

    def __init__(self, llm):
        self.llm, self.index, self.settings, self.documents = llm, llm.index, llm.settings, llm.documents
        self.pairs: list[tuple] = []

    def ask_many(self, questions, histories=None, **kw):
        from assistant.llm_answer import _last
        out = []
        for base, judged in self.llm.extractive_answers(questions, histories, **kw):
            before = len(self.llm.traces)
            answer = _last(self.llm.answer_from(base, judged))
            trace = self.llm.traces[before] if len(self.llm.traces) > before else None
            self.pairs.append((base, answer, trace))
            out.append(answer)
        return out


def run(out: Path, limit: int | None) -> None:
    from assistant.answer import Assistant
    from assistant.config import Settings
    from assistant.llm_answer import LLMAssistant
    from corpus import load_corpus
    from evals.gold import HOLDOUT, QUESTIONS
    from evals.run import evaluate, read_questions
    from index.store import open_index
    settings = Settings()
    if not settings.llm_url:
        raise SystemExit("error: set LMC_LLM_URL to the model server (see docs/llm.md)")
    index = open_index(settings, log=lambda m: print(m, file=sys.stderr))
    docs = load_corpus(settings)
    texts = {d.doc_id: d.text for d in docs}
    extractive = Assistant(index, settings, docs)
    rows, reports = [], {}
    for name, path, split in (("dev+test", QUESTIONS, "all"), ("holdout", HOLDOUT, "holdout")):
        questions = read_questions(path, split)[:limit]
        llm = LLMAssistant(extractive, settings)
        llm.traces = []
        recorder = Recorder(llm)
        started = time.perf_counter()
        report = evaluate(index, questions, settings, split=split, progress=True, assistant=recorder)
        report.answers["llm"] = llm.stats.as_dict()
        reports[name] = {"answers": report.answers, "seconds": round(time.perf_counter() - started, 1)}
        for q, (base, answer, trace) in zip(questions, recorder.pairs):
            kind, problems = audit(answer, base, texts)
            rows.append({"id": q["id"], "set": name, "kind": q["kind"], "lang": q["lang"],
                         "keys": q.get("answer_keys", []), "shown": kind, "problems": problems,
                         "base": _answer_dict(base), "answer": _answer_dict(answer), "trace": trace})
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "gold-audit.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    summary = render(rows, reports, settings)
    _write(out / "gold-audit.md", summary)
    print(summary)


def render(rows: list[dict], reports: dict, settings) -> str:
    shown = Counter(r["shown"] for r in rows)
    bad = [r for r in rows if r["problems"]]
    lines = [f"# The llm answerer over the whole gold set ({len(rows)} questions)", "",
             f"Model: {settings.llm_model or '(the server first model)'} at the configured server; "
             f"min overlap {settings.llm_min_overlap}, max new {settings.llm_max_new_terms}.", "",
             f"- shown: {dict(shown.most_common())}",
             f"- answers the oracle finds wrong (an unverified citation, a dangling marker, an unnoted "
             f"fallback): **{len(bad)}**"]
    lines += [f"  - {r['id']}: {p}" for r in bad for p in r["problems"]]
    for name, rep in reports.items():
        a, llm = rep["answers"], rep["answers"]["llm"]
        lines += ["", f"## {name}", "",
                  f"- accuracy {a['key_accuracy']}, refusal {a['refusal_rate']}, false refusals "
                  f"{a['false_refusal_rate']}, citations verbatim {a['citations_verbatim']}, "
                  f"{a['seconds_per_question']} s a question",
                  f"- asked {llm['asked']} of {llm['questions']}; answered by the model {llm['answered_by_model']}; "
                  f"model sentences {llm['model_sentences']}, dropped {llm['dropped_sentences']} "
                  f"({llm['dropped_share']}); fallbacks {llm['fallbacks']} {llm['fallbacks_by_reason']}; "
                  f"re-check failures {llm['recheck_failures']}; model s per question asked "
                  f"{llm['model_seconds_per_asked']}",
                  f"- drop reasons: {llm['drop_reasons']}"]
    return "\n".join(lines) + "\n"


MIN_SCORES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


def replay(out: Path, sweep: bool = False) -> None:
    """Re-check the saved replies with the current Checker: at Settings.llm_min_score on every split, or
    (sweep) at each of MIN_SCORES on the dev split alone, to choose it. The extractive step runs again
    (it is deterministic; an extractive answer or prompt that differs from the run is counted)."""
    from assistant.answer import Assistant
    from assistant.config import Settings
    from assistant.llm import KINDS
    from assistant.llm_answer import LLMAssistant, Stats
    from corpus import load_corpus
    from evals.gold import HOLDOUT, QUESTIONS
    from evals.run import _answer_row, _answer_summary, locate_evidence, read_questions
    from index.store import open_index
    settings = Settings()
    splits = ("dev",) if sweep else ("dev", "test", "holdout")
    index = open_index(settings, log=lambda m: print(m, file=sys.stderr))
    docs = load_corpus(settings)
    texts = {d.doc_id: d.text for d in docs}
    questions = {q["id"]: q for path, split in ((QUESTIONS, "all"), (HOLDOUT, "holdout"))
                 for q in read_questions(path, split)}
    rows = [r for line in (out / "gold-audit.jsonl").read_text(encoding="utf-8").splitlines()
            for r in [json.loads(line)] if questions[r["id"]]["split"] in splits]
    llm = LLMAssistant(Assistant(index, settings, docs), settings)
    prepared, changed = [], 0
    for i in range(0, len(rows), 16):
        batch = rows[i:i + 16]
        for r, (base, judged) in zip(batch, llm.extractive.ask_judged([questions[r["id"]]["question"] for r in batch])):
            changed += base.text != r["base"]["text"]
            t = r["trace"]
            units = llm.units(base, judged) if t else []
            if t and [(u.n, u.sentence.doc_id, u.sentence.start) for u in units] != \
                    [(u["n"], u["doc_id"], u["start"]) for u in t["units"]]:
                changed += 1
            prepared.append((r, base, units))
        print(f"{len(prepared)}/{len(rows)}", file=sys.stderr)
    head = ["split", "min score", "model answers", "model sentences", "kept", "fallbacks", "accuracy",
            "false refusals", "oracle problems"]
    table = []
    for t in MIN_SCORES if sweep else (settings.llm_min_score,):
        llm.checker = dataclasses.replace(llm.checker, min_score=t)
        by_split: dict[str, list] = {split: [] for split in splits}
        stats = {split: Stats() for split in splits}
        for r, base, units in prepared:
            q, trace = questions[r["id"]], r["trace"]
            llm.stats = stats[q["split"]]
            if trace is None:
                answer = base
            elif trace["outcome"] in KINDS:                       # the server failed: no reply to check
                answer = llm._fallback(base, trace["outcome"])
            else:
                answer = llm.verified(base, units, trace["reply"])
            kind, problems = audit(answer, base, texts)
            by_split[q["split"]].append((_answer_row(q, answer, locate_evidence(q, texts), texts), kind, problems))
        for split, got in by_split.items():
            summary = _answer_summary([g[0] for g in got], 0.0)
            s = stats[split]
            table.append([split, t, sum(g[1] == "model" for g in got), s.sentences, s.sentences - s.dropped,
                          sum(g[1] == "fallback" for g in got), summary["key_accuracy"],
                          summary["false_refusal_rate"], sum(len(g[2]) for g in got)])
    from evals.report import format_table
    text = (f"{len(rows)} questions replayed; extractive answers or prompts that differ from the run: {changed}\n\n"
            f"{format_table(head, table, markdown=True)}\n")
    if not sweep:
        _write(out / "gold-replay.md", f"# The saved replies re-checked (min score {settings.llm_min_score})\n\n{text}")
    print(text)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--limit", type=int, default=None, help="Only the first N questions of each file.")
    parser.add_argument("--replay", action="store_true", help="Re-check the saved replies; ask nothing.")
    parser.add_argument("--sweep", action="store_true", help="With --replay: each min score, on dev alone.")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if args.replay:
        replay(args.out, args.sweep)
        return
    run(args.out, args.limit)


if __name__ == "__main__":
    main()
