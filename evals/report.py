"""Report output: the terminal table, the JSON object, and the report folder.

The folder (default evals/reports/latest) holds report.md (tables and failures), chart.png
(Success@1/5/10 and MRR@10 per kind and language), failures.jsonl, run.trec and qrels.trec
(the run and the judgments exactly as ir-measures scored them). Every file is written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from evals.metrics import NAMES
from index.persist import write_atomic

DEFAULT_DIR = Path(__file__).resolve().parent / "reports" / "latest"
HEADS = ("Success@1", "Success@5", "Success@10", "R@10", "MRR@10", "nDCG@10")
ANSWER_LINES = (("key_accuracy", "answer-key accuracy (answerable questions)"),
                ("citations_verbatim", "citations verbatim (quote == document text)"),
                ("citations_cover_evidence", "citations that overlap the evidence"),
                ("refusal_rate", "refusal rate on unanswerable questions"),
                ("false_refusal_rate", "false refusals on answerable questions"),
                ("median_answer_chars", "median answer length (characters)"),
                ("seconds_per_question", "seconds per question"))
LLM_LINES = (("asked", "questions put to the model (not refused)"),
             ("answered_by_model", "answered with checked model sentences"),
             ("model_sentences", "sentences the model wrote"),
             ("dropped_share", "share of them dropped by the check"),
             ("fallbacks", "fallbacks to the extractive answer (noted)"),
             ("recheck_failures", "finished answers failing the re-check (not shown)"),
             ("model_seconds_per_asked", "model seconds per question asked"))


def format_table(header: list[str], rows: list[list], markdown: bool = False) -> str:
    """Left-aligned first column, right-aligned others; floats with three decimals."""
    cells = [[_cell(v) for v in row] for row in [header] + rows]
    if markdown:
        lines = ["| " + " | ".join(r) + " |" for r in cells]
        lines.insert(1, "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in cells)


def _cell(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def retrieval_rows(report) -> list[list]:
    rows = [["all", report.n_answerable] + [report.overall.get(n) for n in NAMES]]
    for title, groups in (("kind", report.by_kind), ("lang", report.by_lang)):
        for name, g in groups.items():
            rows.append([f"{title} {name}", g["n"]] + [g.get(n) for n in NAMES])
    return rows


def baseline_lines(report) -> list[str]:
    """The yardsticks run on the same questions (lmc eval --squad), each with our margin over it."""
    b = report.baselines
    if not b:
        return []
    ours_s1 = report.overall.get("success@1", 0.0)
    bm25 = b["bm25_paragraphs"]["success@1"]
    lines = ["Baselines on the same questions:",
             f"  {'BM25 over paragraphs, Success@1':<46} {bm25:.3f} (ours {ours_s1:.3f}, {ours_s1 - bm25:+.3f})"]
    if report.answers is not None:
        ours = report.answers.get("key_accuracy") or 0.0
        one = b["oneline"]["key_accuracy"]
        lines.append(f"  {'one-line baseline, answer accuracy':<46} {one:.3f} (ours {ours:.3f}, {ours - one:+.3f})")
    return lines


def answer_lines(report) -> list[str]:
    a = report.answers
    if a is None:
        return [report.answers_note or "answer figures not measured"]
    lines = [f"Answers ({a['n_answerable']} answerable, {a['n_unanswerable']} unanswerable, "
             f"{a['citations']} citations):"]
    lines += [f"  {label:<46} {_cell(a.get(key))}" for key, label in ANSWER_LINES]
    for group in ("by_kind", "by_lang"):
        parts = [f"{name} {_cell(g['key_accuracy'])} (n={g['n']})" for name, g in a[group].items()]
        lines.append(f"  key accuracy {group.replace('_', ' ')}: " + ", ".join(parts))
    llm = a.get("llm")
    if llm:
        lines.append("Model answers (--answerer llm):")
        lines += [f"  {label:<46} {_cell(llm.get(key))}" for key, label in LLM_LINES]
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(llm["fallbacks_by_reason"].items())) or "none"
        lines.append(f"  fallbacks by reason: {reasons}")
    return lines


def text(report, directory: Path | None = None) -> str:
    head = (f"Retrieval on split {report.split or '?'}: {report.n_answerable} answerable questions "
            f"({report.n_questions} in all), top {report.config.get('k')} chunks, "
            f"{report.config.get('n_chunks')} chunks indexed")
    out = [head, format_table(["group", "n", *HEADS], retrieval_rows(report)), "", *answer_lines(report)]
    if report.baselines:
        out += ["", *baseline_lines(report)]
    kinds = {f["type"] for f in report.failures}
    counts = ", ".join(f"{sum(f['type'] == t for f in report.failures)} {t}" for t in sorted(kinds)) or "none"
    out.append(f"\nFailures: {counts}" + (f" (see {directory}/report.md)" if directory else ""))
    return "\n".join(out)


def as_json(report, directory: Path | None = None) -> dict:
    out = report.to_dict()
    if directory is not None:
        out["report_dir"] = str(directory)
    return out


# ---------- the folder ----------
def write(report, directory: Path) -> Path:
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot write the report to {directory}: {exc.strerror or exc}") from None
    write_atomic(directory / "report.md", markdown(report))
    write_atomic(directory / "failures.jsonl",
                 "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in report.failures))
    write_atomic(directory / "run.trec",
                 "".join(f"{q} Q0 {d} {n} {s:g} lmc\n" for q, d, n, s in report.run))
    write_atomic(directory / "qrels.trec", "".join(f"{q} 0 {d} {r}\n" for q, d, r in report.qrels))
    write_atomic(directory / "chart.png", chart(report))
    return directory


def markdown(report) -> str:
    out = [f"# Evaluation: split {report.split}", "",
           f"{report.n_questions} questions ({report.n_answerable} answerable); top {report.config.get('k')} "
           f"of {report.config.get('n_chunks')} chunks; weights {report.config.get('weights')}; "
           f"build {report.config.get('build')}.", "",
           "## Retrieval", "", format_table(["group", "n", *HEADS], retrieval_rows(report), markdown=True),
           "", "## Answers", "", *[line.replace("  ", "- ", 1) if line.startswith("  ") else line
                                    for line in answer_lines(report) + baseline_lines(report)], "",
           "## Failures", ""]
    if not report.failures:
        out.append("None.")
    for f in report.failures:
        out += _failure_md(f)
    return "\n".join(out) + "\n"


def _failure_md(f: dict) -> list[str]:
    out = [f"### {f['id']} ({f['type']}, {f['kind']}, {f['lang']})", "", f"**Q:** {f['question']}", ""]
    if f["type"] == "answer":
        state = "refused" if f["refused"] else "answered"
        out += [f"Expected keys: {f['answer_keys']}; {state}, {f['citations']} citations "
                f"({f['bad_citations']} not verbatim).", "", "> " + " ".join(f["answer"].split()), ""]
        return out
    where = f"first evidence at rank {f['first_rank']}" if f["first_rank"] else "no evidence in the top 10"
    out.append(f"{where}; {len(f['missing'])} of {len(f['expected'])} evidence spans missing from the top 10.")
    out += ["", "Expected:"] + [f"- `{e['doc_id']}`: “{e['text']}”" for e in f["expected"]]
    out += ["", "Came back instead:"] + [f"{h['rank']}. `{h['chunk_id']}` ({h['start']}-{h['end']}): {h['snippet']}"
                                        for h in f["top"]]
    return out + [""]


def chart(report) -> bytes:
    """PNG bytes: Success@1/5/10 and MRR@10 for all, each kind and each language."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    groups = [("all", report.overall)] + [(k, g) for k, g in report.by_kind.items()] + \
             [(f"lang {k}", g) for k, g in report.by_lang.items()]
    names = [("success@1", "Success@1"), ("success@5", "Success@5"), ("success@10", "Success@10"),
             ("mrr@10", "MRR@10")]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(groups)), 4))
    width = 0.8 / len(names)
    for i, (key, label) in enumerate(names):
        xs = [g + (i - (len(names) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, [fig_.get(key, 0.0) for _, fig_ in groups], width, label=label)
    ax.set_xticks(range(len(groups)), [g for g, _ in groups], rotation=20)
    ax.set_ylim(0, 1.2)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_title(f"Retrieval, split {report.split} ({report.n_answerable} answerable questions)")
    ax.legend(loc="upper center", ncol=len(names), fontsize=8, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()
