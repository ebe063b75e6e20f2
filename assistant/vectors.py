"""Multilingual vectors of every corpus sentence, embedded once and kept on disk.

The answer step compares the question with candidate sentences (USE cosine). Embedding all sentences
of the corpus once costs a few seconds, so the matrix is saved in the index folder:
    <index_dir>/answer-cache/sentences-<key>.npy
(inside the index folder, so nothing is written beside it; a rebuild of the index drops it)
where key is the sha256 of the model name and every sentence's text, so a changed corpus or model
never reuses stale vectors. The file is read with allow_pickle=False and checked for shape and dtype;
anything unexpected is ignored and recomputed. A cache that cannot be written is simply not kept.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np


def cache_dir(index_dir) -> Path:
    return Path(index_dir).resolve() / "answer-cache"


def _key(model: str, texts: list[str]) -> str:
    h = hashlib.sha256(model.encode("utf-8"))
    for t in texts:
        h.update(b"\x00" + t.encode("utf-8"))
    return h.hexdigest()[:24]


def sentence_vectors(texts: list[str], embedder, folder: Path | None) -> np.ndarray:
    """Row i is the normalised vector of texts[i]; read from `folder` when a matching file exists."""
    path = folder / f"sentences-{_key(embedder.name, texts)}.npy" if folder else None
    if path is not None and path.is_file():
        try:
            vectors = np.load(path, allow_pickle=False)
            if vectors.shape == (len(texts), embedder.dim) and vectors.dtype == np.float32 \
                    and np.isfinite(vectors).all():
                return vectors
        except (OSError, ValueError):
            pass
    vectors = np.asarray(embedder.encode(texts), dtype=np.float32)
    if path is not None:
        _save(path, vectors)
    return vectors


def _save(path: Path, vectors: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sentences-", suffix=".npy")
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as f:
            np.save(f, vectors, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass
