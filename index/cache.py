"""Embedding cache for incremental indexing: a text is embedded once per model.

Key: sha256 of (model name, dimension, embedding text). On disk, inside the index directory:
  cache/<model>.npy   float32 matrix, row i is the vector of key i
  cache/<model>.json  {"format", "model", "dim", "count", "sha256" of the .npy, "keys": [...]}
No pickle: the .npy is read with allow_pickle=False, and a cache whose checksum, shape or model
disagrees with its JSON is ignored (everything is embedded again), never trusted.

A build reads the cache of the index it replaces and saves only the vectors it used, so the
cache always mirrors the current index and cannot grow without bound.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

FORMAT = 1
FOLDER = "cache"


def text_key(model: str, dim: int, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{dim}\x00{text}".encode("utf-8")).hexdigest()


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model)


def _sha256(path: Path) -> str:
    from index.persist import file_sha256
    return file_sha256(path)


class EmbeddingCache:
    """model name -> {key: vector}; counts what each build embedded and what it reused."""

    def __init__(self, known: dict[str, dict[str, np.ndarray]] | None = None):
        self._known = known or {}                      # what was on disk
        self._used: dict[str, dict[str, np.ndarray]] = {}   # what this build used (saved next)
        self.embedded: dict[str, int] = {}
        self.reused: dict[str, int] = {}

    @classmethod
    def load(cls, index_dir: Path | str | None) -> "EmbeddingCache":
        """The cache saved in an index directory; empty when there is none or it fails its checks."""
        known = {}
        folder = Path(index_dir) / FOLDER if index_dir else None
        if folder is not None and folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                entry = _read(path)
                if entry is not None:
                    known[entry[0]] = entry[1]
        return cls(known)

    def encode(self, embedder, texts: list[str], progress: bool = False) -> np.ndarray:
        """Vectors for texts: cached rows where the key is known, the embedder for the rest."""
        model, dim = embedder.name, embedder.dim
        keys = [text_key(model, dim, t) for t in texts]
        known = self._known.get(model, {})
        used = self._used.setdefault(model, {})
        missing = sorted({k: i for i, k in enumerate(keys) if k not in known and k not in used}.values())
        if missing:
            fresh = embedder.encode([texts[i] for i in missing], progress=progress)
            for i, vector in zip(missing, fresh):
                used[keys[i]] = np.asarray(vector, dtype=np.float32)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, k in enumerate(keys):
            vector = used.get(k)
            if vector is None:
                vector = used[k] = known[k]
            out[i] = vector
        self.embedded[model] = self.embedded.get(model, 0) + len(missing)
        self.reused[model] = self.reused.get(model, 0) + len(texts) - len(missing)
        return out

    def save(self, index_dir: Path | str) -> None:
        """Write the vectors this build used into index_dir/cache (index_dir is a fresh build folder)."""
        folder = Path(index_dir) / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        for model, vectors in self._used.items():
            keys = list(vectors)
            dim = len(next(iter(vectors.values()))) if keys else 0
            matrix = np.stack([vectors[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)
            npy = folder / f"{_slug(model)}.npy"
            np.save(npy, matrix.astype(np.float32), allow_pickle=False)
            info = {"format": FORMAT, "model": model, "dim": int(dim), "count": len(keys),
                    "sha256": _sha256(npy), "keys": keys}
            (folder / f"{_slug(model)}.json").write_text(json.dumps(info), encoding="utf-8")


def _read(path: Path) -> tuple[str, dict[str, np.ndarray]] | None:
    """(model, {key: vector}) from one cache entry, or None when anything disagrees."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        npy = path.with_suffix(".npy")
        if info.get("format") != FORMAT or _sha256(npy) != info.get("sha256"):
            return None
        matrix = np.load(npy, allow_pickle=False)
        keys = info["keys"]
        if matrix.dtype != np.float32 or matrix.shape != (len(keys), info["dim"]) or info["count"] != len(keys):
            return None
        return info["model"], dict(zip(keys, matrix))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
