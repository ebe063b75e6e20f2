"""The two data types this room produces: Document and Chunk."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str                 # the file name, e.g. "003_f1e44591df7b45bd.txt"
    text: str                   # exactly as published; offsets point into this
    title: str
    publisher: str = ""
    date: str = ""
    url: str | None = None
    languages: tuple[str, ...] = ("en",)
    aliases: tuple[str, ...] = ()    # other names a reader may call it by: "Belt and Road Portal", 一带一路网
    pages: tuple[int, ...] = ()      # a paged original (PDF): the text offset where each page starts

    def meta(self) -> dict:
        out = {"doc_id": self.doc_id, "title": self.title, "publisher": self.publisher,
               "date": self.date, "url": self.url, "languages": list(self.languages),
               "aliases": list(self.aliases)}
        if self.pages:                   # only paged documents carry it (the bundled corpus hash is unchanged)
            out["pages"] = list(self.pages)
        return out


def page_at(meta: dict, offset: int) -> int | None:
    """The 1-based page of a paged document (meta["pages"]: page start offsets) holding `offset`."""
    pages = meta.get("pages") or ()
    if not pages:
        return None
    return max(1, bisect.bisect_right(pages, offset))


@dataclass(frozen=True, slots=True)
class Chunk:
    chunk_id: str               # f"{doc_id}#{seq}", stable across rebuilds of the same corpus
    doc_id: str
    text: str
    start: int                  # invariant: document.text[start:end] == text
    end: int
    lang: str = "en"            # "en", "zh" or "zh+en" (an aligned bilingual passage)
    seq: int = field(default=0, compare=False)
