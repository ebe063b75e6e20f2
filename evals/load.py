"""Load test: N concurrent gradio_client clients ask mixed questions through /ask for a fixed time.

    .venv/bin/python evals/load.py                          # serves `lmc serve` on a free loopback port
    .venv/bin/python evals/load.py --clients 8 --duration 60 --index .lmc/index
    .venv/bin/python evals/load.py --url http://127.0.0.1:7860/

Each client cycles through English, Chinese and unanswerable gold questions (evals/questions.jsonl)
and follow-ups (a first question, then a follow-up sent with that turn as history), starting at a
different point of the cycle. A request is an error when it raises or times out, when the JSON lacks
its fields, when a citation is not `document.text[start:end]`, or when the same (question, history)
gets a different answer than it got before: answers are deterministic, so a race shows up there.
Traffic goes to loopback only; the run is bounded by --duration (plus one in-flight request per client).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "evals" / "questions.jsonl"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FOLLOW_UPS = [      # (first question, follow-up asked with the first turn as history)
    ("Where was the 2025 Lancang-Mekong Local Government Cooperation Forum held?",
     "Who presided over its opening ceremony?"),
    ("2025年中泰建交几周年?", "那2023年呢?"),
    ("When was the 10th Lancang-Mekong Cooperation Foreign Ministers' Meeting held?", "And who co-chaired it?"),
]


@dataclass
class Report:
    clients: int
    duration: float                     # seconds of traffic asked for
    wall: float = 0.0                   # seconds from the first request to the last answer
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.latencies) + len(self.errors)

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))] if xs else float("nan")

    def as_dict(self) -> dict:
        return {"clients": self.clients, "duration_s": self.duration, "wall_s": round(self.wall, 1),
                "requests": self.requests, "served": len(self.latencies), "errors": len(self.errors),
                "p50_s": round(self.percentile(50), 3), "p95_s": round(self.percentile(95), 3),
                "max_s": round(max(self.latencies, default=float("nan")), 3),
                "throughput_rps": round(len(self.latencies) / self.wall, 2) if self.wall else 0.0,
                "by_kind": self.kinds, "first_errors": self.errors[:5]}


def question_mix(path: Path = QUESTIONS) -> dict[str, list[str]]:
    """English and Chinese answerable questions, and unanswerable ones, from the gold set."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    mix = {"en": [r["question"] for r in rows if r["lang"] == "en" and r["kind"] != "unanswerable"],
           "zh": [r["question"] for r in rows if r["lang"] == "zh" and r["kind"] != "unanswerable"],
           "unanswerable": [r["question"] for r in rows if r["kind"] == "unanswerable"]}
    if not all(mix.values()):
        raise SystemExit(f"{path} lacks English, Chinese or unanswerable questions")
    return mix


def check_loopback(url: str) -> str:
    host = urlparse(url).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load-test {url}: only loopback addresses ({', '.join(sorted(LOOPBACK))})")
    return url if url.endswith("/") else url + "/"


def problems(result, texts: dict[str, str] | None) -> str | None:
    """Why an /ask result is wrong (None when it is well-formed and every quote is verbatim)."""
    if not isinstance(result, dict) or not isinstance(result.get("text"), str) \
            or not isinstance(result.get("refused"), bool) or not isinstance(result.get("citations"), list):
        return f"malformed result: {str(result)[:120]}"
    for c in result["citations"]:
        if texts is not None and texts.get(c.get("doc_id"), "")[c.get("start", 0):c.get("end", 0)] != c.get("quote"):
            return f"citation {c.get('n')} is not verbatim"
    return None


class _Shared:
    """What the client threads share: first answers per request, the report, and a lock."""

    def __init__(self, report: Report, texts):
        self.report, self.texts = report, texts
        self.first: dict[tuple, str] = {}
        self.lock = threading.Lock()

    def record(self, kind: str, key: tuple, seconds: float, result=None, error: str | None = None) -> None:
        with self.lock:
            if error is None:
                error = problems(result, self.texts)
            if error is None:
                seen = self.first.setdefault(key, result["text"])
                if seen != result["text"]:
                    error = f"answer changed under load for {key[0]!r}"
            if error is None:
                self.report.latencies.append(seconds)
                self.report.kinds[kind] = self.report.kinds.get(kind, 0) + 1
            else:
                self.report.errors.append(f"{kind}: {error}")


