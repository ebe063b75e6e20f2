"""Scale: real embedding throughput, and search over 10k / 100k / 1M synthetic passages.

Passages are made from the real corpus: each vector mixes two real chunk vectors and adds a little
Gaussian noise, (1-t)·v_i + t·v_j + noise with t in [0, 0.5], renormalised; each text strings
together corpus sentences drawn at random. The questions are the real gold questions, embedded by
the real models, so the query side is exactly the product's. Vectors and texts of one synthetic
passage are unrelated: the figures are of cost and of recall against exact search, not of quality.

Each size runs in its own process (python -m evals.scale child ...), so its peak memory is its own.
Searches are timed one question at a time on one thread (see one_thread); builds use every core.
The fused search is also timed with the default thread counts, as the product runs it today.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LEGS = ("dense", "multilingual")
EF_SWEEP = (64, 128, 256, 512)
PASSAGE_CHARS = 700


@dataclass
class Sample:
    vectors: dict[str, np.ndarray]      # leg -> vectors of the real chunks (the seeds)
    queries: dict[str, np.ndarray]      # leg -> vectors of the real questions
    questions: list[str]
    sentences: list[str]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for leg in LEGS:
            np.save(folder / f"{leg}.vectors.npy", self.vectors[leg], allow_pickle=False)
            np.save(folder / f"{leg}.queries.npy", self.queries[leg], allow_pickle=False)
        (folder / "texts.json").write_text(json.dumps({"questions": self.questions, "sentences": self.sentences},
                                                      ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Sample":
        texts = json.loads((folder / "texts.json").read_text(encoding="utf-8"))
        return cls({leg: np.load(folder / f"{leg}.vectors.npy") for leg in LEGS},
                   {leg: np.load(folder / f"{leg}.queries.npy") for leg in LEGS},
                   texts["questions"], texts["sentences"])


def peak_rss_mb() -> float:
    """This process's own peak RSS. Linux's ru_maxrss would also count the parent's peak, inherited
    at exec; VmHWM belongs to this address space only."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentiles(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3)}


class one_thread:
    """Within the block, faiss (and torch, if loaded) run one thread: one question is too small a
    task to share, and on a busy machine every OpenMP barrier waits for a descheduled thread."""

    def __enter__(self):
        import faiss
        torch = sys.modules.get("torch")
        self.before = faiss.omp_get_max_threads(), torch.get_num_threads() if torch else None
        faiss.omp_set_num_threads(1)
        if torch:
            torch.set_num_threads(1)

    def __exit__(self, *exc):
        import faiss
        faiss.omp_set_num_threads(self.before[0])
        if self.before[1]:
            sys.modules["torch"].set_num_threads(self.before[1])


def timed(fn, items) -> tuple[list, dict]:
    """fn(item) for each item, one at a time; the results and the latency percentiles. Each item is
    timed as if new: the embedders' recent-question caches are emptied (untimed) before it."""
    from index.embedder import forget_recent
    out, seconds = [], []
    for item in items:
        forget_recent()
        t = time.perf_counter()
        out.append(fn(item))
        seconds.append(time.perf_counter() - t)
    return out, percentiles(seconds)


# ---------- the sample of real text and real vectors ----------
def sentences_of(docs) -> list[str]:
    parts = (s.strip() for d in docs for s in re.split(r"(?<=[.!?。！？；])\s*|\n+", d.text))
    return [s for s in parts if len(s) >= 20]


def make_sample(settings, questions: list[str], log=print) -> Sample:
    """Embed every real chunk (reusing the cache of settings.index_dir) and every question."""
    from corpus import chunk_documents, load_documents
    from index.cache import EmbeddingCache
    from index.embedder import make_embedder
    from index.store import embedding_text
    docs = load_documents(settings.corpus_dir)
    meta = {d.doc_id: d.meta() for d in docs}
    chunks = chunk_documents(docs, settings.chunk_size, settings.chunk_overlap)
    texts = [embedding_text(c, meta[c.doc_id], settings.header) for c in chunks]
    cache = EmbeddingCache.load(settings.index_dir)
    vectors, queries = {}, {}
    for leg, name in zip(LEGS, (settings.dense_model, settings.multilingual_model)):
        embedder = make_embedder(name)
        vectors[leg] = cache.encode(embedder, texts)
        queries[leg] = embedder.encode(questions)
    log(f"sample: {len(texts)} real chunks ({sum(cache.embedded.values())} embedded now), "
        f"{len(questions)} questions")
    return Sample(vectors, queries, list(questions), sentences_of(docs))


