"""Fit the learned parts from several question sets, and measure them on articles they did not see.

    python -m evals.train fusion            # index/fusion.json: the search's fusion weights
    python -m evals.train answers           # assistant/answer_model.json: sentence choice and refusal
    python -m evals.train all --cv          # both, with cross-validated figures by article fold
    python -m evals.train all --folds-dir .lmc/models   # also one model per fold (lmc eval --squad --cv)

Data: the LMC gold set's dev split (never test or holdout) and the SQuAD-format sets in
--external (default ../shared/external, read where they are): XQuAD en and zh, XQuAD's Chinese
questions over its English articles, two SQuAD 2.0 articles with unanswerable questions, and the
CMRC 2018 trial set. Each set weighs the same in total, however many questions it has.

Folds are by article (evals.squad.fold_of), never by question; the LMC dev split's folds are its
five documents (lmc_fold). The LMC figures to trust are test and holdout, which nothing here reads.
Every fit is deterministic (evals/fit.py): the same data gives the same files.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals import metrics

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external"
SETS = {                      # name: (questions file, documents file or None)
    "xquad-en": ("xquad.en.dev.json", None),
    "xquad-zh": ("xquad.zh.dev.json", None),
    "xquad-zh-en": ("xquad.zh.dev.json", "xquad.en.dev.json"),
    "squad2": ("squad2.dev-subset.json", None),
    "cmrc": ("cmrc2018.trial.json", None),
}
FOLDS = 5
FUSION_L2 = 1e-3


@dataclass
class TrainSet:
    name: str
    questions: list[dict]          # gold questions; "fold" is -1 for the LMC dev split (always trained on)
    documents: list
    index: object
    settings: object

    @property
    def texts(self) -> dict[str, str]:
        return {d.doc_id: d.text for d in self.documents}


def load_sets(settings, external: Path, names=None, log=print) -> list[TrainSet]:
    """The LMC dev split and the external sets, each with its (cached) index."""
    from corpus import load_documents
    from evals.gold import QUESTIONS
    from evals.run import read_questions
    from evals.squad import load_squad
    from evals.squad_eval import open_squad_index
    from index.store import open_index
    out = []
    if names is None or "lmc-dev" in names:
        docs = load_documents(settings.corpus_dir)
        questions = [dict(q, fold=lmc_fold(q, docs), article="lmc") for q in read_questions(QUESTIONS, "dev")]
        out.append(TrainSet("lmc-dev", questions, docs, open_index(settings, log=log), settings))
    for name, (qfile, dfile) in SETS.items():
        if names is not None and name not in names:
            continue
        path = Path(external) / qfile
        if not path.exists():
            raise SystemExit(f"{path} not found; give --external the folder of the SQuAD-format sets")
        qset = load_squad(path, Path(external) / dfile if dfile else None)
        index, own = open_squad_index(qset, settings, log=log)
        out.append(TrainSet(name, qset.questions, qset.documents, index, own))
    return out


def lmc_fold(q: dict, docs) -> int:
    """The LMC corpus's own folds are its documents: a question's fold is its first evidence
    document's place among them (an unanswerable one's, a hash of its id)."""
    import hashlib
    ids = sorted(d.doc_id for d in docs)
    if q.get("evidence"):
        return ids.index(q["evidence"][0]["doc_id"]) % FOLDS
    return int(hashlib.sha256(str(q["id"]).encode()).hexdigest(), 16) % FOLDS


class Memo:
    """The legs' candidates of each question, computed once (the embedders are the slow part)."""

    def __init__(self, index, pool: int):
        self.index, self.pool, self._seen = index, pool, {}

    def __call__(self, queries: list[str]) -> list[dict]:
        todo = [q for q in dict.fromkeys(queries) if q not in self._seen]
        for i in range(0, len(todo), 32):
            batch = todo[i:i + 32]
            self._seen.update(zip(batch, self.index.candidates(batch, self.pool, None)))
        return [self._seen[q] for q in queries]


# ---------- fusion ----------
def fusion_groups(ts: TrainSet, memo: Memo) -> list[dict]:
    """One group per answerable question: its candidate rows' features and which rows are relevant."""
    texts = ts.texts
    answerable = [q for q in ts.questions if q["evidence"]]
    out = []
    for q, legs in zip(answerable, memo([q["question"] for q in answerable])):
        rows, X, lang = ts.index.fusion_features(legs, q["question"])
        spans = metrics.locate(q["evidence"], texts)
        y = np.array([bool(metrics.covered_spans(ts.index.chunks[r], spans)) for r in rows.tolist()], float)
        out.append({"id": f"{ts.name}:{q['id']}", "set": ts.name, "fold": q["fold"], "lang": lang, "X": X, "y": y,
                    "rows": rows})
    return out


