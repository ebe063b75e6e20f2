"""Fakes for fast unit tests, whose right answers are obvious by construction."""

from __future__ import annotations

import socket

import numpy as np


class KeywordEmbedder:
    """One axis per keyword: a text's vector counts the keywords it contains, then is normalised.

    So a question naming 'river' is nearest to the passage that says 'river' most, and a text
    with none of the keywords is the zero vector (similarity 0 to everything).
    """

    name = "keyword-fake"

    def __init__(self, keywords: list[str]):
        self.keywords = [k.lower() for k in keywords]
        self.dim = len(self.keywords)
        self.calls = 0

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            low = text.lower()
            for j, k in enumerate(self.keywords):
                out[i, j] = low.count(k)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def free_port() -> int:
    """A free TCP port on the loopback interface, for a test server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
