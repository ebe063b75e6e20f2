"""Hit: one ranked passage."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.types import Chunk


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float                 # the fusion's score (index/fusion.py): higher is better
    rank: int                    # 1-based
    legs: dict = field(default_factory=dict, compare=False)   # raw score per leg, for refusal and debugging