def _weights(groups: list[dict]) -> list[float]:
    """Each set weighs the same in total within a language."""
    count: dict = {}
    for g in groups:
        count[(g["set"], g["lang"])] = count.get((g["set"], g["lang"]), 0) + 1
    return [1.0 / count[(g["set"], g["lang"])] for g in groups]


def fit_fusion(groups: list[dict]):
    from evals.fit import fit_listwise
    from index.fusion import Fusion
    weights = {}
    for lang in ("en", "zh"):
        mine = [g for g in groups if g["lang"] == lang]
        w = _weights(mine)
        weights[lang] = fit_listwise([(g["X"], g["y"], x) for g, x in zip(mine, w)], l2=FUSION_L2)
    return Fusion({k: v.tolist() for k, v in weights.items()}, version=_version("fusion", groups))


def ranks(groups: list[dict], fusion) -> dict[str, int | None]:
    """id -> rank of the first relevant chunk among the top 10 (None when none is)."""
    out = {}
    for g in groups:
        order = np.lexsort((g["rows"], -fusion.score(g["lang"], g["X"])))[:metrics.K]
        out[g["id"]] = next((n for n, i in enumerate(order, 1) if g["y"][i] > 0), None)
    return out


def retrieval_figures(rank_of: dict, ids: list[str]) -> dict:
    r = [rank_of[i] for i in ids]
    n = len(r) or 1
    return {"n": len(r), "success@1": round(sum(x == 1 for x in r) / n, 4),
            "success@5": round(sum(x is not None and x <= 5 for x in r) / n, 4),
            "mrr@10": round(sum(1 / x for x in r if x) / n, 4)}


def cross_validate(groups: list[dict], fit, predict, folds: int = FOLDS) -> dict:
    """Out-of-fold predictions for every external question: fold k's come from a model fitted on
    the other folds (and the LMC dev split)."""
    out = {}
    for k in range(folds):
        model = fit([g for g in groups if g["fold"] != k])
        out.update(predict([g for g in groups if g["fold"] == k], model))
    return out


def _version(kind: str, groups: list[dict]) -> str:
    sets = sorted({g["set"] for g in groups})
    return f"{kind}-{time.strftime('%Y%m%d')}-{len(groups)}q-{'+'.join(sets)}"


# ---------- command line ----------
def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evals.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=["fusion", "answers", "all"])
    parser.add_argument("--external", type=Path, default=EXTERNAL, help="folder of the SQuAD-format sets")
    parser.add_argument("--sets", default=None, help="comma-separated subset of: lmc-dev," + ",".join(SETS))
    parser.add_argument("--cv", action="store_true", help="print cross-validated figures by article fold")
    parser.add_argument("--out", type=Path, default=None, help="where the fitted files go (default: the package)")
    parser.add_argument("--folds-dir", type=Path, default=None, help="also write one model per fold here")
    args = parser.parse_args(argv)
    from assistant.config import Settings
    settings = Settings()
    log = lambda m: print(m, file=sys.stderr)      # noqa: E731
    sets = load_sets(settings, args.external, args.sets.split(",") if args.sets else None, log=log)
    if args.part in ("fusion", "all"):
        train_fusion(sets, args, log)
    if args.part in ("answers", "all"):
        from evals.train_answers import train_answers
        train_answers(sets, args, log)


def write_fitted(args, default: Path, final, fold_model) -> Path:
    """Write a fitted model (to --out, else the package's default file) and, with --folds-dir, the
    model of each fold (fold_model(k)) beside it under foldK/; returns where the final one went."""
    from index.persist import write_atomic
    out = (args.out / default.name) if args.out else default
    write_atomic(out, final.to_json() + "\n")
    if args.folds_dir:
        for k in range(FOLDS):
            write_atomic(args.folds_dir / f"fold{k}" / default.name, fold_model(k).to_json() + "\n")
    return out


def train_fusion(sets: list[TrainSet], args, log) -> None:
    from index.fusion import WEIGHTS_FILE
    groups = []
    for ts in sets:
        log(f"fusion: {ts.name}…")
        groups += fusion_groups(ts, Memo(ts.index, ts.settings.candidates))
    fusion = fit_fusion(groups)
    out = write_fitted(args, WEIGHTS_FILE, fusion, lambda k: fit_fusion([g for g in groups if g["fold"] != k]))
    log(f"wrote {out} ({fusion.version})")
    if args.cv:
        oof = cross_validate(groups, fit_fusion, lambda gs, m: ranks(gs, m))
        report = {}
        for name in sorted({g["set"] for g in groups}):
            ids = [g["id"] for g in groups if g["set"] == name]
            report[name] = retrieval_figures(oof, ids)
        print(json.dumps({"fusion_cv": report}, indent=1))


if __name__ == "__main__":
    main()
