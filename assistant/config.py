"""Settings: every default of the product in one frozen dataclass.

CLI flags override it with dataclasses.replace; an index's own meta.json wins at query time
for what built it (models, chunking), so an index is never searched under other assumptions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from corpus import DEFAULT_CORPUS


def _default_index_dir() -> Path:
    return Path(os.environ.get("LMC_INDEX", ".lmc/index"))


@dataclass(frozen=True)
class Settings:
    # corpus and index locations
    corpus_dir: Path = DEFAULT_CORPUS
    index_dir: Path = field(default_factory=_default_index_dir)
    # chunking (recorded in the index; a change makes the index stale)
    chunk_size: int = 800
    chunk_overlap: int = 150
    header: bool = True                       # embed "title (date)" before each chunk's text
    # models (recorded in the index)
    dense_model: str = "all-MiniLM-L6-v2"
    multilingual_model: str | None = "use-multilingual-v3"
    # retrieval
    k: int = 10
    candidates: int = 100                     # per-leg pool before fusion
    # fusion weights (bm25, dense, multilingual) per question language, chosen on the dev split
    weights_en: tuple[float, float, float] = (0.5, 0.3, 0.2)
    weights_zh: tuple[float, float, float] = (0.5, 0.0, 0.5)
    # limits
    max_question_chars: int = 2000
    max_k: int = 100
    max_document_bytes: int = 5_000_000

    def weights(self, lang: str) -> dict[str, float]:
        w = self.weights_zh if lang == "zh" else self.weights_en
        return {"bm25": w[0], "dense": w[1], "multilingual": w[2]}

    def build_key(self) -> dict:
        """What an index must agree with to be used under these settings."""
        return {"chunk_size": self.chunk_size, "chunk_overlap": self.chunk_overlap,
                "header": self.header, "dense_model": self.dense_model,
                "multilingual_model": self.multilingual_model}
