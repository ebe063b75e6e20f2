"""Choose the sentence-score weights (Settings.answer_weights, answer_context, answer_min_gain,
answer_keep_ratio) on the DEV split by coordinate ascent on answer-key accuracy.

    python -m evals.answer_tune                # prints the best values found; copy them into Settings

Retrieval and candidate sentences are prepared once; each trial re-runs choice, refusal and
verification. The objective is the share of dev questions handled right (the keys in the answer,
or a refusal for an unanswerable one). A change is taken only when it wins at least MIN_GAIN
questions, or keeps the score with a median answer 10% shorter: gains of one question did not carry
over to the test split. Test questions are never read.
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
         "clash": (0.0, -0.2, -0.4, -0.6, -1.0), "minilm": (0.0, 0.3, 0.6, 1.0)}
MIN_GAIN = 2      # questions a change must win to be taken (one question is noise on ~90 questions)
OTHER = {"context": (0.3, 0.5, 0.7, 0.9), "min_gain": (0.05, 0.1, 0.15, 0.25, 0.4),
         "keep_ratio": (0.5, 0.6, 0.7, 0.8, 0.9)}


def evaluate(assistant, prepared, gold, tuning) -> tuple[float, float]:
    """(share of questions handled right, median answer length): an answerable question is right
    when its answer holds the keys, an unanswerable one when it is refused. The whole answer path
    runs (choice, refusal, verification)."""
    ok, lengths = [], []
    for p, q in zip(prepared, gold):
        answer = assistant._answer(p, assistant.settings.k, tuning)
        if q["kind"] == "unanswerable":
            ok.append(answer.refused)
        else:
            ok.append(not answer.refused and correct(q, answer.text))
            lengths.append(len(answer.text))
    return sum(ok) / len(ok), statistics.median(lengths) if lengths else 0.0


def tune(assistant, prepared, gold, rounds: int = 3):
    tuning = assistant.tuning
    best = evaluate(assistant, prepared, gold, tuning)
    print(f"start: right {best[0]:.3f}, median {best[1]:.0f} chars")
    for r in range(rounds):
        changed = False
        for name, values in list(STEPS.items()) + list(OTHER.items()):
            for v in values:
                if name in STEPS:
                    trial = dataclasses.replace(tuning, weights=dict(tuning.weights, **{name: v}))
                else:
                    trial = dataclasses.replace(tuning, **{name: v})
                acc, med = evaluate(assistant, prepared, gold, trial)
                if acc >= best[0] + MIN_GAIN / len(gold) - 1e-9 or (acc >= best[0] - 1e-9 and med < 0.9 * best[1]):
                    best, tuning, changed = (acc, med), trial, True
                    print(f"round {r + 1}: {name}={v} -> right {acc:.3f}, median {med:.0f}")
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
    from corpus import load_corpus
    assistant = Assistant(open_index(settings, log=lambda m: None, progress=False), settings, load_corpus(settings))
    gold = load_questions(split="dev")
    prepared = assistant.prepare([q["question"] for q in gold])
    tuning, (acc, med) = tune(assistant, prepared, gold)
    print(f"best on dev: right {acc:.3f} (answered with the keys, or refused when unanswerable), "
          f"median {med:.0f} chars")
    print(f"answer_weights = {tuple(tuning.weights[f] for f in FEATURES)}  # {', '.join(FEATURES)}")
    print(f"answer_context = {tuning.context}, answer_min_gain = {tuning.min_gain}, "
          f"answer_keep_ratio = {tuning.keep_ratio}")


if __name__ == "__main__":
    main()
