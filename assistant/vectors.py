"""Vectors of every corpus sentence (USE and MiniLM), embedded once and kept on disk.

The answer step compares the question with candidate sentences (USE cosine for every question,
MiniLM for English ones). Embedding all sentences of the corpus costs about ten seconds, so
`lmc index` does it once and saves each matrix in the index folder:
    <index_dir>/answer-cache/sentences-<key>.npy  (and .json: the model and a hash of each row's text)
where key is the sha256 of the model name and every sentence's text, so a changed corpus or model
never reads stale vectors. A rebuild reads the old folder first and embeds only the sentences it
has no vector for. Files are read with allow_pickle=False and checked for shape, dtype and finite
values; anything unexpected is ignored and recomputed. A cache that cannot be written is not kept.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np


def cache_dir(index_dir) -> Path:
    return Path(index_dir).resolve() / "answer-cache"


def _key(model: str, texts: list[str]) -> str:
    h = hashlib.sha256(model.encode("utf-8"))
    for t in texts:
        h.update(b"\x00" + t.encode("utf-8"))
    return h.hexdigest()[:24]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def sentence_vectors(texts: list[str], embedder, folder: Path | None, reuse: dict | None = None) -> np.ndarray:
    """Row i is the normalised vector of texts[i]; read from `folder` when a matching file exists.
    reuse: {model name: {text_hash: vector}} from an earlier cache (see read_vectors); only the
    texts it lacks are embedded, so a rebuild after editing one document embeds that document's
    sentences alone."""
    path = folder / f"sentences-{_key(embedder.name, texts)}.npy" if folder else None
    if path is not None and path.is_file():
        vectors = _load(path, (len(texts), embedder.dim))
        if vectors is not None:
            return vectors
    known = (reuse or {}).get(embedder.name, {})
    hashes = [text_hash(t) for t in texts]
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    missing = []
    for i, h in enumerate(hashes):
        if h in known and known[h].shape == (embedder.dim,):
            vectors[i] = known[h]
        else:
            missing.append(i)
    if missing:
        vectors[missing] = np.asarray(embedder.encode([texts[i] for i in missing]), dtype=np.float32)
    if path is not None:
        _save(path, vectors, {"model": embedder.name, "dim": embedder.dim, "texts": hashes})
    return vectors


def read_vectors(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    """Every cached sentence vector in `folder`: {model name: {text_hash: vector}} (for a rebuild)."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for side in sorted(Path(folder).glob("sentences-*.json")) if Path(folder).is_dir() else []:
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
            vectors = _load(side.with_suffix(".npy"), (len(meta["texts"]), int(meta["dim"])))
            if vectors is None or not isinstance(meta.get("model"), str):
                continue
            out.setdefault(meta["model"], {}).update(zip(meta["texts"], vectors))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return out


def _load(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    ok = vectors.shape == shape and vectors.dtype == np.float32 and np.isfinite(vectors).all()
    return vectors if ok else None


def _save(path: Path, vectors: np.ndarray, meta: dict) -> None:
    """The .npy, then its .json sidecar (which names the texts of each row), each by rename."""
    from index.persist import write_atomic
    buffer = io.BytesIO()
    np.save(buffer, vectors, allow_pickle=False)
    try:
        write_atomic(path, buffer.getvalue())
        write_atomic(path.with_suffix(".json"), json.dumps(meta))
    except OSError:
        pass