def throughput(texts: list[str], questions: list[str], batch_sizes=(16, 32, 64, 128), threads=(1, 2)) -> list[dict]:
    """Real MiniLM passages/s on real chunk texts per batch size and torch thread count, and the
    latency of one question at each thread count; the same for USE (BLAS threads) at its batch size."""
    import torch
    from index.embedder import MiniLMEmbedder, USEEmbedder
    before = torch.get_num_threads()
    rows = []
    embedder = MiniLMEmbedder()
    embedder.encode(texts[:8])                                   # load the model before timing
    for n_threads in threads:
        torch.set_num_threads(n_threads)
        query = timed(lambda q: embedder.encode([q]), questions)[1]["p50_ms"]
        for batch in batch_sizes:
            embedder.batch_size = batch
            t = time.perf_counter()
            embedder.encode(texts)
            rate = len(texts) / (time.perf_counter() - t)
            rows.append({"model": embedder.name, "threads": n_threads, "batch": batch, "passages_per_s": round(rate, 1),
                         "query_p50_ms": query, "load": round(os.getloadavg()[0], 2)})
    torch.set_num_threads(before)
    for n_threads in threads:
        use = USEEmbedder(threads=n_threads)
        use.encode(texts[:8])
        query = timed(lambda q: use.encode([q]), questions)[1]["p50_ms"]
        t = time.perf_counter()
        use.encode(texts)
        rows.append({"model": use.name, "threads": n_threads, "batch": use.batch_size,
                     "passages_per_s": round(len(texts) / (time.perf_counter() - t), 1),
                     "query_p50_ms": query, "load": round(os.getloadavg()[0], 2)})
    return rows


