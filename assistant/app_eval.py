"""The app's Evaluation tab: evals.run.evaluate on the gold set, with a progress bar.

run_evaluation(...) is a plain function (the tab and /evaluate call it): it returns the metrics
table, the answer figures, the chart (PNG path) and the failures as table rows.
"""

import tempfile
from html import escape
from pathlib import Path

FAILURE_HEADERS = ["id", "type", "kind", "lang", "question", "what went wrong"]


def _failure_row(f: dict) -> list:
    if f["type"] == "answer":
        state = "refused" if f.get("refused") else "answered"
        why = (f"{state}; expected {', '.join(map(str, f.get('answer_keys') or [])) or 'a refusal'}; "
               f"got: {' '.join(str(f.get('answer', '')).split())[:200]}")
    else:
        rank = f.get("first_rank")
        where = f"first evidence at rank {rank}" if rank else "no evidence in the top 10"
        top = "; ".join(f"{h['rank']}. {h['chunk_id']}" for h in f.get("top", []))
        why = f"{where}; {len(f.get('missing', []))} evidence span(s) missing; came back: {top}"
    return [str(f["id"]), f["type"], f["kind"], f["lang"], f["question"], why]


def run_evaluation(index, settings, split: str = "dev", answers: bool = False) -> dict:
    """Evaluate retrieval (and answers if asked) on one split of the gold set."""
    from evals import report as R
    from evals.gold import QUESTIONS
    from evals.run import evaluate, read_questions
    if split not in ("dev", "test", "all"):
        raise ValueError(f"split must be dev, test or all (got {split!r})")
    questions = read_questions(QUESTIONS, split)
    rep = evaluate(index, questions, settings, answers=answers, split=split, progress=True)
    chart = Path(tempfile.mkdtemp(prefix="lmc-eval-")) / "chart.png"
    chart.write_bytes(R.chart(rep))
    rows = [[round(v, 3) if isinstance(v, float) else v for v in row] for row in R.retrieval_rows(rep)]
    return {"headers": ["group", "n", *R.HEADS], "rows": rows,
            "answers": R.answer_lines(rep) if answers else ["Answer figures not measured (tick the box)."],
            "chart": str(chart), "failures": [_failure_row(f) for f in rep.failures],
            "seconds": rep.seconds}


def evaluation_tab(gr, index, settings) -> None:
    """The tab's controls and outputs, wired to run_evaluation with a gr.Progress that tracks tqdm.
    index: the Index, or a function returning the one the chat uses now (documents may be added)."""
    gr.Markdown("Runs the gold questions through the same search the chat uses and measures "
                "Success@k, MRR@10 and nDCG@10 (trec_eval definitions, via ir-measures). "
                "Tune on **dev**; report **test**.")
    with gr.Row():
        split = gr.Radio(["dev", "test"], value="dev", label="Split")
        answers = gr.Checkbox(False, label="Also measure answers (slower: asks every question)")
        run = gr.Button("Run evaluation", variant="primary", elem_id="lmc-eval-run")
    table = gr.Dataframe(label="Retrieval metrics", interactive=False, elem_id="lmc-eval-table")
    figures = gr.Textbox(label="Answer figures", lines=4, interactive=False)
    chart = gr.Image(label="Chart", type="filepath", interactive=False, buttons=["download"])
    failures = gr.Dataframe(headers=FAILURE_HEADERS, label="Failures (per question)", interactive=False,
                            wrap=True, column_widths=["70px", "90px", "110px", "50px", "40%", "40%"])

    def on_run(split_value, answers_value, progress=gr.Progress(track_tqdm=True)):
        progress(0, desc="Loading the gold questions")
        try:
            out = run_evaluation(index() if callable(index) else index, settings, split_value, bool(answers_value))
        except ValueError as exc:
            raise gr.Error(escape(str(exc)), print_exception=False) from None
        return ({"headers": out["headers"], "data": out["rows"]}, "\n".join(out["answers"]), out["chart"],
                {"headers": FAILURE_HEADERS, "data": out["failures"] or [["–"] * len(FAILURE_HEADERS)]})

    run.click(on_run, [split, answers], [table, figures, chart, failures], api_name="evaluate")
