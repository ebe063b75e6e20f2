"""Choose the sentence-score weights (Settings.answer_weights, answer_context, answer_min_gain,
answer_keep_ratio) on the DEV split by coordinate ascent on answer-key accuracy.

    python -m evals.answer_tune                # prints the best values found; copy them into Settings

Retrieval and candidate sentences are prepared once; each trial only re-weighs and re-chooses.
Ties go to the shorter median answer. Test questions are never read.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
from pathlib import Path

from evals.answer_check import correct

STEPS = {"focus": (0.0, 0.5, 1.0, 1.5, 2.0), "lex": (0.0, 0.5, 1.0, 1.5, 2.0),
         "sem": (0.0, 0.3, 0.6, 1.0), "prior": (0.0, 0.2, 0.4, 0.6, 0.8), "type": (0.0, 0.2, 0.4, 0.6, 0.9),
         "novelty": (0.0, 0.2, 0.4, 0.6), "zh": (0.0, 0.1, 0.2, 0.4, 0.6),
         "clash": (0.0, -0.2, -0.4, -0.6, -1.0)}
OTHER = {"context": (0.3, 0.5, 0.7, 0.9), "min_gain": (0.05, 0.1, 0.15, 0.25, 0.4),
         "keep_ratio": (0.5, 0.6, 0.7, 0.8, 0.9)}


def evaluate(assistant, prepared, gold, tuning, tables) -> tuple[float, float]:
    from assistant.extract import choose, score_table
    ok, lengths = [], []
    for p, q in zip(prepared, gold):
        key = (p.question, tuning.context)
        if key not in tables:
            tables[key] = score_table(p.pool, p.q, assistant.table, tuning.context)
        if not p.pool:
            ok.append(False)
            continue
        choices = choose(p.pool, tables[key], p.q, assistant.table, tuning)
        text = " ".join(assistant.documents[c.candidate.sentence.doc_id][c.start:c.end] for c in choices)
        ok.append(correct(q, text))
        lengths.append(len(text))
    return sum(ok) / len(ok), statistics.median(lengths) if lengths else 0.0


def tune(assistant, prepared, gold, rounds: int = 3):
    tuning = assistant.tuning
    tables: dict = {}
    best = evaluate(assistant, prepared, gold, tuning, tables)
    print(f"start: accuracy {best[0]:.3f}, median {best[1]:.0f} chars")
    for r in range(rounds):
        changed = False
        for name, values in list(STEPS.items()) + list(OTHER.items()):
            for v in values:
                if name in STEPS:
                    trial = dataclasses.replace(tuning, weights=dict(tuning.weights, **{name: v}))
                else:
                    trial = dataclasses.replace(tuning, **{name: v})
                acc, med = evaluate(assistant, prepared, gold, trial, tables)
                if (acc, -med) > (best[0], -best[1]):
                    best, tuning, changed = (acc, med), trial, True
                    print(f"round {r + 1}: {name}={v} -> accuracy {acc:.3f}, median {med:.0f}")
        if not changed:
            break
    return tuning, best


def main() -> None:
    from assistant.answer import FEATURES, Assistant
    from assistant.config import Settings
    from evals.gold import load_questions
    from index.store import open_index
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=None)
    args = parser.parse_args()
    settings = Settings() if args.index is None else dataclasses.replace(Settings(), index_dir=Path(args.index))
    assistant = Assistant(open_index(settings, log=lambda m: None, progress=False), settings)
    gold = [q for q in load_questions(split="dev") if q["kind"] != "unanswerable"]
    prepared = assistant.prepare([q["question"] for q in gold])
    tuning, (acc, med) = tune(assistant, prepared, gold)
    print(f"best on dev: accuracy {acc:.3f}, median {med:.0f} chars")
    print(f"answer_weights = {tuple(tuning.weights[f] for f in FEATURES)}  # {', '.join(FEATURES)}")
    print(f"answer_context = {tuning.context}, answer_min_gain = {tuning.min_gain}, "
          f"answer_keep_ratio = {tuning.keep_ratio}")


if __name__ == "__main__":
    main()
