"""Chunks in, hits out: embedding, FAISS, BM25, fusion and the on-disk format."""

from index.types import Hit
from index.store import Index, IndexError_ as IndexProblem, open_index

__all__ = ["Hit", "Index", "IndexProblem", "open_index"]
