"""Relevance by span overlap, retrieval measures through ir-measures, and answer-key matching.

Relevance: each evidence span is located in its document by character offsets (every occurrence
is an acceptable location). A retrieved chunk (doc_id, start, end) is relevant to a span when it
covers at least half of that span's characters, so indexes chunked differently stay comparable.

Measures keep trec_eval's definitions (computed by ir-measures on pytrec-eval-terrier):
  qrels: one judged "document" per evidence span ("<qid>:e<i>", relevance 1);
  run:   the top-k chunks in rank order; a chunk that covers evidence spans not yet covered is
         emitted as those span ids, any other chunk under its own chunk id.
The run holds only the top-k chunks, so every "@k" measure counts chunks, not run lines: a chunk
covering two spans adds two lines, and the k-cutoff measures are asked at a cutoff that keeps
every line of the top-k chunks. Success@1/@5 and RR are unaffected (lines before the first
relevant one are one per chunk); nDCG's ideal DCG comes from the judgments.
"""

from __future__ import annotations

import re
import unicodedata
from statistics import mean

NAMES = ("success@1", "success@5", "success@10", "recall@10", "mrr@10", "ndcg@10")
K = 10


# ---------- relevance by span overlap ----------
def find_all(text: str, sub: str) -> list[int]:
    """Every start offset of sub in text (overlapping occurrences included)."""
    out, at = [], text.find(sub) if sub else -1
    while at >= 0:
        out.append(at)
        at = text.find(sub, at + 1)
    return out


def locate(evidence: list[dict], texts: dict[str, str]) -> list[list[tuple[str, int, int]]]:
    """For each evidence span, all its (doc_id, start, end) locations (only its own when it gives
    "start" and "end", as a SQuAD answer does). A span not found raises."""
    spans = []
    for i, ev in enumerate(evidence):
        text = texts.get(ev["doc_id"])
        if isinstance(ev.get("start"), int) and text is not None:     # an exact span (SQuAD answers)
            if text[ev["start"]:ev["end"]] != ev["text"]:
                raise ValueError(f"evidence {i} is not at {ev['start']}-{ev['end']} of {ev['doc_id']}")
            spans.append([(ev["doc_id"], ev["start"], ev["end"])])
            continue
        starts = find_all(text, ev["text"]) if text is not None else []
        if not starts:
            raise ValueError(f"evidence {i} is not in document {ev['doc_id']}: {ev['text'][:60]!r}")
        spans.append([(ev["doc_id"], s, s + len(ev["text"])) for s in starts])
    return spans


def covers(start: int, end: int, span_start: int, span_end: int) -> bool:
    """True when [start, end) holds at least half of the characters of [span_start, span_end)."""
    overlap = min(end, span_end) - max(start, span_start)
    return overlap > 0 and 2 * overlap >= span_end - span_start


def covered_spans(chunk, spans: list[list[tuple[str, int, int]]]) -> list[int]:
    """Indices of the evidence spans this chunk covers (any location of a span counts)."""
    return [i for i, locations in enumerate(spans)
            if any(d == chunk.doc_id and covers(chunk.start, chunk.end, s, e) for d, s, e in locations)]


def overlaps(doc_id: str, start: int, end: int, spans) -> bool:
    """True when [start, end) of doc_id shares at least one character with any evidence span."""
    return any(d == doc_id and min(end, e) > max(start, s) for locations in spans for d, s, e in locations)


def first_rank(chunks: list, spans) -> int | None:
    """1-based rank of the first chunk that covers any evidence span, or None."""
    for rank, chunk in enumerate(chunks, 1):
        if covered_spans(chunk, spans):
            return rank
    return None


# ---------- qrels and run in trec_eval's terms ----------
def span_id(qid: str, i: int) -> str:
    return f"{qid}:e{i}"


def qrels_for(qid: str, n_spans: int) -> list[tuple[str, str, int]]:
    return [(qid, span_id(qid, i), 1) for i in range(n_spans)]


def run_for(qid: str, chunks: list, spans, k: int = K) -> list[tuple[str, str, int, float]]:
    """(qid, doc id, rank line, score) lines for the top-k chunks; scores fall strictly with order."""
    names: list[str] = []
    seen: set[int] = set()
    for chunk in chunks[:k]:
        new = [i for i in covered_spans(chunk, spans) if i not in seen]
        seen.update(new)
        if new:
            names.extend(span_id(qid, i) for i in new)
        else:
            names.append(chunk.chunk_id)
    return [(qid, name, n, float(len(names) - n + 1)) for n, name in enumerate(names, 1)]


def measures(qrels: list[tuple], run: list[tuple], k: int = K) -> dict[str, dict[str, float]]:
    """qid -> {name: value} for every query in qrels (a query with no run lines scores 0)."""
    import ir_measures
    from ir_measures import RR, R, Success, nDCG
    lines = max([n for _, _, n, _ in run] + [k])     # a cutoff that keeps all lines of the top-k chunks
    wanted = {Success @ 1: "success@1", Success @ 5: "success@5", Success @ lines: "success@10",
              R @ lines: "recall@10", RR @ lines: "mrr@10", nDCG @ lines: "ndcg@10"}
    qrels_ = [ir_measures.Qrel(q, d, r) for q, d, r in qrels]
    run_ = [ir_measures.ScoredDoc(q, d, s) for q, d, _, s in run]
    out = {q: dict.fromkeys(NAMES, 0.0) for q, _, _ in qrels}
    for m in ir_measures.iter_calc(list(wanted), qrels_, run_):
        if m.query_id in out:
            out[m.query_id][wanted[m.measure]] = float(m.value)
    return out


def average(rows: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each measure over the rows (queries); empty groups give no figures."""
    return {name: mean(r[name] for r in rows) for name in NAMES} if rows else {}


# ---------- answer keys ----------
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = f"[^\\W_{_HAN}]"                             # a letter or digit that is not a Han character


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def key_found(key: str, text: str) -> bool:
    """Chinese keys match as substrings; other keys only on token boundaries ("13" is not in "136")."""
    key, text = normalise(key), normalise(text)
    if not key:
        return False
    if re.search(f"[{_HAN}]", key):
        return key in text
    before = f"(?<!{_TOKEN})" if re.match(_TOKEN, key) else ""
    after = f"(?!{_TOKEN})" if re.match(_TOKEN, key[-1]) else ""
    return re.search(before + re.escape(key) + after, text) is not None


def answer_correct(keys: list[str], text: str, kind: str) -> bool:
    """For kind "multi" every key must appear, for any other kind one key suffices."""
    found = [key_found(k, text) for k in keys]
    return bool(found) and (all(found) if kind == "multi" else any(found))
