"""Choose the llm answerer's thresholds on the DEV split, from the model's own replies.

    python -m evals.llm_tune --ask [--index DIR] [--traces FILE]   # ask the model at $LMC_LLM_URL, save replies
    python -m evals.llm_tune [--traces FILE]                         # sweep the saved replies

Every sentence the model wrote is checked at each setting three times: citing what it cited (real);
citing instead the other numbered sentence of the same prompt that shares most words with it (a wrong
citation that looks right, though it sometimes repeats the same fact: a headline and its first
sentence); and citing a random other sentence of the prompt (seeded). A good setting keeps real
sentences and refuses wrong citations. For each setting the table gives the share of real sentences
kept, the shares of wrong citations accepted, and the answer-key accuracy of what would be shown (the
kept model sentences, else the extractive answer). Replies do not depend on the thresholds (temperature 0), so the sweep only
re-checks saved replies. Nothing is written to Settings; the test split is never read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from evals import metrics
from evals.report import format_table

DEFAULT_TRACES = Path(__file__).resolve().parent / "reports" / "llm" / "dev-traces.jsonl"
OVERLAPS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
MAX_NEW = (None, 4, 3, 2, 1)
SIMILARITIES = (0.3, 0.4, 0.5, 0.6, 0.7)


def _answerer(index_dir):
    from assistant.answer import Assistant
    from assistant.config import Settings
    from assistant.llm_answer import LLMAssistant
    from index.store import open_index
    settings = Settings() if index_dir is None else dataclasses.replace(Settings(), index_dir=Path(index_dir))
    index = open_index(settings, log=lambda m: print(m, file=sys.stderr))
    return LLMAssistant(Assistant(index, settings), settings)


def ask(llm, questions: list[dict], path: Path) -> None:
    """Ask every dev question through the llm answerer; save one line per question (its trace, if asked)."""
    llm.traces = []
    rows = []
    for i in range(0, len(questions), 16):
        batch = questions[i:i + 16]
        before = len(llm.traces)
        answers = llm.ask_many([q["question"] for q in batch])
        traces = iter(llm.traces[before:])
        for q, a in zip(batch, answers):
            trace = next(traces) if not a.refused and a.hits else None     # one trace per question asked
            rows.append({"id": q["id"], "kind": q["kind"], "keys": q.get("answer_keys", []), "refused": a.refused,
                         "extractive": trace["extractive"] if trace else a.text, "trace": trace})
        print(f"{len(rows)}/{len(questions)} {llm.stats.as_dict()}", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def sweep(llm, rows: list[dict]) -> tuple[list[list], list[list]]:
    """Rows of the overlap table (min overlap x max new terms) and of the similarity table."""
    import random

    from assistant.grounding import UNANSWERED, Claim, parse, unit
    from assistant.support import overlap
    starts = {(s.doc_id, s.start): s for group in llm.table.by_doc.values() for s in group}
    prepared, rng = [], random.Random(19)
    for r in rows:
        t = r["trace"]
        if not t or t["outcome"] not in ("answered", "unverified", "unanswered", "recheck"):
            prepared.append((r, None, [], False, []))
            continue
        units = {u["n"]: unit(llm.table, starts[(u["doc_id"], u["start"])], u["n"], "") for u in t["units"]}
        reply = parse(t["reply"])
        claims = [c for c in reply.claims if c.text.strip(" .").upper() != UNANSWERED]
        wrong = []                                 # (similar, random) wrong citations of each well-formed claim
        for c in claims:
            others = [u for n, u in units.items() if n not in c.cited]
            if c.cited and all(n in units for n in c.cited) and others:
                similar = max(others, key=lambda u: overlap(c.text, u.support))
                wrong.append((Claim(c.text, (similar.n,)), Claim(c.text, (rng.choice(others).n,))))
        prepared.append((r, units, claims, reply.says_unanswered, wrong))

    def measure(checker):
        kept = real = similar = randomly = negatives = correct = answerable = 0
        for r, units, claims, unanswered, wrong in prepared:
            lang = r["trace"]["lang"] if r["trace"] else "en"
            good = [c for c in claims if not checker.problems(c, units, lang)] if units else []
            real += len(claims)
            kept += len(good)
            negatives += len(wrong)
            similar += sum(not checker.problems(a, units, lang) for a, _ in wrong)
            randomly += sum(not checker.problems(b, units, lang) for _, b in wrong)
            text = " ".join(c.text for c in good) if good and not unanswered else r["extractive"]
            if r["keys"]:
                answerable += 1
                correct += (not r["refused"]) and metrics.answer_correct(r["keys"], text, r["kind"])
        share = lambda a, b: round(a / b, 3) if b else None           # noqa: E731
        return [real, share(kept, real), negatives, share(similar, negatives), share(randomly, negatives),
                share(correct, answerable)]

    base = llm.checker
    summary(prepared, base)
    by_overlap = [[t, "-" if n is None else n, *measure(dataclasses.replace(base, min_overlap=t, max_new=n))]
                  for t in OVERLAPS for n in MAX_NEW]
    by_similarity = [[u, *measure(dataclasses.replace(base, min_similarity=u))] for u in SIMILARITIES]
    return by_overlap, by_similarity


def summary(prepared, checker) -> None:
    """What the answerer would have shown at the current Settings: model answers, drops and fallbacks."""
    from collections import Counter
    outcomes, sentences, dropped = Counter(), 0, 0
    for r, units, claims, unanswered, _ in prepared:
        if r["trace"] is None:
            continue
        if units is None:
            outcomes[r["trace"]["outcome"]] += 1
            continue
        bad = sum(bool(checker.problems(c, units, r["trace"]["lang"])) for c in claims)
        sentences, dropped = sentences + len(claims), dropped + bad
        outcomes["unanswered" if unanswered else "model answer" if bad < len(claims) else
                 "unverified" if claims else "empty"] += 1
    print(f"At the current Settings (min overlap {checker.min_overlap}, max new {checker.max_new}): "
          f"{sum(outcomes.values())} questions put to the model, {sentences} sentences, {dropped} dropped "
          f"({dropped / max(sentences, 1):.3f}); outcomes {dict(outcomes.most_common())}.\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ask", action="store_true", help="Ask the model first (LMC_LLM_URL must be set).")
    parser.add_argument("--traces", type=Path, default=DEFAULT_TRACES)
    parser.add_argument("--index", default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    llm = _answerer(args.index)
    if args.ask:
        from evals.gold import QUESTIONS
        from evals.run import read_questions
        ask(llm, read_questions(QUESTIONS, "dev"), args.traces)
    rows = [json.loads(line) for line in args.traces.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_overlap, by_similarity = sweep(llm, rows)
    head = ["sentences", "kept", "wrong citations", "similar accepted", "random accepted", "accuracy"]
    print(f"Dev split, {len(rows)} questions, {sum(bool(r['trace']) for r in rows)} put to the model; "
          f"accuracy = answer keys found in what would be shown (the extractive answer alone: "
          f"{sweep_baseline(rows)}).\n")
    print(format_table(["min overlap", "max new", *head], by_overlap))
    print()
    print(format_table(["min similarity", *head], by_similarity))


def sweep_baseline(rows: list[dict]) -> float:
    answerable = [r for r in rows if r["keys"]]
    return round(sum((not r["refused"]) and metrics.answer_correct(r["keys"], r["extractive"], r["kind"])
                     for r in answerable) / len(answerable), 3)


if __name__ == "__main__":
    main()
