"""Fusion of the legs' candidates: fixed weights (fuse), or the learned model (Fusion).

The learned model scores a chunk from what the index holds, not from one corpus's tuning:

  for each leg (bm25, dense, multilingual, translated, e5): its min-max normalised score over the
  leg's candidates (0 when the chunk is not among them), alone and times
    share  the share of the index's chunks in the question's language (an English corpus, a
           Chinese one, or a mix such as the LMC corpus with its one bilingual report),
    same   the chunk is in the question's language ("zh+en" counts for both),
    both   the chunk is bilingual;
  then same, same * share, both, named (the question names the chunk's document) and clash (the
  chunk names only other years than the question, or none when its document's title names others).

One weight vector per question language, fitted by `python -m evals.train fusion` (a listwise
softmax over each question's candidates, on the LMC dev split and the external question sets)
and read from index/fusion.json, whose version every evaluation report records
(its config.weights.fusion).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

LEGS = ("bm25", "dense", "multilingual", "translated", "e5")
FEATURES = tuple(f"{leg}{suffix}" for suffix in ("", "*share", "*same", "*both") for leg in LEGS) + \
    ("same", "same*share", "both", "named", "clash")
WEIGHTS_FILE = Path(__file__).resolve().parent / "fusion.json"


def top(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and scores of the n best entries of a dense score vector, best first."""
    n = min(n, len(scores))
    if n <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return idx, scores[idx]


def normalise(scores: np.ndarray) -> np.ndarray:
    if len(scores) == 0:
        return scores
    lo, hi = float(scores.min()), float(scores.max())
    if hi - lo < 1e-9:
        return np.where(scores > 0, 1.0, 0.0).astype(np.float32) if hi > 0 else np.zeros_like(scores)
    return ((scores - lo) / (hi - lo)).astype(np.float32)


def fuse(legs: dict[str, tuple[np.ndarray, np.ndarray]], weights: dict[str, float]) -> dict[int, float]:
    """Fixed weights. legs: name -> (row indices, raw scores) of its candidates. Returns row -> score.

    A row missing from a leg's candidates gets 0 from that leg. Weights are divided by their sum,
    so the fused score stays in [0, 1].
    """
    total = sum(w for name, w in weights.items() if name in legs and w > 0) or 1.0
    fused: dict[int, float] = {}
    for name, (rows, raw) in legs.items():
        w = weights.get(name, 0.0)
        if w <= 0:
            continue
        for row, s in zip(rows.tolist(), normalise(raw).tolist()):
            fused[row] = fused.get(row, 0.0) + w / total * s
    return fused


def candidate_rows(legs: dict) -> np.ndarray:
    """Every row some leg proposed, sorted."""
    return np.unique(np.concatenate([np.asarray(r, dtype=np.int64) for r, _ in legs.values()]
                                    or [np.zeros(0, np.int64)]))


def features(legs: dict, rows: np.ndarray, same, both, share: float, named, clash) -> np.ndarray:
    """FEATURES of one question's candidate rows (candidate_rows(legs)); same, both, named and
    clash are boolean sequences aligned with rows; share is a number."""
    at = {r: i for i, r in enumerate(rows.tolist())}
    leg_x = np.zeros((len(rows), len(LEGS)), dtype=np.float64)
    for j, leg in enumerate(LEGS):
        if leg in legs and len(legs[leg][0]):
            r, s = legs[leg]
            leg_x[[at[x] for x in np.asarray(r).tolist()], j] = normalise(np.asarray(s, dtype=np.float32))
    col = lambda v: np.asarray(v, dtype=np.float64).reshape(-1, 1)       # noqa: E731
    s_, b_ = col(same), col(both)
    return np.hstack([leg_x, leg_x * share, leg_x * s_, leg_x * b_, s_, s_ * share, b_, col(named), col(clash)])


class Fusion:
    """The learned fusion: weights per question language over FEATURES."""

    def __init__(self, weights: dict[str, list[float]], version: str):
        for lang, w in weights.items():
            if len(w) != len(FEATURES):
                raise ValueError(f"fusion weights for {lang!r} have {len(w)} numbers, not {len(FEATURES)}")
        self.weights = {lang: np.asarray(w, dtype=np.float64) for lang, w in weights.items()}
        self.version = version

    def score(self, lang: str, X: np.ndarray) -> np.ndarray:
        return X @ self.weights["zh" if lang == "zh" else "en"]

    def to_json(self) -> str:
        return json.dumps({"version": self.version, "features": list(FEATURES),
                           "weights": {k: [round(float(x), 6) for x in v] for k, v in self.weights.items()}},
                          indent=1)

    @classmethod
    def read(cls, path: Path = WEIGHTS_FILE) -> "Fusion":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read the fusion weights {path}: {exc}") from None
        if data.get("features") != list(FEATURES):
            raise ValueError(f"fusion weights {path} were fitted on other features; "
                             "run: python -m evals.train fusion")
        return cls(data["weights"], data["version"])


@lru_cache(maxsize=8)
def learned(path: str | None = None) -> Fusion:
    """The fusion weights at `path` (default: the shipped index/fusion.json), read once."""
    return Fusion.read(Path(path) if path else WEIGHTS_FILE)
