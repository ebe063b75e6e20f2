"""The one renderer: hits and answers to JSON-ready dicts, terminal text, and escaped HTML."""

from __future__ import annotations

import re
import textwrap

from corpus.types import page_at
from index.types import Hit

# What a terminal would act on rather than show: C0/C1 controls (ESC sequences, \r) and bidi overrides.
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text as a terminal may print it: document text is untrusted, so its control characters become spaces."""
    return UNSAFE.sub(" ", text)


def source_line(meta: dict) -> str:
    """'Title — Publisher, date' for a document's metadata."""
    parts = [meta.get("title") or meta.get("doc_id", "")]
    tail = ", ".join(p for p in (meta.get("publisher"), meta.get("date")) if p)
    return f"{parts[0]} — {tail}" if tail else parts[0]


def page_label(meta: dict, offset: int) -> str:
    """"p. 3" for an offset in a paged document (a PDF), "" otherwise."""
    page = page_at(meta, offset)
    return f"p. {page}" if page else ""


def hit_dict(hit: Hit, documents: dict) -> dict:
    c = hit.chunk
    meta = documents.get(c.doc_id, {})
    return {"rank": hit.rank, "score": hit.score, "doc_id": c.doc_id, "title": meta.get("title", c.doc_id),
            "date": meta.get("date", ""), "page": page_at(meta, c.start),
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
    return terminal_safe("\n".join(out).rstrip())


def citation_dict(c, documents: dict) -> dict:
    """One citation for JSON: n, doc_id, title, publisher, date, page (a PDF's, else None), start, end,
    quote (and its translation)."""
    meta = documents.get(c.doc_id, {})
    return {"n": c.label, "doc_id": c.doc_id, "title": meta.get("title", c.doc_id),
            "publisher": meta.get("publisher", ""), "date": meta.get("date", ""), "page": page_at(meta, c.start),
            "start": c.start, "end": c.end, "quote": c.quote, "parallel_quote": c.parallel_quote}


def answer_dict(answer, documents: dict) -> dict:
    """An Answer for JSON (the app's /ask): text with [n] markers, refused, searched_for, citations, hits."""
    return {"question": answer.question, "text": answer.text, "refused": answer.refused,
            "searched_for": answer.searched_for, "lang": answer.lang, "notes": list(answer.notes),
            "citations": [citation_dict(c, documents) for c in answer.citations],
            "hits": [hit_dict(h, documents) for h in answer.hits]}


# ---------- lmc ask ----------
def ask_dict(answer, documents: dict) -> dict:
    """An Answer as `lmc ask --json` prints it: question, answer, refused, searched_for, citations
    (n, doc_id, title, date, start, end, quote, parallel_quote), notes, lang, and when refused the
    closest passages (which do not answer the question)."""
    out = {"question": answer.question, "answer": answer.text, "refused": answer.refused,
           "searched_for": answer.searched_for, "lang": answer.lang, "notes": list(answer.notes),
           "citations": [citation_dict(c, documents) for c in answer.citations]}
    if answer.refused:
        out["closest"] = [hit_dict(h, documents) for h in answer.hits[:3]]
    return out


def answer_text(answer, documents: dict, width: int = 100) -> str:
    """An Answer for the terminal: the text, then numbered sources with title, date and quote."""
    out = textwrap.wrap(answer.text, width) or [""]
    for note in answer.notes:
        if note not in answer.text:
            out.extend(textwrap.wrap(note, width))               # why a refusal refused
    if answer.searched_for and answer.searched_for != answer.question:
        out += ["", f"(searched for: {answer.searched_for})"]
    if answer.citations:
        out += ["", "Sources:"]
        for c in answer.citations:
            meta = documents.get(c.doc_id, {"doc_id": c.doc_id})
            page = page_label(meta, c.start)
            out.append(f"[{c.label}] {source_line(meta)}{', ' + page if page else ''}")
            out.extend(_quoted(c.quote, width))
            if c.parallel_quote:
                out.extend(_quoted(c.parallel_quote, width))
            out.append(f"    {c.doc_id}{' ' + page if page else ''} chars {c.start}-{c.end}")
    elif answer.refused and answer.hits:
        out += ["", "Closest passages (they do not answer the question):"]
        for hit in answer.hits[:3]:
            out.append(f"[{hit.rank}] {source_line(documents.get(hit.chunk.doc_id, {}))}")
            text = " ".join(hit.chunk.text.split())
            out.extend(_quoted(text[:300] + ("…" if len(text) > 300 else ""), width))
    return terminal_safe("\n".join(out))


def _quoted(text: str, width: int) -> list[str]:
    return textwrap.wrap(f"“{' '.join(text.split())}”", width, initial_indent="    ", subsequent_indent="    ")
