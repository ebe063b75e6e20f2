"""Listwise and binary logistic models fitted with numpy and scipy's L-BFGS: deterministic, no pickle.

    w = fit_listwise(groups, l2=1e-2)            # groups: [(X, y, weight)], y marks the right rows
    w, b = fit_binary(X, y, l2=1e-2)

fit_listwise maximises, over the groups (one per question), the softmax probability of the right
rows among the group's rows: the model that ranks a question's candidates. Groups without a right
row, or with one row, teach nothing and are skipped. Both fits start from zeros and use full-batch
L-BFGS, so the same data gives the same weights.
"""

from __future__ import annotations

import numpy as np


def _listwise_loss(w, X, y, starts, gw, l2):
    s = X @ w
    m = np.maximum.reduceat(s, starts)
    sizes = np.diff(np.append(starts, len(s)))
    e = np.exp(s - np.repeat(m, sizes))
    den = np.add.reduceat(e, starts)
    num = np.add.reduceat(e * y, starts)
    loss = -(gw * (np.log(num) - np.log(den))).sum() / gw.sum() + l2 * (w @ w)
    p = e / np.repeat(den, sizes)
    q = e * y / np.repeat(num, sizes)
    grad = X.T @ ((p - q) * np.repeat(gw, sizes)) / gw.sum() + 2 * l2 * w
    return loss, grad


def fit_listwise(groups, l2: float = 1e-2) -> np.ndarray:
    """groups: [(X (n, F), y (n,) of 0/1, weight)]. Returns w (F,)."""
    from scipy.optimize import minimize
    kept = [(np.asarray(X, float), np.asarray(y, float), float(g)) for X, y, g in groups
            if len(y) > 1 and np.asarray(y).sum() > 0]
    if not kept:
        raise ValueError("no group has both a right row and a wrong one")
    X = np.vstack([k[0] for k in kept])
    y = np.concatenate([k[1] for k in kept])
    starts = np.cumsum([0] + [len(k[1]) for k in kept[:-1]])
    gw = np.array([k[2] for k in kept])
    result = minimize(_listwise_loss, np.zeros(X.shape[1]), args=(X, y, starts, gw, l2), jac=True,
                      method="L-BFGS-B", options={"maxiter": 500})
    return result.x


def _binary_loss(wb, X, y, sw, l2):
    w, b = wb[:-1], wb[-1]
    z = X @ w + b
    p = 1 / (1 + np.exp(-z))
    eps = 1e-12
    loss = -(sw * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))).sum() / sw.sum() + l2 * (w @ w)
    g = (p - y) * sw / sw.sum()
    return loss, np.append(X.T @ g + 2 * l2 * w, g.sum())


def fit_binary(X, y, l2: float = 1e-2, sample_weight=None) -> tuple[np.ndarray, float]:
    """Logistic regression: (w, b) with P(y=1) = sigmoid(X @ w + b)."""
    from scipy.optimize import minimize
    X, y = np.asarray(X, float), np.asarray(y, float)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    result = minimize(_binary_loss, np.zeros(X.shape[1] + 1), args=(X, y, sw, l2), jac=True,
                      method="L-BFGS-B", options={"maxiter": 1000})
    return result.x[:-1], float(result.x[-1])


def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, float)))
