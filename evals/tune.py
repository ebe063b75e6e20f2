"""Grid-search the fusion weights per question language on the DEV split, then chunk sizes.

    python -m evals.tune [--questions FILE] [--index DIR] [--corpus DIR] [--top 10] [--no-chunks]
                         [--report DIR]

Weights (bm25, dense, multilingual[, translated]) run over steps of 0.1 that sum to 1, for English
and Chinese questions separately (split by the product's own is_chinese rule), maximising MRR@10,
then Success@5, then nDCG@10; exact ties go to the setting nearest the current one. English
questions vary the three legs they have (66 settings); Chinese questions also the "translated"
leg (BM25 over the question's lexicon translation; 286 settings) when the index has a lexicon.
Each question's leg candidates are fetched once (Index.candidates) and re-fused per setting
(Index.rank), so the grid costs seconds. Then chunk sizes 400/600/800/1000 are tried with the
chosen weights. Nothing is written to Settings: the output says what to set. The test split is never read.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from evals import metrics
from evals.report import HEADS, format_table
from index.persist import write_atomic

LEGS = ("bm25", "dense", "multilingual", "translated")        # the order of Settings.weights_en/zh
SIZES = (400, 600, 800, 1000)


def grid(n_legs: int = 3, steps: int = 10) -> list[tuple[float, ...]]:
    """Every n_legs-tuple of multiples of 1/steps that sums to 1."""
    return [tuple(u / steps for u in units) for units in _compositions(n_legs, steps)]


def _compositions(n: int, total: int) -> list[tuple[int, ...]]:
    if n == 1:
        return [(total,)]
    return [(i, *rest) for i in range(total + 1) for rest in _compositions(n - 1, total - i)]


def legs_for(index, lang: str) -> tuple[str, ...]:
    """The legs a question in this language is searched with (translated: Chinese only, if present)."""
    have = {"bm25", *index.dense} | ({"translated"} if getattr(index, "lexicon", None) is not None else set())
    return tuple(leg for leg in LEGS if leg in have and (leg != "translated" or lang == "zh"))


def _order(prefer: tuple | None):
    """Best MRR@10, then Success@5, then nDCG@10; among exact ties the setting nearest `prefer`."""
    def key(row: dict):
        near = sum(abs(a - b) for a, b in zip(row["weights"], prefer)) if prefer else 0.0
        return (-round(row["mrr@10"], 9), -round(row["success@5"], 9), -round(row["ndcg@10"], 9),
                round(near, 9), row["weights"])
    return key


def tune_weights(index, questions: list[dict], spans: dict, settings, legs: tuple[str, ...],
                 k: int = metrics.K, prefer: tuple | None = None) -> list[dict]:
    """One row per weight setting over `legs` (weights in Settings' order, + figures), best first; the
    named-document boost and the other-year penalty (Settings.source_weight, year_weight) stay as
    set, as in the product's search."""
    from evals.run import judge
    if not questions:
        return []
    pool = min(len(index.chunks), max(settings.candidates, k))
    candidates = index.candidates([q["question"] for q in questions], pool)
    named = [index.named(q["question"]) for q in questions]
    years = [index.years(q["question"]) for q in questions]
    width = len(settings.weights_en)
    rows = []
    for w in grid(len(legs)):
        weights = dict.fromkeys(LEGS, 0.0) | dict(zip(legs, w)) | {"source": settings.source_weight,
                                                                   "year": settings.year_weight}
        results = [index.rank(c, weights, k, named=n, years=y) for c, n, y in zip(candidates, named, years)]
        judged, _, _, _ = judge(questions, results, spans, k)
        rows.append({"weights": tuple(weights[leg] for leg in LEGS[:width]),
                     **metrics.average([r["figures"] for r in judged])})
    return sorted(rows, key=_order(prefer))


def by_language(questions: list[dict]) -> dict[str, list[dict]]:
    from corpus.lang import is_chinese
    out = {"en": [], "zh": []}
    for q in questions:
        out["zh" if is_chinese(q["question"]) else "en"].append(q)
    return out


def try_sizes(index, docs, questions, settings, sizes=SIZES, log=print) -> list[dict]:
    """Dev figures of the fused pipeline at each chunk size (the current index serves its own size)."""
    from evals.compare import sized
    from evals.run import evaluate
    from index.store import Index
    rows = []
    for size in sizes:
        s = sized(settings, size)
        if s.build_key() == index.meta.get("build"):
            built = index
        else:
            log(f"Building chunks of {size} in memory…")
            built = Index.build(docs, s, progress=False)
        report = evaluate(built, questions, s, documents=docs, answers=False)
        rows.append({"chunk_size": size, "chunk_overlap": s.chunk_overlap, "n_chunks": len(built.chunks),
                     **report.overall, **{f"mrr@10 {g}": v["mrr@10"] for g, v in report.by_lang.items()}})
    return rows


def weight_table(rows: list[dict], top: int | None, current: tuple, markdown: bool = False) -> str:
    shown = rows if top is None else rows[:top]
    extra = [(i, r) for i, r in enumerate(rows) if r["weights"] == tuple(current) and r not in shown]
    body = [[f"{i + 1}", *[f"{x:.1f}" for x in r["weights"]], *[r[n] for n in metrics.NAMES]]
            for i, r in list(enumerate(shown)) + extra]
    width = len(rows[0]["weights"]) if rows else len(LEGS)
    return format_table(["rank", *LEGS[:width], *HEADS], body, markdown=markdown)


def size_table(rows: list[dict], markdown: bool = False) -> str:
    body = [[r["chunk_size"], r["chunk_overlap"], r["n_chunks"], *[r[n] for n in metrics.NAMES],
             r.get("mrr@10 en"), r.get("mrr@10 zh")] for r in rows]
    return format_table(["chunk size", "overlap", "chunks", *HEADS, "MRR en", "MRR zh"], body, markdown)


def main(argv=None) -> None:
    args = _parser().parse_args(argv)
    try:
        _run(args)
    except (ValueError, OSError) as exc:
        sys.exit(f"Error: {exc}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals.tune", description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", default=None, help="gold questions (default evals/questions.jsonl)")
    p.add_argument("--index", default=None, help="index folder (default $LMC_INDEX or .lmc/index)")
    p.add_argument("--corpus", default=None, help="corpus folder (default the bundled documents)")
    p.add_argument("--top", type=int, default=10, help="grid rows to print per language")
    p.add_argument("--no-chunks", action="store_true", help="skip the chunk-size comparison")
    p.add_argument("--report", default=None, help="also write tune.md with the full tables to this folder")
    return p


def _run(args) -> None:
    from assistant.config import Settings
    from corpus import load_corpus
    from evals.gold import QUESTIONS
    from evals.run import locate_evidence, read_questions
    from index.store import open_index
    settings = Settings()
    changes = {"corpus_dir": Path(args.corpus)} if args.corpus else {}
    if args.index:
        changes["index_dir"] = Path(args.index)
    settings = dataclasses.replace(settings, **changes)
    log = lambda m: print(m, file=sys.stderr)                          # noqa: E731
    docs = load_corpus(settings)
    texts = {d.doc_id: d.text for d in docs}
    dev = [q for q in read_questions(args.questions or QUESTIONS, "dev") if q.get("evidence")]
    spans = {q["id"]: locate_evidence(q, texts) for q in dev}
    index = open_index(settings, log=log)
    md, best = [], {}
    for lang, group in by_language(dev).items():
        current = settings.weights_zh if lang == "zh" else settings.weights_en
        rows = tune_weights(index, group, spans, settings, legs_for(index, lang), prefer=current)
        if not rows:
            continue
        best[lang] = rows[0]["weights"]
        print(f"\n{lang}: {len(group)} dev questions, top {args.top} of {len(rows)} weight settings "
              f"(current Settings {current} shown too):")
        print(weight_table(rows, args.top, current))
        md += [f"## Weights, {lang} ({len(group)} dev questions)", "", weight_table(rows, None, current, True), ""]
    tuned = dataclasses.replace(settings, weights_en=best.get("en", settings.weights_en),
                                weights_zh=best.get("zh", settings.weights_zh))
    print(f"\nChosen: weights_en={tuned.weights_en}, weights_zh={tuned.weights_zh}")
    if not args.no_chunks:
        sizes = try_sizes(index, docs, dev, tuned, log=log)
        print("\nChunk sizes with the chosen weights (dev):\n" + size_table(sizes))
        md += ["## Chunk sizes with the chosen weights", "", size_table(sizes, markdown=True), ""]
    if args.report:
        path = Path(args.report) / "tune.md"
        write_atomic(path, "# Tuning on the dev split\n\n" + "\n".join(md))
        print(f"\nWritten to {path}")


if __name__ == "__main__":
    main()
