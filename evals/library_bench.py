"""How long adding one 20-page PDF to the indexed corpus takes, against a full rebuild.

    .venv/bin/python evals/library_bench.py                      # builds a base index first (~30-100 s)
    .venv/bin/python evals/library_bench.py --index .lmc/index   # or copies an existing `lmc index` folder
    .venv/bin/python evals/library_bench.py --full               # also times a rebuild from scratch

The PDF is printed by Chromium from generated English and Chinese paragraphs (20 pages, forced
page breaks), so its text is new to the embedding cache. `lmc add` runs as a separate process, as a
user would run it (so the figure includes starting Python and loading both models); its own
"Index updated in N s" line is the build alone. Everything happens in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLACES = ["Vientiane", "Phnom Penh", "Bangkok", "Hanoi", "Yangon", "Kunming", "Pakse", "Luang Prabang",
          "Chiang Rai", "Can Tho", "Siem Reap", "Mandalay", "Jinghong", "Nanning"]
TOPICS = ["flood forecasting", "rice seed banks", "border trade", "rail freight", "public health",
          "vocational training", "solar power", "fisheries", "tourism", "customs clearance"]
PLACES_ZH = ["万象", "金边", "曼谷", "河内", "仰光", "昆明", "巴色", "琅勃拉邦", "清莱", "芹苴", "暹粒", "曼德勒", "景洪", "南宁"]
TOPICS_ZH = ["洪水预报", "水稻种子库", "边境贸易", "铁路货运", "公共卫生", "职业培训", "太阳能", "渔业", "旅游", "通关"]


def paragraphs(n: int, seed: int = 17) -> list[str]:
    """n distinct paragraphs, about 450 characters each, alternating English and Chinese."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a, b = rng.randrange(len(PLACES)), rng.randrange(len(TOPICS))
        year, count = 2020 + i % 7, rng.randrange(12, 900)
        if i % 3 == 2:
            out.append(f"第{i + 1}项合作：{year}年，{PLACES_ZH[a]}{TOPICS_ZH[b]}项目共培训{count}名学员，"
                       f"建成{count % 40 + 3}个示范点，并与{PLACES_ZH[(a + 3) % len(PLACES)]}的伙伴签署了为期"
                       f"{count % 5 + 2}年的协议。各方同意每季度交流进展，共享数据，并在下一年扩大项目范围，"
                       f"惠及沿岸{count % 30 + 5}个社区。")
        else:
            out.append(f"Project {i + 1}: in {year} the {TOPICS[b]} programme in {PLACES[a]} trained {count} "
                       f"people and opened {count % 40 + 3} pilot sites, working with partners in "
                       f"{PLACES[(a + 3) % len(PLACES)]} under a {count % 5 + 2}-year agreement. The partners "
                       f"agreed to report every quarter, to share their data openly, and to extend the "
                       f"programme to {count % 30 + 5} riverside communities in the following year.")
    return out


def make_pdf(folder: Path, pages: int = 20, per_page: int = 6) -> Path:
    from evals.samples import html_page, print_pdf
    paras = paragraphs(pages * per_page)
    page = html_page("Mekong Cooperation Projects Review 澜湄合作项目回顾", paras, "zh",
                     page_breaks=set(range(per_page, pages * per_page, per_page)))
    return print_pdf(page, folder / "projects-review.pdf")


def run(cmd: list[str], env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def in_app(index_dir: Path, pdf: Path) -> float:
    """Seconds the app takes to add the PDF, its models loaded and warm as they are in `lmc serve`."""
    import dataclasses
    from assistant.answer import Assistant
    from assistant.app import Live
    from assistant.app_library import add_uploads
    from assistant.config import Settings
    from corpus import load_corpus
    from index.store import open_index
    settings = dataclasses.replace(Settings(), index_dir=index_dir)
    docs = load_corpus(settings)
    assistant = Assistant(open_index(settings, log=lambda m: None, progress=False), settings, docs)
    assistant.ask("Where was the 2025 Lancang-Mekong Local Government Cooperation Forum held?")    # warm
    live = Live(assistant, {d.doc_id: d for d in docs})
    started = time.perf_counter()
    outcomes = add_uploads(live, settings, [str(pdf)])
    assert outcomes[0].status == "added", outcomes[0].line()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="an existing `lmc index` folder to copy (default: build one)")
    parser.add_argument("--full", action="store_true", help="also time a full rebuild with no cache")
    args = parser.parse_args()
    lmc = str(Path(sys.executable).parent / "lmc")
    with tempfile.TemporaryDirectory(prefix="lmc-bench-") as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, LMC_INDEX=str(tmp / "lmc" / "index"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        if args.index:
            shutil.copytree(args.index, tmp / "lmc" / "index")
        else:
            seconds, out = run([lmc, "index"], env)
            print(f"base index: {out.strip()} ({seconds:.1f} s with process start)")
        shutil.copytree(tmp / "lmc" / "index", tmp / "app" / "lmc" / "index")
        pdf = make_pdf(tmp)
        from corpus.formats import parse
        started = time.perf_counter()
        parsed = parse(pdf.read_bytes(), pdf.name)
        parse_s = time.perf_counter() - started
        print(f"PDF: {len(parsed.pages)} pages, {pdf.stat().st_size / 1e3:.0f} KB, {len(parsed.text):,} characters; "
              f"parsed in {parse_s:.2f} s")
        load = os.getloadavg()[0]
        seconds, out = run([lmc, "add", str(pdf)], env)
        build = re.search(r"Index updated in ([\d.]+) s", out)
        print(out.strip())
        print(f"lmc add (whole process, both models loaded): {seconds:.1f} s; the build alone: "
              f"{build.group(1) if build else '?'} s; load average before: {load:.1f}")
        print(f"the app's Documents tab (models already loaded): {in_app(tmp / 'app' / 'lmc' / 'index', pdf):.1f} s; "
              f"load average before: {os.getloadavg()[0]:.1f}")
        if args.full:
            shutil.rmtree(tmp / "lmc" / "index")
            seconds, out = run([lmc, "index"], env)
            print(f"full rebuild with no cache (lmc index): {out.strip()} ({seconds:.1f} s with process start)")


if __name__ == "__main__":
    main()
