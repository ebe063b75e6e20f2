"""Citation verification: a citation is shown only when every check passes.

1. The quote is verbatim: documents[doc_id][start:end] == quote (and the same for a parallel quote).
2. It comes from a passage that was retrieved: chunk_id names a retrieved chunk of that document whose
   span overlaps the quote.
3. It supports the sentence that cites it: the answer sentence contains the quote verbatim (extractive
   answers quote; any other wording fails).
4. It bears on the question: it shares a content token with the question, or (a Chinese question
   answered from English) its multilingual similarity to the question reaches a floor.
"""

from __future__ import annotations

from assistant.sentences import terms
from index.types import Hit


def problems(citation, sentence: str, documents: dict[str, str], hits: list[Hit],
             question_tokens: set[str], similarity: float, min_similarity: float) -> list[str]:
    """Why this citation may not be shown (an empty list when it may)."""
    out = []
    text = documents.get(citation.doc_id)
    if text is None:
        return [f"unknown document {citation.doc_id}"]
    if not (0 <= citation.start < citation.end <= len(text)) or text[citation.start:citation.end] != citation.quote:
        out.append("quote is not verbatim at its offsets")
    if citation.parallel_quote:
        a, b = citation.parallel_start, citation.parallel_end
        if not (0 <= a < b <= len(text)) or text[a:b] != citation.parallel_quote:
            out.append("parallel quote is not verbatim at its offsets")
    chunks = {h.chunk.chunk_id: h.chunk for h in hits}
    chunk = chunks.get(citation.chunk_id)
    if chunk is None or chunk.doc_id != citation.doc_id:
        out.append("quote does not come from a retrieved passage")
    elif not _overlaps(chunk.start, chunk.end, citation.start, citation.end, citation.parallel_start,
                       citation.parallel_end):
        out.append("quote lies outside its passage")
    if citation.quote not in sentence:
        out.append("the citing sentence does not contain the quote")
    quote_tokens = set(terms(citation.quote)) | set(terms(citation.parallel_quote))
    if not (quote_tokens & question_tokens) and similarity < min_similarity:
        out.append("quote shares nothing with the question")
    return out


def _overlaps(c_start: int, c_end: int, start: int, end: int, p_start: int, p_end: int) -> bool:
    if min(c_end, end) > max(c_start, start):
        return True
    return p_start >= 0 and min(c_end, p_end) > max(c_start, p_start)
