"""`lmc eval --compare`: retrieval configurations side by side on one split.

The single-leg and fused rows share the user's index; the other chunk sizes, the header-less
pipeline and the LangChain default are built in memory (the user's index is never touched), one
build per distinct (chunking, header) combination, and dropped once their rows are measured.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from evals import baseline
from evals.metrics import NAMES
from evals.report import HEADS, format_table
from index.persist import write_atomic

LEGS = ("bm25", "dense", "multilingual", "e5")
ONLY = {leg: dict.fromkeys(LEGS, 0.0) | {leg: 1.0} for leg in LEGS}
EQUAL = dict.fromkeys(LEGS, 1 / len(LEGS))


@dataclass(frozen=True)
class Variant:
    name: str
    build: str                  # "current", "chunks N", "no header" or "langchain"
    weights: dict | None        # None: the learned fusion (index/fusion.json)


def variants(settings) -> list[Variant]:
    here = f"chunks {settings.chunk_size}{'' if settings.header else ', no header'}"
    other = [s for s in (400, 1200) if s != settings.chunk_size]
    return [Variant(f"BM25 only ({here})", "current", ONLY["bm25"]),
            Variant(f"dense MiniLM only ({here})", "current", ONLY["dense"]),
            Variant(f"multilingual USE only ({here})", "current", ONLY["multilingual"]),
            Variant(f"multilingual e5 only ({here})", "current", ONLY["e5"]),
            Variant(f"fused, equal weights ({here})", "current", EQUAL),
            Variant(f"learned fusion ({here})", "current", None),
            *[Variant(f"learned fusion (chunks {s})", f"chunks {s}", None) for s in other],
            *([Variant("learned fusion (no header)", "no header", None)] if settings.header else []),
            Variant("LangChain default (1000/200, MiniLM, flat FAISS)", "langchain", baseline.WEIGHTS)]


def sized(settings, size: int):
    """Settings with another chunk size; the overlap is kept, capped at a quarter of the size."""
    return dataclasses.replace(settings, chunk_size=size, chunk_overlap=min(settings.chunk_overlap, size // 4))


def _build(name: str, index, docs, settings, progress: bool):
    from index.store import Index
    if name == "current":
        return index
    if name == "langchain":
        return baseline.build(docs, settings, progress=progress)
    if name == "no header":
        return Index.build(docs, dataclasses.replace(settings, header=False), progress=progress)
    return Index.build(docs, sized(settings, int(name.split()[1])), progress=progress)


def compare(index, docs, questions, settings, *, only: list[Variant] | None = None, progress: bool = True,
            log=print) -> list[dict]:
    """One row of figures per variant (default: all of variants(settings)), in that order."""
    from evals.run import evaluate
    rows, todo = [], variants(settings) if only is None else list(only)
    for build in dict.fromkeys(v.build for v in todo):
        started = time.perf_counter()
        if build != "current":
            log(f"Building the '{build}' index in memory…")
        built = _build(build, index, docs, settings, progress)
        seconds = time.perf_counter() - started if build != "current" else None
        for v in (v for v in todo if v.build == build):
            report = evaluate(built, questions, settings, documents=docs, weights=v.weights, answers=False)
            rows.append({"name": v.name, "n_chunks": len(built.chunks), "build_seconds": seconds,
                         "n_answerable": report.n_answerable, **report.overall,
                         **{f"mrr@10 {lang}": g["mrr@10"] for lang, g in report.by_lang.items()}})
        del built
    return rows


def table(rows: list[dict], markdown: bool = False) -> str:
    langs = sorted({key.split()[1] for r in rows for key in r if key.startswith("mrr@10 ")})
    header = ["configuration", "chunks", *HEADS, *[f"MRR {lang}" for lang in langs]]
    body = [[r["name"], r["n_chunks"], *[r.get(n) for n in NAMES], *[r.get(f"mrr@10 {lang}") for lang in langs]]
            for r in rows]
    return format_table(header, body, markdown=markdown)


def write(rows: list[dict], split: str, directory: Path, settings=None) -> Path:
    n = rows[0]["n_answerable"] if rows else 0
    weights = ""
    if settings is not None:
        from index.store import fusion_for
        weights = f" Learned fusion: {fusion_for(settings).version}."
    text = (f"# Retrieval configurations, split {split}\n\n{n} answerable questions; top 10 chunks; a chunk "
            f"is relevant when it covers at least half of an evidence span.{weights}\n\n"
            + table(rows, markdown=True) + "\n")
    path = Path(directory) / "compare.md"
    write_atomic(path, text)
    return path
