"""The learned answer model: which sentence answers, and whether any does.

    model = AnswerModel.read()                      # assistant/answer_model.json (or Settings.models_dir)
    logits = model.logits(X)                        # one per candidate (X: assistant/features.py)
    p = model.answerable(refusal_features(...))     # a calibrated probability

Two logistic models, fitted by `python -m evals.train answers` on the LMC dev split and the
external question sets (folds by article) and stored as plain JSON with their version:
  choice   a listwise softmax over a question's candidate sentences (assistant/features.py);
  refusal  P(the documents answer the question), from the question-level signals below; the
           question is refused below `threshold`, chosen on held-out folds so that at most 5% of
           answerable questions are refused on any set.
`coverage` is how much probability the chosen sentences must gather (assistant/choice.py).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.checks import CHECKS
from assistant.features import FEATURES

MODEL_FILE = Path(__file__).resolve().parent / "answer_model.json"
REFUSAL = ("top_logit", "top_prob", "margin", "lex", "focus", "e5", "sem", "minilm", "type", "bigram", "clash",
           "wants", "type_missing", "missing", "uncovered", "uncovered_sentence", "clash_all", "passage", "zh",
           "crosslingual") + CHECKS
NUMBER = re.compile(r"\d+(?:th)?")


class ModelError(ValueError):
    """The model file is missing, of another version of the features, or damaged."""


@dataclass(frozen=True)
class AnswerModel:
    version: str
    features: tuple[str, ...]
    choice: np.ndarray
    refusal_mean: np.ndarray
    refusal_scale: np.ndarray
    refusal_weights: np.ndarray
    refusal_bias: float
    threshold: float
    coverage: float

    def logits(self, X: np.ndarray) -> np.ndarray:
        return X @ self.choice if len(X) else np.zeros(0)

    def answerable(self, r: np.ndarray) -> float:
        z = ((r - self.refusal_mean) / self.refusal_scale) @ self.refusal_weights + self.refusal_bias
        return 1.0 / (1.0 + math.exp(-float(np.clip(z, -30, 30))))

    def to_json(self) -> str:
        def nums(a):
            return [round(float(x), 6) for x in a]
        return json.dumps({
            "version": self.version, "features": list(self.features), "choice": nums(self.choice),
            "refusal": {"features": list(REFUSAL), "mean": nums(self.refusal_mean),
                        "scale": nums(self.refusal_scale), "weights": nums(self.refusal_weights),
                        "bias": round(self.refusal_bias, 6), "threshold": round(self.threshold, 6)},
            "coverage": round(self.coverage, 6)}, indent=1)

    @classmethod
    def read(cls, path: Path | None = None) -> "AnswerModel":
        path = Path(path) if path else MODEL_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            features, refusal = tuple(data["features"]), data["refusal"]
            if features != FEATURES or tuple(refusal["features"]) != REFUSAL:
                raise ModelError(f"the answer model {path} was fitted on other features; "
                                 "run: python -m evals.train answers")
            return cls(data["version"], features, np.asarray(data["choice"], float),
                       np.asarray(refusal["mean"], float), np.asarray(refusal["scale"], float),
                       np.asarray(refusal["weights"], float), float(refusal["bias"]),
                       float(refusal["threshold"]), float(data["coverage"]))
        except FileNotFoundError:
            raise ModelError(f"the answer model {path} is missing; run: python -m evals.train answers") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, ModelError):
                raise
            raise ModelError(f"the answer model {path} is damaged ({type(exc).__name__}: {exc})") from None


@lru_cache(maxsize=8)
def load_model(path: str | None = None) -> AnswerModel:
    return AnswerModel.read(Path(path) if path else None)


def softmax(s: np.ndarray) -> np.ndarray:
    if not len(s):
        return s
    e = np.exp(s - s.max())
    return e / e.sum()


def refusal_features(q, X: np.ndarray, logits: np.ndarray, chosen: list, rows: list[int], hits: list,
                     around: set, idf, typed: bool, checked: np.ndarray) -> np.ndarray:
    """The question-level signals REFUSAL, from the candidates' features X and logits, the chosen
    sentences (assistant/choice.Choice) and their rows in X, the terms around them (`around`: their sentences, neighbours
    and passages), an idf function, whether a chosen sentence holds the kind of answer asked for,
    and the plain checks (assistant/checks.py)."""
    f = {n: i for i, n in enumerate(FEATURES)}
    order = np.argsort(-logits, kind="stable")
    best = X[order[0]]
    p = softmax(logits)
    asked = [t for t, _ in q.english] if q.lang == "zh" and chosen and chosen[0].candidate.sentence.lang == "en" \
        else list(q.tokens)
    numbers = [t for t in q.tokens if NUMBER.fullmatch(t)]
    missing = sum(t not in around for t in numbers) / len(numbers) if numbers else 0.0
    weights = [idf(t) for t in asked] or [1.0]
    uncovered = max([idf(t) for t in asked if t not in around] or [0.0]) / max(weights)
    own = chosen[0].candidate.tokens if chosen else frozenset()
    uncovered_sentence = max([idf(t) for t in asked if t not in own] or [0.0]) / max(weights)
    clash_all = float(bool(rows) and all(X[i, f["clash"]] > 0 for i in rows))
    return np.array([
        logits[order[0]], p[order[0]], logits[order[0]] - logits[order[1]] if len(order) > 1 else 5.0,
        best[f["lex"]], best[f["focus"]], best[f["e5"]], best[f["sem"]], best[f["minilm"]], best[f["type"]],
        best[f["bigram"]], best[f["clash"]], float(bool(q.wants)), float(bool(q.wants) and not typed), missing,
        uncovered, uncovered_sentence, clash_all, max((h.score for h in hits), default=0.0), float(q.lang == "zh"),
        float(bool(chosen) and chosen[0].candidate.sentence.lang != q.lang), *checked])
