"""The one renderer: hits and answers to JSON-ready dicts, terminal text, and escaped HTML."""

from __future__ import annotations

import textwrap

from index.types import Hit


def source_line(meta: dict) -> str:
    """'Title — Publisher, date' for a document's metadata."""
    parts = [meta.get("title") or meta.get("doc_id", "")]
    tail = ", ".join(p for p in (meta.get("publisher"), meta.get("date")) if p)
    return f"{parts[0]} — {tail}" if tail else parts[0]


def hit_dict(hit: Hit, documents: dict) -> dict:
    c = hit.chunk
    return {"rank": hit.rank, "score": hit.score, "doc_id": c.doc_id,
            "title": documents.get(c.doc_id, {}).get("title", c.doc_id),
            "date": documents.get(c.doc_id, {}).get("date", ""),
            "start": c.start, "end": c.end, "text": c.text}


def hits_text(hits: list[Hit], documents: dict, width: int = 100) -> str:
    if not hits:
        return "No passages found."
    out = []
    for hit in hits:
        meta = documents.get(hit.chunk.doc_id, {})
        out.append(f"[{hit.rank}] score {hit.score:.3f}  {source_line(meta)}")
        out.append(f"    {hit.chunk.doc_id} chars {hit.chunk.start}-{hit.chunk.end}")
        for line in hit.chunk.text.splitlines():
            out.extend(textwrap.wrap(line, width, initial_indent="    ", subsequent_indent="    ") or [""])
        out.append("")
    return "\n".join(out).rstrip()