# ---------- synthetic passages ----------
def synth_vectors(seeds: np.ndarray, n: int, rng, block: int = 100_000) -> np.ndarray:
    out = np.empty((n, seeds.shape[1]), dtype=np.float32)
    sigma = 0.3 / np.sqrt(seeds.shape[1])
    for s in range(0, n, block):
        m = min(block, n - s)
        t = rng.uniform(0, 0.5, (m, 1)).astype(np.float32)
        x = (1 - t) * seeds[rng.integers(0, len(seeds), m)] + t * seeds[rng.integers(0, len(seeds), m)]
        x += rng.normal(0, sigma, x.shape).astype(np.float32)
        out[s:s + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def synth_texts(sentences: list[str], n: int, rng) -> list[str]:
    picks = rng.integers(0, len(sentences), (n, 12))
    out = []
    for row in picks:
        parts, size = [], 0
        for i in row:
            if size >= PASSAGE_CHARS:
                break
            parts.append(sentences[i])
            size += len(sentences[i]) + 1
        out.append(" ".join(parts))
    return out


# ---------- one size ----------
def _search_leg(faiss_index, queries: np.ndarray, k: int):
    with one_thread():
        rows, stats = timed(lambda q: faiss_index.search(q[None], k)[1][0], queries)
    return np.stack(rows), stats


def _measure_leg(vectors: np.ndarray, queries: np.ndarray, settings) -> tuple[dict, object]:
    """Flat and HNSW over the same vectors: build time, latency at the pipeline's pool, recall@10."""
    import faiss
    from index import ann
    params = settings.ann_params()
    t = time.perf_counter()
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    flat_s = time.perf_counter() - t
    exact = flat.search(queries, 10)[1]
    rows, stats = _search_leg(flat, queries, settings.candidates)
    out = {"flat": {"build_s": round(flat_s, 3), **stats, "recall@10": ann.recall_at_k(rows, exact)}}
    chosen_type = ann.describe(ann.make_faiss_index(vectors.shape[1], len(vectors), **params))["type"]
    if chosen_type == "flat":
        chosen = flat
    else:
        del flat
    t = time.perf_counter()
    hnsw = ann.build_faiss_index(vectors, **(params | {"flat_below": 0}))
    hnsw_s = time.perf_counter() - t
    rows, stats = _search_leg(hnsw, queries, settings.candidates)
    sweep = []
    for ef in EF_SWEEP:
        ann.set_ef_search(hnsw, ef)
        found, s = _search_leg(hnsw, queries, 10)
        sweep.append({"ef_search": ef, **s, "recall@10": ann.recall_at_k(found, exact)})
    ann.set_ef_search(hnsw, params["ef_search"])
    out["ann"] = {**ann.describe(hnsw), "build_s": round(hnsw_s, 3), **stats,
                  "recall@10": ann.recall_at_k(rows, exact), "ef_sweep": sweep}
    out["type"] = chosen_type
    return out, (hnsw if chosen_type == "hnsw" else chosen)


class _Lookup:
    """An embedder that returns the precomputed vectors of the known questions."""

    def __init__(self, name, questions, vectors):
        self.name, self.dim = name, vectors.shape[1]
        self._rows = {q: i for i, q in enumerate(questions)}
        self._vectors = vectors

    def encode(self, texts, progress=False):
        return self._vectors[[self._rows[t] for t in texts]]


def _lexicon(settings):
    """The Chinese -> English lexicon of the real corpus, for the product's "translated" BM25 leg."""
    from corpus import chunk_documents, load_documents
    from index.translate import Lexicon
    chunks = chunk_documents(load_documents(settings.corpus_dir), settings.chunk_size, settings.chunk_overlap)
    return Lexicon.build([c.text for c in chunks])


def measure_size(n: int, sample: Sample, settings, rng) -> dict:
    """Build BM25 and both dense legs over n synthetic passages and time every leg and the fusion."""
    from corpus.types import Chunk
    from index.fusion import top
    from index.lexical import LexicalIndex
    from index.store import Index, fusion_for
    started = time.perf_counter()
    texts = synth_texts(sample.sentences, n, rng)
    t = time.perf_counter()
    lexical = LexicalIndex.build(texts)
    row = {"n": n, "bm25": {"build_s": round(time.perf_counter() - t, 3)}}
    with one_thread():
        _, stats = timed(lambda q: top(lexical.scores(q), settings.candidates), sample.questions)
    row["bm25"].update(stats)
    dense = {}
    for leg in LEGS:
        vectors = synth_vectors(sample.vectors[leg], n, rng)
        row[leg], chosen = _measure_leg(vectors, sample.queries[leg], settings)
        del vectors
        dense[leg] = (_Lookup(leg, sample.questions, sample.queries[leg]), chosen)
    chunks = [Chunk(chunk_id=f"s{i // 10}#{i % 10}", doc_id=f"s{i // 10}", text=text, start=0, end=len(text))
              for i, text in enumerate(texts)]
    index = Index(chunks, {}, lexical, dense, {}, _lexicon(settings))
    weights = fusion_for(settings)
    search = lambda q: index.search(q, settings.k, weights=weights, candidates=settings.candidates)  # noqa: E731
    _, row["fused_default_threads"] = timed(search, sample.questions)
    with one_thread():
        _, row["fused"] = timed(search, sample.questions)
    row["peak_rss_mb"] = peak_rss_mb()
    row["seconds"] = round(time.perf_counter() - started, 1)
    row["load"] = round(os.getloadavg()[0], 2)
    return row


# ---------- the whole scale run ----------
def run_size(n: int, sample_dir: Path, out_dir: Path, timeout: float = 3600) -> dict:
    """measure_size in a child process; its JSON is also written to out_dir/scale-<n>.json."""
    target = out_dir / f"scale-{n}.json"
    cmd = [sys.executable, "-m", "evals.scale", "child", str(n), str(sample_dir), str(target)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"scale run at {n:,} passages failed: {tail}")
    return json.loads(target.read_text(encoding="utf-8"))


def write_json(path: Path, data) -> None:
    from index.persist import write_atomic
    write_atomic(path, json.dumps(data, indent=1, ensure_ascii=False))


def plot(out_dir: Path) -> Path | None:
    """Latency and build time against corpus size, from every scale-<n>.json in out_dir."""
    rows = sorted((json.loads(p.read_text()) for p in out_dir.glob("scale-*.json")), key=lambda r: r["n"])
    if not rows:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = [r["n"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, get in (("dense flat (exact)", lambda r: r["dense"]["flat"]["p50_ms"]),
                       ("dense HNSW", lambda r: r["dense"]["ann"]["p50_ms"]),
                       ("BM25", lambda r: r["bm25"]["p50_ms"]), ("fused (all legs)", lambda r: r["fused"]["p50_ms"])):
        left.plot(n, [get(r) for r in rows], marker="o", label=label)
    for label, get in (("BM25", lambda r: r["bm25"]["build_s"]), ("HNSW dense", lambda r: r["dense"]["ann"]["build_s"]),
                       ("HNSW multilingual", lambda r: r["multilingual"]["ann"]["build_s"])):
        right.plot(n, [get(r) for r in rows], marker="o", label=label)
    for ax, title, unit in ((left, "search p50, one question, one thread (excl. query embedding)", "ms"),
                            (right, "index build time (excl. embedding)", "s")):
        ax.set(xscale="log", yscale="log", xlabel="passages", ylabel=unit, title=title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    from index.persist import write_atomic
    path, buffer = out_dir / "scale.png", io.BytesIO()
    fig.savefig(buffer, dpi=110, format="png")
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
    return path


def main(argv: list[str]) -> None:
    if len(argv) != 4 or argv[0] != "child":
        sys.exit("usage: python -m evals.scale child N SAMPLE_DIR OUT_JSON")
    from assistant.config import Settings
    row = measure_size(int(argv[1]), Sample.load(Path(argv[2])), Settings(), np.random.default_rng(int(argv[1])))
    write_json(Path(argv[3]), row)


if __name__ == "__main__":
    main(sys.argv[1:])
