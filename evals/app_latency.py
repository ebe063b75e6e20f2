"""Start-up time of `lmc serve` and per-question latency through the /ask API (gradio_client).

    .venv/bin/python evals/app_latency.py                 # 20 gold questions (dev, English and Chinese)
    .venv/bin/python evals/app_latency.py --n 40 --index .lmc/index

Start-up is measured from launching the process to the URL answering (the server loads the index and
warms the models before it announces the URL). The first question is timed on its own, then each
of the rest; figures are wall-clock seconds on this machine, printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def questions(n: int) -> list[str]:
    """The first n dev questions, alternating English and Chinese."""
    from evals.gold import load_questions
    dev = load_questions(split="dev")
    en = [q["question"] for q in dev if q["lang"] == "en"]
    zh = [q["question"] for q in dev if q["lang"] == "zh"]
    mixed = [q for pair in zip(en, zh) for q in pair]
    return mixed[:n]


def start(port: int, index: str | None) -> tuple[subprocess.Popen, float, str]:
    """Run lmc serve; return the process, seconds until the URL answered, and the ready line."""
    cmd = [str(Path(sys.executable).parent / "lmc"), "serve", "--port", str(port)]
    if index:
        cmd += ["--index", index]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    ready = ""
    for line in proc.stderr:
        if line.startswith("Ready in"):
            ready = line.strip()
            break
    threading.Thread(target=proc.stderr.read, daemon=True).start()      # keep draining the pipe
    url = f"http://127.0.0.1:{port}/"
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"lmc serve exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return proc, time.perf_counter() - started, ready
        except OSError:
            time.sleep(0.05)


def timed(client, question: str) -> tuple[float, dict]:
    started = time.perf_counter()
    result = client.predict(question, api_name="/ask")
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="questions to time (default 20)")
    parser.add_argument("--index", default=None, help="index folder (default: $LMC_INDEX or .lmc/index)")
    args = parser.parse_args()
    from gradio_client import Client
    port = free_port()
    proc, startup, ready = start(port, args.index)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        asked = questions(args.n)
        first, _ = timed(client, asked[0])
        rest = [timed(client, q) for q in asked[1:]]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    times = [first] + [t for t, _ in rest]
    print(f"start-up (process start -> URL answers): {startup:.1f} s   [{ready}]")
    print(f"first question through /ask:             {first:.2f} s   ({asked[0]!r})")
    print(f"per question through /ask (n={len(times)}):      median {statistics.median(times):.2f} s, "
          f"p90 {sorted(times)[int(0.9 * (len(times) - 1))]:.2f} s, max {max(times):.2f} s, "
          f"mean {statistics.mean(times):.2f} s")
    by_lang = {"en": [], "zh": []}
    for q, t in zip(asked, times):
        by_lang["zh" if any("\u4e00" <= ch <= "\u9fff" for ch in q) else "en"].append(t)
    print("median by language: " + json.dumps({k: round(statistics.median(v), 2) for k, v in by_lang.items() if v}))


if __name__ == "__main__":
    main()
