"""How far the answer step's own signals can go: cross-validated ceilings on the DEV split.

    python -m evals.ceiling              # dev split, five folds; prints the figures (~30 s)
    python -m evals.ceiling --json

The shipped weights and refusal rules were chosen on all of dev, so their dev figures are in-sample.
Here models are fit on four fifths of the dev questions and judged on the fifth they never saw:

- reach:     the share of answerable questions with an answer key in any candidate sentence of
             the passages the answer draws from (what no choice of sentence can beat);
- choice:    a listwise logistic model over the answer features of every candidate sentence
             (assistant.answer.FEATURES): the share of the reached questions whose top sentence
             holds a key, beside the shipped weights' share on the same questions (in-sample);
- refusal:   a logistic model over the soft signals of the chosen sentences (their features,
             coverage, focus, missing numbers, retrieval cosine, score; not the rule checks):
             ROC AUC for telling unanswerable from answerable questions, and the share of
             unanswerable questions it refuses when it refuses 5% of the answerable ones.

The test split is never read.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

FOLDS = 5
FALSE_REFUSALS = 0.05


def fit_listwise(groups: list[np.ndarray], labels: list[np.ndarray], l2: float = 1e-3) -> np.ndarray:
    """Weights w maximising the mean log-probability, under softmax(X @ w) within each group, of
    that group's positive rows (a group with none is skipped)."""
    import torch
    pairs = [(torch.tensor(x, dtype=torch.float64), torch.tensor(y > 0)) for x, y in zip(groups, labels)
             if y.any()]
    w = torch.zeros(groups[0].shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = sum(torch.logsumexp(x @ w, 0) - torch.logsumexp((x @ w)[y], 0) for x, y in pairs)
        loss = loss / len(pairs) + l2 * (w @ w)
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy()


def folds(n: int, k: int = FOLDS, seed: int = 0) -> list[np.ndarray]:
    return np.array_split(np.random.default_rng(seed).permutation(n), k)


def choice_ceiling(groups: list[np.ndarray], labels: list[np.ndarray], k: int = FOLDS) -> float:
    """Cross-validated share of groups whose best-scored row is a positive one."""
    right = []
    for held in folds(len(groups), k):
        out = set(held.tolist())
        w = fit_listwise([groups[i] for i in range(len(groups)) if i not in out],
                         [labels[i] for i in range(len(groups)) if i not in out])
        right += [bool(labels[i][int(np.argmax(groups[i] @ w))]) for i in held]
    return float(np.mean(right))


def refusal_ceiling(x: np.ndarray, unanswerable: np.ndarray, k: int = FOLDS) -> tuple[float, float]:
    """(cross-validated ROC AUC, refusal rate at FALSE_REFUSALS) of a logistic model on x."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    model = LogisticRegression(C=1.0, max_iter=5000)
    p = cross_val_predict(model, x, unanswerable, cv=StratifiedKFold(k, shuffle=True, random_state=0),
                          method="predict_proba")[:, 1]
    threshold = np.quantile(p[~unanswerable], 1 - FALSE_REFUSALS)
    return float(roc_auc_score(unanswerable, p)), float(np.mean(p[unanswerable] > threshold))


def collect():
    """Feature rows of the dev questions from the product's own answer path: per answerable
    question the candidates' features and whether each holds a key; per question the soft refusal
    signals of the sentences Assistant.choose picks."""
    from assistant.answer import FEATURES, Assistant
    from assistant.config import Settings
    from assistant.extract import _value, score_table
    from evals.gold import load_questions
    from evals.metrics import answer_correct
    from index.store import open_index
    settings = Settings()
    from corpus import load_corpus
    assistant = Assistant(open_index(settings, log=lambda m: None, progress=False), settings, load_corpus(settings))
    questions = load_questions(split="dev")
    prepared = assistant.prepare([q["question"] for q in questions], k=settings.k)
    groups, labels, shipped, reach, rows, unanswerable = [], [], [], [], [], []
    for p, q in zip(prepared, questions):
        chosen, signals = assistant.choose(p)
        best = chosen[0].candidate.scores if chosen else {}
        soft = [signals.coverage, signals.focus, signals.missing, signals.cosine, signals.score] if signals \
            else [0.0, 0.0, 1.0, 0.0, 0.0]
        rows.append([best.get(f, 0.0) for f in FEATURES] + soft + [float(p.q.lang == "zh")])
        unanswerable.append(q["kind"] == "unanswerable")
        if q["kind"] == "unanswerable":
            continue
        keyed = np.array([any(answer_correct([key], c.text, "factoid") for key in q["answer_keys"])
                          for c in p.pool], dtype=float)
        reach.append(bool(keyed.any()))
        if not keyed.any():
            continue
        table = score_table(p.pool, p.q, assistant.table, assistant.tuning.context)
        groups.append(np.array([[f[name] for name in FEATURES] for f in table.whole]))
        labels.append(keyed)
        shipped.append(bool(keyed[int(np.argmax([_value(f, assistant.tuning) for f in table.whole]))]))
    return groups, labels, shipped, reach, np.array(rows), np.array(unanswerable)


def measure() -> dict:
    groups, labels, shipped, reach, rows, unanswerable = collect()
    auc, refusal = refusal_ceiling(rows, unanswerable)
    return {"split": "dev", "answerable": len(reach), "unanswerable": int(unanswerable.sum()),
            "reach": round(float(np.mean(reach)), 3),
            "choice_shipped_in_sample": round(float(np.mean(shipped)), 3),
            "choice_cross_validated": round(choice_ceiling(groups, labels), 3),
            "refusal_auc_cross_validated": round(auc, 3),
            f"refusal_at_{FALSE_REFUSALS:.0%}_false_refusals": round(refusal, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = measure()
    if args.json:
        print(json.dumps(report))
        return
    for key, value in report.items():
        print(f"{key:>36}: {value}")


if __name__ == "__main__":
    main()
