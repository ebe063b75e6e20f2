"""Weighted fusion of min-max normalised leg scores over each leg's top candidates."""

from __future__ import annotations

import numpy as np


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
    """legs: name -> (row indices, raw scores) of its candidates. Returns row -> fused score.

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