def _client_loop(url: str, n: int, mix: dict, shared: _Shared, stop_at: float, timeout: float) -> None:
    from gradio_client import Client
    try:
        client = Client(url, verbose=False)
    except Exception as exc:                          # noqa: BLE001 - counted, not raised
        with shared.lock:
            shared.report.errors.append(f"connect: {type(exc).__name__}: {exc}")
        return

    def ask(kind, question, history=None):
        key = (question, json.dumps(history or [], ensure_ascii=False))
        started = time.perf_counter()
        try:
            result = client.submit(question, 10, history or [], api_name="/ask").result(timeout=timeout)
        except Exception as exc:                      # noqa: BLE001 - counted, not raised
            shared.record(kind, key, time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}"[:200])
            return None
        shared.record(kind, key, time.perf_counter() - started, result)
        return result

    kinds = ["en", "zh", "follow-up", "unanswerable"]
    counters = {kind: itertools.count(n * 7) for kind in kinds}
    for step in itertools.count(n):
        if time.perf_counter() >= stop_at:
            return
        kind = kinds[step % len(kinds)]
        i = next(counters[kind])
        if kind != "follow-up":
            ask(kind, mix[kind][i % len(mix[kind])])
            continue
        first, follow = FOLLOW_UPS[i % len(FOLLOW_UPS)]
        answer = ask("en" if first.isascii() else "zh", first)
        if answer is not None and time.perf_counter() < stop_at:
            ask(kind, follow, [{"role": "user", "content": first}, {"role": "assistant", "content": answer["text"]}])


def run(url: str, clients: int = 4, duration: float = 30.0, *, timeout: float = 60.0,
        texts: dict[str, str] | None = None, mix: dict | None = None) -> Report:
    """Run `clients` threads against url for `duration` seconds; texts (doc_id -> text) checks quotes."""
    url = check_loopback(url)
    report = Report(clients, duration)
    shared = _Shared(report, texts)
    mix = mix or question_mix()
    started = time.perf_counter()
    stop_at = started + duration
    threads = [threading.Thread(target=_client_loop, args=(url, n, mix, shared, stop_at, timeout), daemon=True)
               for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + timeout + 30)
    report.wall = time.perf_counter() - started
    if any(t.is_alive() for t in threads):
        report.errors.append("a client did not finish in time")
    return report


# ---------- serving `lmc serve` for the run ----------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(index: str | None, corpus: str | None, ready_timeout: float = 600) -> tuple[subprocess.Popen, str]:
    """Start `lmc serve` on a free loopback port; return the process and its URL once it says Ready."""
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "lmc"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--index", index] if index else []
    cmd += ["--corpus", corpus] if corpus else []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    deadline = time.monotonic() + ready_timeout
    lines: list[str] = []

    def read():
        for line in proc.stderr:
            lines.append(line)
    threading.Thread(target=read, daemon=True).start()
    while not any(line.startswith("Ready in") for line in lines):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"lmc serve did not start: {''.join(lines[-5:]).strip()}")
        time.sleep(0.2)
    return proc, f"http://127.0.0.1:{port}/"


def corpus_texts(corpus: str | None) -> dict[str, str]:
    from corpus import DEFAULT_CORPUS, load_documents
    return {d.doc_id: d.text for d in load_documents(Path(corpus) if corpus else DEFAULT_CORPUS)}


def table(report: Report) -> str:
    d = report.as_dict()
    lines = [f"clients {d['clients']}, duration {d['duration_s']:g} s (wall {d['wall_s']} s)",
             f"requests served {d['served']}, errors {d['errors']}",
             f"latency p50 {d['p50_s']:.2f} s, p95 {d['p95_s']:.2f} s, max {d['max_s']:.2f} s",
             f"throughput {d['throughput_rps']:.2f} requests/s",
             "by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(d["by_kind"].items()))]
    lines += [f"error: {e}" for e in d["first_errors"]]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a running app (loopback only); default: serve one")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of traffic (default 30)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a request counts as failed")
    parser.add_argument("--index", default=None, help="index folder for the served app")
    parser.add_argument("--corpus", default=None, help="corpus folder (for the served app and the quote check)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 64 or not 0 < args.duration <= 3600:
        parser.error("--clients must be 1..64 and --duration 0..3600 s")
    texts = corpus_texts(args.corpus)
    proc = None
    url = check_loopback(args.url) if args.url else None
    if url is None:
        proc, url = serve(args.index, args.corpus)
    try:
        report = run(url, args.clients, args.duration, timeout=args.timeout, texts=texts)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1) if args.json else table(report))
    return 1 if report.errors or not report.latencies else 0


if __name__ == "__main__":
    sys.exit(main())
