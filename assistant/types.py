"""Citation and Answer: what Assistant.ask returns. They stay data until render formats them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index.types import Hit


@dataclass(frozen=True, slots=True)
class Citation:
    label: int                  # rendered as [1], [2], ...
    doc_id: str
    quote: str                  # verbatim: document.text[start:end] == quote
    start: int
    end: int
    chunk_id: str = ""          # the retrieved passage the quote was taken from
    lang: str = "en"            # "en" or "zh"
    parallel_quote: str = ""    # the aligned translation in a bilingual document ("" if none)
    parallel_start: int = -1
    parallel_end: int = -1


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    text: str                   # carries [n] markers that refer to citations
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]       # the passages retrieved (the "closest passages" when refused)
    refused: bool               # True when the documents do not support an answer
    searched_for: str = ""      # the standalone query actually searched (differs for follow-ups)
    lang: str = "en"            # the language of the question and of the answer's own words
    notes: tuple[str, ...] = field(default_factory=tuple)   # "来源为英文。"; for a refusal, why (refusal.why)

    def to_dict(self) -> dict:
        return asdict(self)
