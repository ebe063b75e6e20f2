"""Hit: one ranked passage."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.types import Chunk


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float                 # fused score in [0, 1], plus Settings.source_weight in a named document,
                                 # minus Settings.year_weight for a passage about other years
    rank: int                    # 1-based
    legs: dict = field(default_factory=dict, compare=False)   # raw score per leg, for refusal and debugging
