"""python -m evals.train answers: fit the answer model (assistant/answer_model.json).

Steps, on the LMC dev split and the external sets (evals/train.py loads them):
1. Each question goes through the product's own steps up to the model (Assistant.prepare and
   Assistant.features): its candidate sentences and their features; a candidate is right when it
   holds one of the question's answer keys (its own words, as the answer will quote them).
2. choice: a listwise logistic model over each question's candidates, one per fold (fitted on the
   other folds) and one on everything.
3. coverage: the smallest probability target whose out-of-fold answers reach, on every set, within
   COVERAGE_SLACK of the accuracy the largest target gives, with answers that stay short.
4. refusal: a logistic model over the question-level signals (assistant/model.refusal_features),
   computed with the out-of-fold choice models, so it learns how sure the choice is on questions it
   did not see; its threshold is the highest that keeps out-of-fold false refusals at or below
   MAX_FALSE_REFUSALS on every set with answerable questions. Its negatives are the written
   unanswerable questions (SQuAD 2.0, the LMC traps) and "absent" ones: every ABSENT_EVERY'th
   answerable question asked again without the documents that answer it, as a user's question about
   something the library does not hold. It is fitted on every set, on every set without the absent
   questions, or only on the sets with written unanswerable questions, whichever refuses more of
   all the negatives out of fold.
Each set weighs the same in total. Every fit is deterministic (evals/fit.py).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from statistics import median

import numpy as np

from evals import metrics

CHOICE_L2 = 1e-4
REFUSAL_L2 = 1e-3
COVERAGES = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
COVERAGE_SLACK = 0.01
MAX_FALSE_REFUSALS = 0.05
BATCH = 32
ABSENT_EVERY = 2                 # every 2nd answerable question is also asked without its documents


@dataclass
class Item:
    key: str                         # "<set>:<id>"
    set: str
    fold: int
    question: dict
    prepared: object                 # assistant.answer.Prepared
    features: tuple | None           # Assistant.features(prepared)
    y: np.ndarray                    # 1 for the candidates that hold an answer key

    @property
    def answerable(self) -> bool:
        return bool(self.question["evidence"])


def collect(ts, assistant, log) -> list:
    """Every question of a set, through the product's steps up to the model; then ABSENT_EVERY'th
    answerable question again, asked of the set without the documents that answer it."""
    from tqdm import tqdm
    out = []
    questions = ts.questions
    with tqdm(total=len(questions), desc=f"Preparing {ts.name}", unit="q", file=sys.stderr, leave=False) as bar:
        for i in range(0, len(questions), BATCH):
            batch = questions[i:i + BATCH]
            for q, p in zip(batch, assistant.prepare([q["question"] for q in batch])):
                keys = q.get("answer_keys") or []
                y = np.array([q["evidence"] != [] and any(metrics.key_found(k, c.sentence.text) for k in keys)
                              for c in p.pool], float)
                out.append(Item(f"{ts.name}:{q['id']}", ts.name, q["fold"], q, p, assistant.features(p), y))
            bar.update(len(batch))
    log(f"{ts.name}: {len(out)} questions, {sum(len(i.y) for i in out)} candidate sentences")
    return out + collect_absent(ts, assistant, log)


def collect_absent(ts, assistant, log) -> list:
    """Questions whose answer is not in the documents searched, as users meet them: an answerable
    question asked of the set's documents minus the ones that hold its evidence (its article). A
    question is kept only when no candidate sentence then holds one of its answer keys. These
    items are negatives for the refusal model only (set "<name>-absent", same article fold)."""
    from tqdm import tqdm
    everyone = sorted(ts.texts)
    chosen = [q for q in ts.questions if q["evidence"]][::ABSENT_EVERY]
    groups: dict[tuple, list[dict]] = {}
    for q in chosen:
        owners = {e["doc_id"] for e in q["evidence"]} | set(q.get("doc_ids") or [])
        groups.setdefault(tuple(sorted(owners)), []).append(q)
    out, dropped = [], 0
    with tqdm(total=len(chosen), desc=f"Absent {ts.name}", unit="q", file=sys.stderr, leave=False) as bar:
        for owners, members in groups.items():
            rest = [d for d in everyone if d not in owners]
            for i in range(0, len(members), BATCH):
                batch = members[i:i + BATCH]
                for q, p in zip(batch, assistant.prepare([q["question"] for q in batch], doc_ids=rest)):
                    keys = q.get("answer_keys") or []
                    if any(metrics.key_found(k, c.sentence.text) for k in keys for c in p.pool):
                        dropped += 1
                        continue
                    item = dict(q, evidence=[])
                    out.append(Item(f"{ts.name}-absent:{q['id']}", f"{ts.name}-absent", q["fold"], item, p,
                                    assistant.features(p), np.zeros(len(p.pool))))
                bar.update(len(batch))
    log(f"{ts.name}-absent: {len(out)} questions without their documents ({dropped} dropped: a key was still found)")
    return out


def set_weights(items: list[Item]) -> dict[str, float]:
    """key -> weight: each set weighs the same in total."""
    count: dict[str, int] = {}
    for it in items:
        count[it.set] = count.get(it.set, 0) + 1
    return {it.key: 1.0 / count[it.set] for it in items}


def fit_choice(items: list[Item]) -> np.ndarray:
    from evals.fit import fit_listwise
    w = set_weights(items)
    groups = [(it.features[0], it.y, w[it.key]) for it in items if it.features is not None and it.answerable]
    return fit_listwise(groups, l2=CHOICE_L2)


def model_of(choice, refusal=None, coverage=0.8, version="draft"):
    """An AnswerModel from fitted parts (refusal: (mean, scale, weights, bias, threshold))."""
    from assistant.model import REFUSAL, AnswerModel
    from assistant.features import FEATURES
    mean, scale, weights, bias, threshold = refusal or (np.zeros(len(REFUSAL)), np.ones(len(REFUSAL)),
                                                        np.zeros(len(REFUSAL)), 10.0, 0.0)
    return AnswerModel(version, FEATURES, np.asarray(choice, float), np.asarray(mean, float),
                       np.asarray(scale, float), np.asarray(weights, float), float(bias), float(threshold),
                       float(coverage))


def answer_text(assistant, judged) -> str:
    return " ".join(assistant.documents[c.candidate.sentence.doc_id][c.start:c.end] for c in judged.choices)


def outcomes(items, judged_of, assistant_of) -> dict[str, dict]:
    """key -> {correct (ignoring refusal), chars, answerable probability}."""
    out = {}
    for it in items:
        j = judged_of[it.key]
        if j is None:
            out[it.key] = {"correct": False, "chars": 0, "p": 0.0}
            continue
        text = answer_text(assistant_of[it.set], j)
        ok = it.answerable and metrics.answer_correct(it.question.get("answer_keys") or [], text, it.question["kind"])
        out[it.key] = {"correct": ok, "chars": len(text), "p": j.answerable}
    return out


def oof_judged(items, choices_by_fold, assistant_of, coverage, refusal_by_fold=None) -> dict:
    """Each question judged by the models of the fold that did not see it."""
    out = {}
    for it in items:
        refusal = refusal_by_fold[it.fold] if refusal_by_fold else None
        model = model_of(choices_by_fold[it.fold], refusal, coverage)
        out[it.key] = assistant_of[it.set].judge(it.prepared, model, it.features)
    return out


def pick_coverage(items, choices_by_fold, assistant_of, log) -> tuple[float, dict]:
    table = {}
    for cov in COVERAGES:
        res = outcomes(items, oof_judged(items, choices_by_fold, assistant_of, cov), assistant_of)
        table[cov] = {name: (float(np.mean([res[it.key]["correct"] for it in items if it.set == name and it.answerable])),
                             float(median([res[it.key]["chars"] for it in items if it.set == name])))
                      for name in sorted({it.set for it in items if it.answerable})}
        log(f"coverage {cov}: " + ", ".join(f"{n} {a:.3f}/{c:.0f}" for n, (a, c) in table[cov].items()))
    best = {n: max(table[c][n][0] for c in COVERAGES) for n in table[COVERAGES[0]]}
    chosen = next(c for c in COVERAGES if all(table[c][n][0] >= best[n] - COVERAGE_SLACK for n in best))
    return chosen, table


def fit_refusal(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray):
    from evals.fit import fit_binary
    mean = rows.mean(0)
    scale = rows.std(0) + 1e-6
    w, b = fit_binary((rows - mean) / scale, labels, l2=REFUSAL_L2, sample_weight=weights)
    return mean, scale, w, b


def pick_threshold(items, p_of) -> float:
    """The highest threshold whose false refusals stay within MAX_FALSE_REFUSALS on every set."""
    sets = sorted({it.set for it in items if it.answerable})
    for t in np.round(np.arange(0.99, 0.0, -0.01), 2):
        if all(np.mean([p_of[it.key] < t for it in items if it.set == s and it.answerable]) <= MAX_FALSE_REFUSALS
               for s in sets):
            return float(t)
    return 0.0


def train_answers(sets, args, log) -> None:
    from assistant.answer import Assistant
    from assistant.model import MODEL_FILE
    from evals.train import FOLDS, _version, write_fitted
    items, assistant_of = [], {}
    for ts in sets:
        settings = dataclasses.replace(ts.settings, models_dir=args.out) if args.out else ts.settings
        assistant = Assistant(ts.index, settings, ts.documents)
        _memoise(assistant)
        assistant_of[ts.name] = assistant_of[f"{ts.name}-absent"] = assistant
        items += collect(ts, assistant, log)
    judged_items = [it for it in items if it.features is not None]
    choices = {k: fit_choice([it for it in judged_items if it.fold != k]) for k in range(FOLDS)}
    coverage, cov_table = pick_coverage(items, choices, assistant_of, log)
    judged = oof_judged(items, choices, assistant_of, coverage)
    keys = [it.key for it in items if judged[it.key] is not None]
    signals = {k: judged[k].signals for k in keys}
    weight = set_weights(items)
    by_key = {it.key: it for it in items}
    from assistant.checks import CHECKS
    from assistant.model import REFUSAL
    without = np.array([name not in CHECKS for name in REFUSAL], float)
    for label, mask in (("without the plain checks", without),):
        masked = {k: v * mask for k, v in signals.items()}
        _, p_masked = refusal_cv(items, keys, masked, by_key, weight, choices, coverage, keys)
        t = pick_threshold(items, p_masked)
        print(json.dumps({f"answers_cv ({label})": cv_report(items, outcomes(items, judged, assistant_of),
                                                             p_masked, t), "threshold": t}, indent=1))
    negatives = {it.set for it in items if not it.answerable}
    written = {it.set for it in items if not it.answerable and not it.set.endswith("-absent")}
    scopes = {"every set": keys,
              "every set, without the absent questions": [x for x in keys if not by_key[x].set.endswith("-absent")],
              "the sets with written unanswerable questions": [x for x in keys if by_key[x].set in written]}
    best = None
    for scope, fitted_on in scopes.items():
        refusals, p_of = refusal_cv(items, fitted_on, signals, by_key, weight, choices, coverage, keys)
        threshold = pick_threshold(items, p_of)
        refused = float(np.mean([np.mean([p_of[it.key] < threshold for it in items if it.set == s and not it.answerable])
                                 for s in sorted(negatives)]))
        log(f"refusal fitted on {scope}: threshold {threshold}, mean out-of-fold refusal {refused:.3f}")
        if best is None or refused > best[0] + 1e-9:
            best = (refused, scope, fitted_on, refusals, p_of, threshold)
    _, scope, fitted_on, refusals, p_of, threshold = best
    log(f"refusal: fitted on {scope}")
    final_refusal = fit_refusal(np.array([signals[x] for x in fitted_on]),
                                np.array([by_key[x].answerable for x in fitted_on], float),
                                np.array([weight[x] for x in fitted_on]))
    version = _version("answers", [{"set": it.set} for it in items])
    final = model_of(fit_choice(judged_items), final_refusal + (threshold,), coverage, version)
    out = write_fitted(args, MODEL_FILE, final,
                       lambda k: model_of(choices[k], refusals[k] + (threshold,), coverage, f"{version}-fold{k}"))
    log(f"wrote {out} ({version}); coverage {coverage}, threshold {threshold}")
    report = cv_report(items, outcomes(items, judged, assistant_of), p_of, threshold)
    print(json.dumps({"answers_cv": report, "coverage": coverage, "threshold": threshold,
                      "coverage_table": {str(c): v for c, v in cov_table.items()}}, indent=1))


def refusal_cv(items, keys, signals, by_key, weight, choices, coverage, judged_keys):
    """Per fold, the refusal model fitted on the other folds' `keys`, and every judged question's
    out-of-fold probability of being answerable."""
    from evals.train import FOLDS
    refusals, p_of = {}, {}
    for k in range(FOLDS):
        train = [x for x in keys if by_key[x].fold != k]
        refusals[k] = fit_refusal(np.array([signals[x] for x in train]),
                                  np.array([by_key[x].answerable for x in train], float),
                                  np.array([weight[x] for x in train]))
        m = model_of(choices[k], refusals[k] + (0.0,), coverage)
        p_of.update({x: m.answerable(signals[x]) for x in judged_keys if by_key[x].fold == k})
    p_of.update({it.key: 0.0 for it in items if it.key not in p_of})
    return refusals, p_of


def cv_report(items, res, p_of, threshold) -> dict:
    """Out-of-fold figures per set: accuracy (answered and right), false refusals, refusals."""
    out = {}
    for name in sorted({it.set for it in items}):
        yes = [it for it in items if it.set == name and it.answerable]
        no = [it for it in items if it.set == name and not it.answerable]
        refused = {it.key: p_of[it.key] < threshold for it in yes + no}
        out[name] = {"n": len(yes) + len(no),
                     "accuracy": round(float(np.mean([res[it.key]["correct"] and not refused[it.key] for it in yes])), 4),
                     "choice_only": round(float(np.mean([res[it.key]["correct"] for it in yes])), 4),
                     "false_refusals": round(float(np.mean([refused[it.key] for it in yes])), 4),
                     "refusal": round(float(np.mean([refused[it.key] for it in no])), 4) if no else None,
                     "median_chars": median([res[it.key]["chars"] for it in yes + no])}
    return out


def _memoise(assistant) -> None:
    """The index's leg candidates and the embedders' question vectors, computed once per question."""
    index = assistant.index
    seen, original = {}, index.candidates

    def candidates(queries, pool, legs=None):
        key = lambda q: (q, pool, None if legs is None else tuple(sorted(legs)))   # noqa: E731
        todo = [q for q in dict.fromkeys(queries) if key(q) not in seen]
        if todo:
            seen.update(zip(map(key, todo), original(todo, pool, legs)))
        return [seen[key(q)] for q in queries]

    index.candidates = candidates
    for embedder, _ in index.dense.values():
        recent = getattr(embedder, "_recent", None)
        if recent is not None:
            recent.size = 1_000_000
