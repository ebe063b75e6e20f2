"""lmc bench: what our pipeline costs next to the LangChain-default one, and how search scales.

For both pipelines: build time and throughput, index size on disk, peak memory of the build, cold
start (a fresh process answering one question), warm latency per question, and Success@5 / MRR@10
on the dev split through evals.run.evaluate. The LangChain-default pipeline is evals/baseline.py's
chunker (RecursiveCharacterTextSplitter 1000/200) with MiniLM over a flat FAISS index and nothing
else, stored as LangChain's FAISS.save_local stores it (the vectors plus the chunks). Then the
incremental rebuild, and evals/scale.py. The machine's load average is recorded with the figures.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


from evals.scale import one_thread, timed, write_json

N_QUESTIONS = 100
WARMUP = 20                                     # other gold questions, asked once before timing
COLD_RUNS = 3
DEFAULT_OUT = Path("evals/reports/bench/bench.json")
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
LMC = [sys.executable, "-c", "from assistant.cli import main; main()"]


def parse_sizes(text: str) -> list[int]:
    """'10000,100k,1M' -> [10000, 100000, 1000000]."""
    sizes = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*([kKmM]?)\s*", part)
        n = int(m.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()] if m else 0
        if not 1_000 <= n <= 10_000_000:
            raise ValueError(f"--sizes takes passage counts from 1000 to 10M, such as 10000,100000 (got {part!r})")
        sizes.append(n)
    return sorted(set(sizes))


def load() -> float:
    return round(os.getloadavg()[0], 2)


# Runs argv[2:] and writes its peak RSS (KB) to argv[1]. Spawned from this small process, the command's
# ru_maxrss is its own: Linux carries the spawning process's peak over the exec.
WRAPPER = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[2:]); _, s, u = os.wait4(p.pid, 0); "
           "open(sys.argv[1], 'w').write(str(u.ru_maxrss)); sys.exit(os.waitstatus_to_exitcode(s))")


def measured(cmd: list[str]) -> dict:
    """Run cmd; wall seconds, the peak RSS of that command alone, its stdout. Fails loudly."""
    with tempfile.TemporaryDirectory() as tmp:
        rss = Path(tmp) / "rss"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", WRAPPER, str(rss), *cmd], capture_output=True, text=True, env=ENV)
        seconds = time.perf_counter() - started
        peak = int(rss.read_text()) if rss.exists() else 0
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{' '.join(cmd[3:]) or cmd} failed: {tail}")
    return {"seconds": round(seconds, 2), "peak_mb": round(peak / 1024, 1), "stdout": done.stdout}


def dir_mb(path: Path, skip: str | None = None) -> float:
    return round(sum(p.stat().st_size for p in Path(path).rglob("*")
                     if p.is_file() and (skip is None or skip not in p.relative_to(path).parts)) / 1e6, 3)


def cold_start(cmd: list[str]) -> dict:
    runs = [measured(cmd) for _ in range(COLD_RUNS)]
    seconds = sorted(r["seconds"] for r in runs)
    return {"median_s": seconds[len(seconds) // 2], "runs_s": seconds, "peak_mb": max(r["peak_mb"] for r in runs)}


# ---------- the LangChain-default pipeline, stored as LangChain stores it ----------
def baseline_build(directory: str) -> None:
    """Child process: LangChain chunks -> MiniLM -> flat FAISS; writes index.faiss + chunks.jsonl."""
    import faiss
    from corpus import load_documents
    from evals.baseline import langchain_chunks
    from index.embedder import MiniLMEmbedder
    started = time.perf_counter()
    chunks = langchain_chunks(load_documents())
    vectors = MiniLMEmbedder().encode([c.text for c in chunks])
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    faiss.write_index(flat, str(folder / "index.faiss"))
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(dataclasses.asdict(c), ensure_ascii=False) + "\n")
    print(json.dumps({"n_chunks": len(chunks), "build_seconds": round(time.perf_counter() - started, 2)}))


def baseline_search(directory: str, question: str, k: int = 5) -> None:
    """Child process: load the stored baseline and the model, answer one question (the cold start)."""
    import faiss
    from index.embedder import MiniLMEmbedder
    flat = faiss.read_index(str(Path(directory) / "index.faiss"))
    chunks = [json.loads(line) for line in open(Path(directory) / "chunks.jsonl", encoding="utf-8")]
    _, rows = flat.search(MiniLMEmbedder().encode([question]), k)
    for rank, row in enumerate(rows[0], 1):
        print(rank, chunks[row]["chunk_id"])


def _child(call: str) -> list[str]:
    return [sys.executable, "-c", f"from evals.bench import *; {call}"]


# ---------- the two pipelines ----------
def warm_latency(fn, warmup: list[str], questions: list[str]) -> dict:
    """Latency percentiles of fn over questions, after one pass over other (warm-up) questions;
    timed() empties the recent-question caches before each one."""
    for q in warmup:
        fn(q)
    return timed(fn, questions)[1]


def measure_ours(settings, work: Path, questions: list[str], dev: list[dict], warmup: list[str]) -> dict:
    from evals.run import evaluate
    from index.store import Index, fusion_for
    directory = work / "ours"
    build = measured(LMC + ["index", "--index", str(directory)])
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    verb = ["ask"] if subprocess.run(LMC + ["ask", "--help"], capture_output=True, env=ENV).returncode == 0 \
        else ["search", "--k", "5"]
    cold = cold_start(LMC + verb + ["--index", str(directory), questions[0]])
    index = Index.load(directory)
    weights = fusion_for(settings)
    search = lambda q: index.search(q, settings.k, weights=weights, candidates=settings.candidates)  # noqa: E731
    warm = warm_latency(search, warmup, questions)
    ask = _warm_ask(index, settings, questions, warmup)
    report = evaluate(index, dev, settings, answers=False, split="dev")
    with one_thread(), use_one_thread(index):       # what if query time ran on one thread everywhere
        single = {"search": warm_latency(search, warmup, questions),
                  "ask": _warm_ask(index, settings, questions, warmup)}
    return {"n_chunks": meta["n_chunks"], "build_s": build["seconds"], "build_in_process_s": meta["build_seconds"],
            "passages_per_s": round(meta["n_chunks"] / meta["build_seconds"], 1),
            "disk_mb": dir_mb(directory), "disk_mb_without_cache": dir_mb(directory, skip="cache"),
            "build_peak_mb": build["peak_mb"], "cold_start": cold | {"command": verb[0]},
            "search": warm, "ask": ask, "one_thread": single,
            "success@5": report.overall.get("success@5"), "mrr@10": report.overall.get("mrr@10"),
            "ann": meta.get("ann"), "load": load()}


class use_one_thread:
    """What-if: the multilingual leg encodes with USEEmbedder(threads=1) instead of its default."""

    def __init__(self, index):
        self.index, self.before = index, dict(index.dense)

    def __enter__(self):
        from index.embedder import USEEmbedder
        for leg, (embedder, faiss_index) in self.before.items():
            if isinstance(embedder, USEEmbedder):
                self.index.dense[leg] = (USEEmbedder(threads=1), faiss_index)

    def __exit__(self, *exc):
        self.index.dense.update(self.before)


def _warm_ask(index, settings, questions: list[str], warmup: list[str]) -> dict | None:
    try:
        from assistant.answer import Assistant
    except ImportError:
        return None
    assistant = Assistant(index, settings)
    return warm_latency(lambda q: assistant.ask(q), warmup, questions)


def measure_baseline(settings, work: Path, questions: list[str], dev: list[dict], warmup: list[str]) -> dict:
    import faiss
    from corpus import load_documents
    from evals import baseline
    from evals.run import evaluate
    from index.embedder import MiniLMEmbedder
    directory = work / "langchain"
    build = measured(_child(f"baseline_build({str(directory)!r})"))
    info = json.loads(build["stdout"])
    cold = cold_start(_child(f"baseline_search({str(directory)!r}, {questions[0]!r})"))
    flat, embedder = faiss.read_index(str(directory / "index.faiss")), MiniLMEmbedder()
    search = lambda q: flat.search(embedder.encode([q]), settings.k)  # noqa: E731
    warm = warm_latency(search, warmup, questions)
    with one_thread():
        single = warm_latency(search, warmup, questions)
    plain = dataclasses.replace(settings, embedding_cache=False)
    report = evaluate(baseline.build(load_documents(), plain), dev, plain, weights=baseline.WEIGHTS,
                      answers=False, split="dev")
    return {"n_chunks": info["n_chunks"], "build_s": build["seconds"], "build_in_process_s": info["build_seconds"],
            "passages_per_s": round(info["n_chunks"] / info["build_seconds"], 1), "disk_mb": dir_mb(directory),
            "build_peak_mb": build["peak_mb"], "cold_start": cold | {"command": "faiss + MiniLM"},
            "search": warm, "one_thread": single, "ask": None, "success@5": report.overall.get("success@5"),
            "mrr@10": report.overall.get("mrr@10"), "load": load()}


def measure_incremental(work: Path) -> dict:
    """Rebuild the built index: unchanged corpus, then one document edited."""
    from corpus import DEFAULT_CORPUS
    corpus, directory = work / "corpus", work / "incremental"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    shutil.copytree(work / "ours", directory)
    cmd = LMC + ["index", "--corpus", str(corpus), "--index", str(directory)]
    rows = {}
    for case in ("unchanged", "one_document_changed"):
        if case == "one_document_changed":
            doc = sorted(corpus.glob("*.txt"))[1]
            doc.write_text(doc.read_text(encoding="utf-8") + "\nA paragraph added for the benchmark.\n",
                           encoding="utf-8")
        run = measured(cmd)
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        rows[case] = {"seconds": run["seconds"], "peak_mb": run["peak_mb"], "embedded": meta.get("embedded"),
                      "n_chunks": meta["n_chunks"]}
    return rows


# ---------- the whole run ----------
def run(out: Path, sizes: list[int], *, skip_scale: bool = False, skip_pipelines: bool = False,
        settings=None, log=print) -> dict:
    from assistant.config import Settings
    from evals.gold import load_questions
    settings = settings or Settings()
    out_dir = out.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    started, gold = time.perf_counter(), load_questions()
    questions = [q["question"] for q in gold[:N_QUESTIONS]]
    warmup = [q["question"] for q in gold[N_QUESTIONS:N_QUESTIONS + WARMUP]]
    dev = [q for q in gold if q.get("split") == "dev"]
    result = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_start": load(),
              "cores": os.cpu_count(), "n_questions": len(questions)}
    work = Path(tempfile.mkdtemp(prefix="lmc-bench-"))
    try:
        ours = dataclasses.replace(settings, index_dir=work / "ours")
        if not skip_pipelines:
            log("bench: our pipeline (build, cold start, warm search and ask, dev quality)")
            result["ours"] = measure_ours(ours, work, questions, dev, warmup)
            log("bench: the LangChain-default pipeline")
            result["langchain"] = measure_baseline(settings, work, questions, dev, warmup)
            result["ratios"] = ratios(result["ours"], result["langchain"])
            log("bench: incremental rebuilds")
            result["incremental"] = measure_incremental(work)
        if not skip_scale:
            result["scale"] = run_scale(ours, work, sizes, out_dir, questions, log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["load_end"], result["wall_s"] = load(), round(time.perf_counter() - started, 1)
    write_json(out, result)
    return result


def run_scale(settings, work: Path, sizes: list[int], out_dir: Path, questions: list[str], log) -> dict:
    from evals import scale
    log("bench: embedding throughput (MiniLM batch sizes x torch threads, USE)")
    sample = scale.make_sample(settings, questions, log=log)
    from corpus import chunk_documents, load_documents
    from index.store import embedding_text
    docs = load_documents(settings.corpus_dir)
    meta = {d.doc_id: d.meta() for d in docs}
    texts = [embedding_text(c, meta[c.doc_id], settings.header)
             for c in chunk_documents(docs, settings.chunk_size, settings.chunk_overlap)][:128]
    out = {"throughput": scale.throughput(texts, questions[:30]), "sizes": []}
    sample.save(work / "sample")
    for n in sizes:
        log(f"bench: scale {n:,} passages")
        out["sizes"].append(scale.run_size(n, work / "sample", out_dir) | {"measured": time.strftime("%Y-%m-%d")})
        write_json(out_dir / f"scale-{n}.json", out["sizes"][-1])
    out["plot"] = str(scale.plot(out_dir))
    return out


def ratios(ours: dict, base: dict) -> dict:
    def r(a, b):
        return round(a / b, 2) if a is not None and b else None
    return {"search_p50": r(ours["search"]["p50_ms"], base["search"]["p50_ms"]),
            "search_p50_one_thread": r(ours["one_thread"]["search"]["p50_ms"], base["one_thread"]["p50_ms"]),
            "cold_start": r(ours["cold_start"]["median_s"], base["cold_start"]["median_s"]),
            "build": r(ours["build_s"], base["build_s"]), "disk": r(ours["disk_mb"], base["disk_mb"]),
            "success@5": r(ours["success@5"], base["success@5"]), "mrr@10": r(ours["mrr@10"], base["mrr@10"])}


# ---------- the printed table ----------
def _fmt(value, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}" if isinstance(value, float) else f"{value:,}{unit}"


def pipeline_table(result: dict) -> list[str]:
    ours, base, ratio = result["ours"], result["langchain"], result["ratios"]
    lat = lambda p: p and f"{p['p50_ms']:.1f} / {p['p95_ms']:.1f}"  # noqa: E731
    rows = [("chunks", ours["n_chunks"], base["n_chunks"], None),
            ("build, whole process (s)", ours["build_s"], base["build_s"], ratio["build"]),
            ("build throughput (passages/s)", ours["passages_per_s"], base["passages_per_s"], None),
            ("index on disk (MB)", ours["disk_mb"], base["disk_mb"], ratio["disk"]),
            ("peak memory of the build (MB)", ours["build_peak_mb"], base["build_peak_mb"], None),
            (f"cold start to first answer (s, {ours['cold_start']['command']})", ours["cold_start"]["median_s"],
             base["cold_start"]["median_s"], ratio["cold_start"]),
            ("warm search p50 / p95 (ms)", lat(ours["search"]), lat(base["search"]), ratio["search_p50"]),
            ("warm ask p50 / p95 (ms)", lat(ours["ask"]), "n/a (no answer step)", None),
            ("what if 1 thread (torch, faiss, USE): search p50 / p95 (ms)", lat(ours["one_thread"]["search"]),
             lat(base.get("one_thread")), ratio["search_p50_one_thread"]),
            ("what if 1 thread (torch, faiss, USE): ask p50 / p95 (ms)", lat(ours["one_thread"]["ask"]), "", None),
            ("Success@5 (dev)", ours["success@5"], base["success@5"], ratio["success@5"]),
            ("MRR@10 (dev)", ours["mrr@10"], base["mrr@10"], ratio["mrr@10"])]
    lines = ["| | ours | LangChain default | ours / default |", "|---|---:|---:|---:|"]
    for name, a, b, r in rows:
        cell = lambda v: _fmt(v, digits=3 if isinstance(v, float) and v < 1 else 1) if not isinstance(v, str) else v  # noqa: E731
        lines.append(f"| {name} | {cell(a)} | {cell(b)} | {_fmt(r, 'x', 2)} |")
    inc = result.get("incremental") or {}
    for case, row in inc.items():
        new = sum(v["new"] for v in (row["embedded"] or {}).values())
        lines.append(f"| rebuild, {case.replace('_', ' ')} (s) | {row['seconds']:.1f} ({new} texts embedded) | | |")
    return lines


def scale_table(out_dir: Path) -> list[str]:
    rows = sorted((json.loads(p.read_text()) for p in out_dir.glob("scale-*.json")), key=lambda r: r["n"])
    lines = ["| passages | BM25 build (s) | BM25 p50/p95 (ms) | dense flat p50 (ms) | dense HNSW build (s) | "
             "dense HNSW p50/p95 (ms) | recall@10 | index used | fused p50/p95 (ms) | fused, default threads (ms) "
             "| peak RSS (MB) | load |", "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        d, a = r["dense"], r["dense"]["ann"]
        recall = 1.0 if d["type"] == "flat" else a["recall@10"]
        lines.append(f"| {r['n']:,} | {r['bm25']['build_s']:.1f} | {r['bm25']['p50_ms']:.2f} / {r['bm25']['p95_ms']:.2f} "
                     f"| {d['flat']['p50_ms']:.2f} | {a['build_s']:.1f} | {a['p50_ms']:.2f} / {a['p95_ms']:.2f} "
                     f"| {recall:.3f} | {d['type']} | {r['fused']['p50_ms']:.2f} / {r['fused']['p95_ms']:.2f} "
                     f"| {r['fused_default_threads']['p50_ms']:.2f} / {r['fused_default_threads']['p95_ms']:.2f} "
                     f"| {r['peak_rss_mb']:,.0f} | {r.get('load', '')} |")
    return lines


def throughput_table(rows: list[dict]) -> list[str]:
    lines = ["| model | threads | batch | passages/s | one question p50 (ms) |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['model']} | {r['threads']} | {r['batch']} | {r['passages_per_s']:.1f} | "
              f"{r.get('query_p50_ms', '')} |" for r in rows]
    return lines


def table(result: dict, out_dir: Path) -> str:
    parts = [f"lmc bench, {result['created']}, {result['cores']} cores, load {result['load_start']} -> "
             f"{result['load_end']}, wall {result['wall_s']:.0f} s"]
    if "ours" in result:
        parts += ["", *pipeline_table(result)]
    if "scale" in result:
        parts += ["", *throughput_table(result["scale"]["throughput"]), "", *scale_table(out_dir),
                  "", f"plot: {result['scale']['plot']}"]
    return "\n".join(parts)
