"""The FAISS index type, chosen by corpus size.

Below `flat_below` vectors an exact IndexFlatIP is used: it is exact and, at that size, already
fast. From `flat_below` on, an HNSW graph (IndexHNSWFlat, inner product) keeps a dense leg at
well under a millisecond per question, where exact search grows linearly with the corpus.
`lmc bench` measures both at 10k / 100k / 1M passages; docs/performance.md gives the figures that set
Settings.ann_threshold and Settings.hnsw_*.

efSearch is stored inside the FAISS file, so a loaded index searches as it was built.
"""

from __future__ import annotations

import numpy as np


def make_faiss_index(dim: int, n: int, *, flat_below: int, hnsw_m: int, ef_construction: int,
                     ef_search: int):
    """An empty inner-product index for `n` vectors of `dim`: flat when n < flat_below, else HNSW."""
    import faiss
    if dim <= 0 or n < 0:
        raise ValueError(f"cannot index {n} vectors of dimension {dim}")
    if n < flat_below:
        return faiss.IndexFlatIP(dim)
    index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.hnsw.efSearch = ef_search
    return index


def build_faiss_index(vectors: np.ndarray, **params):
    """make_faiss_index for these vectors, with the vectors added."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = make_faiss_index(vectors.shape[1], len(vectors), **params)
    index.add(vectors)
    return index


def describe(index) -> dict:
    """What meta.json records about a FAISS index: its type and the knobs that shape its results."""
    import faiss
    hnsw = getattr(faiss.downcast_index(index), "hnsw", None)
    if hnsw is None:
        return {"type": "flat", "n": int(index.ntotal)}
    return {"type": "hnsw", "n": int(index.ntotal), "M": int(hnsw.nb_neighbors(1)),
            "ef_construction": int(hnsw.efConstruction), "ef_search": int(hnsw.efSearch)}


def set_ef_search(index, ef_search: int) -> None:
    """Change efSearch of an HNSW index (a no-op for a flat one)."""
    import faiss
    hnsw = getattr(faiss.downcast_index(index), "hnsw", None)
    if hnsw is not None:
        hnsw.efSearch = ef_search


def recall_at_k(found: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    """Mean share of each question's exact top-k rows that the approximate search also returned."""
    if len(exact) == 0:
        return float("nan")
    shares = [len(set(f[:k].tolist()) & set(e[:k].tolist())) / max(1, min(k, len(e)))
              for f, e in zip(found, exact)]
    return float(np.mean(shares))
