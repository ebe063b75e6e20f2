"""lmc: index, search, ask, eval, serve, bench, and add / docs / remove (assistant/cli_library.py).
The one place where everything is wired together.

Heavy libraries are imported inside commands, so `lmc --help` is instant.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import click

from assistant.config import Settings
from assistant.inputs import InputError, check_doc_ids, check_k, clean_question, read_queries


def _settings(corpus=None, index=None, **over) -> Settings:
    base = Settings()
    changes = {k: v for k, v in over.items() if v is not None}
    if corpus is not None:
        changes["corpus_dir"] = Path(corpus)
    if index is not None:
        changes["index_dir"] = Path(index)
    return dataclasses.replace(base, **changes)


def _log(message: str) -> None:
    click.echo(message, err=True)


def _open(settings: Settings, progress: bool = True):
    from index.store import open_index
    return open_index(settings, log=_log, progress=progress)


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


corpus_option = click.option("--corpus", type=click.Path(file_okay=False), default=None,
                             help="Folder of .txt documents (default: the bundled LMC corpus).")
index_option = click.option("--index", "index_dir", type=click.Path(file_okay=False), default=None,
                            help="Index folder (default: $LMC_INDEX or .lmc/index).")


answerer_option = click.option(
    "--answerer", type=click.Choice(["extractive", "llm"]), default=None,
    help="Who writes the answer: the extractive step (default) or a model at $LMC_LLM_URL, whose every "
         "sentence is checked against the sentences it cites.")


def _answerer(assistant, settings, answerer):
    """The extractive Assistant, or the llm answerer around it (its endpoint checked first, in one line)."""
    if (answerer or settings.answerer) != "llm":
        return assistant
    from assistant.llm_answer import LLMAssistant
    return LLMAssistant(assistant, settings)


def _check_llm(settings, answerer, switch: bool = False) -> None:
    """Before loading anything: a missing or bad model URL is a one-line error when the llm answerer is
    chosen (or, for the app, when a URL is set: the app then offers the switch)."""
    if (answerer or settings.answerer) == "llm" or (switch and settings.llm_url):
        from assistant.llm import Endpoint, LLMFailure
        try:
            Endpoint.from_settings(settings).check()
        except LLMFailure as exc:
            raise InputError(str(exc)) from None


def question_options(command):
    """The options `search` and `ask` share: one question or a JSON-lines batch, k, filters."""
    for option in reversed([
        click.argument("question", required=False),
        click.option("--k", "k", type=int, default=None, help="How many passages (default 10)."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
        click.option("--jsonl", is_flag=True, help="Batch mode: read --queries, print one JSON line per question."),
        click.option("--queries", type=str, default=None,
                     help='JSON-lines file of {"id", "question"}, with an optional "history" of earlier '
                          'turns [{"role", "content"}] for a follow-up ("-" for stdin).'),
        click.option("--doc", "doc_ids", multiple=True, help="Only use this document id (repeatable)."),
        click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Only passages in this language."),
        corpus_option, index_option]):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="lmc")
def cli():
    """Ask questions of the Lancang-Mekong Cooperation documents, with cited passages.

    \b
    Example:
      lmc search "Where was the 2025 local government forum held?"
    """


@cli.command("index")
@corpus_option
@index_option
@click.option("--chunk-size", type=click.IntRange(50, 10_000), default=None, help="Characters per chunk.")
@click.option("--chunk-overlap", type=click.IntRange(0, 5_000), default=None, help="Overlap in characters.")
def index_cmd(corpus, index_dir, chunk_size, chunk_overlap):
    """Build the index and print a summary.

    \b
    Example:
      lmc index --corpus corpus/documents --index .lmc/index
    """
    from assistant.build import build_index
    from corpus import load_corpus
    settings = _settings(corpus, index_dir, chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    if settings.chunk_overlap >= settings.chunk_size:
        raise InputError("--chunk-overlap must be smaller than --chunk-size")
    docs = load_corpus(settings)
    built = build_index(docs, settings, progress=True, log=_log)
    click.echo(f"Indexed {len(docs)} documents into {len(built.index.chunks)} chunks in {built.seconds:.1f} s "
               f"({_dir_size(settings.index_dir) / 1e6:.2f} MB at {settings.index_dir}).")


@cli.command()
@question_options
def search(question, k, as_json, jsonl, queries, doc_ids, lang, corpus, index_dir):
    """Print the passages ranked for a question.

    \b
    Examples:
      lmc search "In which county was the Lancang River initiative launched in August 2025?"
      lmc search --jsonl --queries questions.jsonl --k 5
    """
    from assistant.render import hit_dict, hits_text
    from index.store import fusion_for
    settings = _settings(corpus, index_dir)
    k = check_k(settings.k if k is None else k, settings)
    batch = _batch(question, jsonl, queries, settings)
    index = _open(settings)
    check_doc_ids(doc_ids, index.documents)
    kwargs = dict(weights=fusion_for(settings), doc_ids=set(doc_ids) or None, lang=lang,
                  candidates=settings.candidates)
    if batch is not None:
        from assistant.followup import condense
        searched = [condense(q["question"], q["history"]) for q in batch]
        results = index.search_many(searched, k, **kwargs)
        for q, query, hits in zip(batch, searched, results):
            click.echo(json.dumps({"id": q["id"], "question": q["question"], "searched_for": query,
                                   "hits": [hit_dict(h, index.documents) for h in hits]}, ensure_ascii=False))
        return
    question = clean_question(question, settings)
    hits = index.search(question, k, **kwargs)
    if as_json:
        click.echo(json.dumps({"question": question, "hits": [hit_dict(h, index.documents) for h in hits]},
                              ensure_ascii=False, indent=1))
    else:
        click.echo(hits_text(hits, index.documents))


@cli.command()
@question_options
@answerer_option
def ask(question, k, as_json, jsonl, queries, doc_ids, lang, corpus, index_dir, answerer):
    """Answer a question from the documents, quoting and citing them (or say they do not say).

    \b
    Examples:
      lmc ask "Where was the 2025 Lancang-Mekong local government forum held?"
      lmc ask --json "2025年中泰建交几周年?"
      lmc ask --jsonl --queries questions.jsonl
      LMC_LLM_URL=http://127.0.0.1:8080/v1 lmc ask --answerer llm "Who presided over the 2025 forum?"
    """
    from assistant.answer import Assistant
    from assistant.render import answer_text, ask_dict
    settings = _settings(corpus, index_dir)
    k = check_k(settings.k if k is None else k, settings)
    if question is None and not (jsonl or queries):
        raise InputError('no question given; try: lmc ask "Where was the 2025 forum held?"')
    batch = _batch(question, jsonl, queries, settings)
    _check_llm(settings, answerer)
    index = _open(settings)
    check_doc_ids(doc_ids, index.documents)
    from corpus import load_corpus
    assistant = _answerer(Assistant(index, settings, load_corpus(settings)), settings, answerer)
    kwargs = dict(k=k, doc_ids=set(doc_ids) or None, lang=lang)
    if batch is not None:
        answers = assistant.ask_many([q["question"] for q in batch], [q["history"] for q in batch], **kwargs)
        for q, answer in zip(batch, answers):
            click.echo(json.dumps({"id": q["id"], **ask_dict(answer, index.documents)}, ensure_ascii=False))
        return
    answer = assistant.ask(question, **kwargs)
    if as_json:
        click.echo(json.dumps(ask_dict(answer, index.documents), ensure_ascii=False, indent=1))
    else:
        click.echo(answer_text(answer, index.documents))


def _batch(question, jsonl, queries, settings):
    """None for a single question (checked in place), else the list of batch questions."""
    if jsonl or queries:
        if not (jsonl and queries):
            raise InputError("batch mode needs both --jsonl and --queries FILE")
        if question:
            raise InputError("give either a QUESTION or --jsonl --queries FILE, not both")
        return read_queries(queries, settings)
    if question is None:
        raise InputError('no question given; try: lmc search "Where was the 2025 forum held?"')
    clean_question(question, settings)
    return None


@cli.command("eval")
@click.option("--split", type=click.Choice(["dev", "test", "holdout", "all"]), default="test", show_default=True,
              help="Which gold questions (tune on dev, report test; holdout reads evals/holdout.jsonl).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              help="Report folder (default evals/reports/latest).")
@click.option("--questions", "questions_file", type=click.Path(dir_okay=False), default=None,
              help="Gold questions, JSON lines (default evals/questions.jsonl).")
@click.option("--no-answers", is_flag=True, help="Retrieval figures only; do not run the assistant.")
@click.option("--compare", is_flag=True, help="Compare retrieval configurations side by side.")
@click.option("--squad", "squad_file", type=click.Path(dir_okay=False), default=None,
              help="A question set in SQuAD format instead of the gold set: each article becomes a document.")
@click.option("--docs", "docs_file", type=click.Path(dir_okay=False), default=None,
              help="With --squad: take the articles and answers from this parallel file (XQuAD zh over en).")
@click.option("--folds", default=None, help="With --squad: only the articles of these folds (e.g. 0,3; 5 folds).")
@click.option("--cv", "cv_dir", type=click.Path(file_okay=False), default=None,
              help="With --squad: answer each fold's articles with the models fitted without them "
                   "(folders fold0..fold4 from python -m evals.train all --folds-dir DIR).")
@answerer_option
@corpus_option
@index_option
def eval_cmd(split, as_json, report_dir, questions_file, no_answers, compare, squad_file, docs_file, folds,
             cv_dir, answerer, corpus, index_dir):
    """Measure retrieval and answers on the gold questions (or a SQuAD-format set); write a report folder.

    \b
    Examples:
      lmc eval --split test
      lmc eval --squad ../shared/external/xquad.en.dev.json
      lmc eval --split dev --compare
      LMC_LLM_URL=http://127.0.0.1:8080/v1 lmc eval --split dev --answerer llm
    """
    from evals import report as out
    from evals.gold import HOLDOUT, QUESTIONS
    from evals.run import evaluate, read_questions
    settings = _settings(corpus, index_dir)
    directory = Path(report_dir) if report_dir else out.DEFAULT_DIR
    _check_llm(settings, answerer)
    use_llm = (answerer or settings.answerer) == "llm" and not no_answers
    if squad_file or docs_file or folds or cv_dir:
        _eval_squad(settings, squad_file, docs_file, folds, cv_dir, no_answers, use_llm, as_json, directory)
        return
    questions = read_questions(questions_file or (HOLDOUT if split == "holdout" else QUESTIONS), split)
    index = _open(settings)
    if compare:
        from corpus import load_corpus
        from evals import compare as cmp
        docs = load_corpus(settings)
        rows = cmp.compare(index, docs, questions, settings, progress=True, log=_log)
        path = cmp.write(rows, split, directory, settings)
        click.echo(json.dumps(rows, indent=1) if as_json else f"{cmp.table(rows)}\n\nWritten to {path}")
        return
    llm = None
    if use_llm:
        from assistant.answer import Assistant
        from corpus import load_corpus
        llm = _answerer(Assistant(index, settings, load_corpus(settings)), settings, "llm")
    result = evaluate(index, questions, settings, answers=not no_answers, split=split, progress=True,
                      assistant=llm)
    if llm is not None and result.answers is not None:
        result.answers["llm"] = llm.stats.as_dict()
    out.write(result, directory)
    click.echo(json.dumps(out.as_json(result, directory), ensure_ascii=False, indent=1) if as_json
               else out.text(result, directory))


def _eval_squad(settings, squad_file, docs_file, folds, cv_dir, no_answers, use_llm, as_json, directory) -> None:
    from evals import report as out
    from evals.squad import FOLDS, load_squad, select_folds
    from evals.squad_eval import evaluate_cv, evaluate_squad
    if not squad_file:
        raise InputError("--docs, --folds and --cv go with --squad FILE")
    wanted = None
    if folds:
        try:
            wanted = {int(f) for f in folds.split(",") if f.strip()}
        except ValueError:
            raise InputError(f"--folds takes fold numbers such as 0,3 (got {folds!r})") from None
        if not wanted or not wanted <= set(range(FOLDS)):
            raise InputError(f"--folds takes numbers from 0 to {FOLDS - 1} (got {folds!r})")
    qset = select_folds(load_squad(squad_file, docs_file), wanted)
    made = []
    wrap = (lambda a: made.append(_answerer(a, settings, "llm")) or made[-1]) if use_llm else None
    if cv_dir:
        if no_answers:
            raise InputError("--cv measures the answers; leave out --no-answers")
        result = evaluate_cv(qset, settings, Path(cv_dir), progress=True, log=_log, wrap=wrap)
    else:
        result = evaluate_squad(qset, settings, answers=not no_answers, progress=True, log=_log, wrap=wrap)
    if made and result.answers is not None:
        result.answers["llm"] = {k: sum(m.stats.as_dict()[k] for m in made) for k in made[0].stats.as_dict()
                                 if isinstance(made[0].stats.as_dict()[k], (int, float))}
    out.write(result, directory)
    click.echo(json.dumps(out.as_json(result, directory), ensure_ascii=False, indent=1) if as_json
               else out.text(result, directory))


@cli.command()
@click.option("--host", default=Settings.host, show_default=True,
              help="Address to bind (loopback only by default; 0.0.0.0 exposes the app to the network).")
@click.option("--port", type=click.IntRange(1, 65535), default=Settings.port, show_default=True,
              help="Port to serve on.")
@answerer_option
@corpus_option
@index_option
def serve(host, port, answerer, corpus, index_dir):
    """Run the chat app: load the index, warm the models, then print the URL.

    \b
    Examples:
      lmc serve --port 7860
      LMC_LLM_URL=http://127.0.0.1:8080/v1 lmc serve --answerer llm
    """
    from assistant.app import serve as serve_app
    settings = _settings(corpus, index_dir, answerer=answerer)
    _check_llm(settings, answerer, switch=True)
    serve_app(settings, host, port, log_fn=_log)


@cli.command()
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default="evals/reports/bench/bench.json",
              show_default=True, help="JSON result; the plot and per-size files go beside it.")
@click.option("--sizes", default="10000,100000", show_default=True,
              help="Synthetic corpus sizes for the scale runs (comma-separated; 1M takes ~19 min and ~18 GB).")
@click.option("--skip-scale", is_flag=True, help="Only compare the two pipelines.")
@click.option("--skip-pipelines", is_flag=True, help="Only the scale runs.")
def bench(out_file, sizes, skip_scale, skip_pipelines):
    """Measure build, memory, cold start, latency and quality against the LangChain default, then scale.

    \b
    Examples:
      lmc bench
      lmc bench --sizes 1000000 --skip-pipelines --out evals/reports/bench/bench-1m.json
    """
    from evals import bench as measure
    size_list = measure.parse_sizes(sizes)
    result = measure.run(Path(out_file), size_list, skip_scale=skip_scale, skip_pipelines=skip_pipelines, log=_log)
    click.echo(measure.table(result, Path(out_file).parent))
    click.echo(f"\nWritten to {out_file}")


from assistant.cli_library import add_cmd, docs_cmd, remove_cmd  # noqa: E402 - they use the helpers above

for _command in (add_cmd, docs_cmd, remove_cmd):
    cli.add_command(_command)


def main(argv=None) -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit, never a traceback."""
    from corpus import CorpusError
    from index.store import IndexError_
    try:
        cli.main(args=argv, prog_name="lmc", standalone_mode=False)
    except click.exceptions.Abort:
        _log("Aborted.")
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
        sys.exit(exc.exit_code)
    except click.UsageError as exc:                # one line: what is wrong, then where the help is
        where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
        _log(f"Error: {' '.join(exc.format_message().split())}{where}")
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (InputError, CorpusError, IndexError_, ValueError) as exc:
        _log(f"Error: {exc}")
        sys.exit(2 if isinstance(exc, InputError) else 1)
    except KeyboardInterrupt:
        _log("Interrupted.")
        sys.exit(130)
    except Exception as exc:                       # noqa: BLE001 - the last line of defence
        if os.environ.get("LMC_DEBUG"):
            raise
        _log(f"Error: unexpected {type(exc).__name__}: {exc} (set LMC_DEBUG=1 for a traceback)")
        sys.exit(1)
