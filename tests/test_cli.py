"""The lmc command line: output shapes, batch mode, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

LMC = [sys.executable, "-c", "from assistant.cli import main; main()"]


def run(*args, stdin=None, env_index=None):
    import os
    env = dict(os.environ)
    if env_index:
        env["LMC_INDEX"] = str(env_index)
    return subprocess.run([*LMC, *args], input=stdin, capture_output=True, text=True, env=env, timeout=300)


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from click.testing import CliRunner; from assistant.cli import cli; "
            "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0 and 'search' in r.output; "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'faiss', 'gradio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("args,message", [
    (["search", ""], "the question is empty"),
    (["search", "   \x07  "], "the question is empty"),
    (["search", "x" * 5000], "limit is 2,000"),
    (["search", "dam", "--k", "0"], "k must be a whole number from 1 to 100"),
    (["search", "dam", "--k", "100000"], "k must be a whole number"),
    (["search", "--jsonl"], "needs both --jsonl and --queries"),
    (["search"], "no question given"),
    (["search", "dam", "--corpus", "/nonexistent/folder"], "corpus folder not found"),
    (["search", "--bogus-flag"], "No such option"),
])
def test_bad_input_gives_one_line_and_nonzero_exit(args, message, tmp_path):
    result = run(*args, env_index=tmp_path / "index")
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_bad_queries_file_names_the_line(tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": 1, "question": "ok"}\n{"id": 2, "question": ""}\n', encoding="utf-8")
    result = run("search", "--jsonl", "--queries", str(queries), env_index=tmp_path / "index")
    assert result.returncode == 2 and "line 2: the question is empty" in result.stderr
    queries.write_text("not json\n")
    result = run("search", "--jsonl", "--queries", str(queries), env_index=tmp_path / "index")
    assert "line 1: not valid JSON" in result.stderr
    queries.write_text('{"id": 1, "question": "ok"}\n{"id": 2, "question": "And who?", "history": "oops"}\n')
    for command in ("search", "ask"):
        result = run(command, "--jsonl", "--queries", str(queries), env_index=tmp_path / "index")
        assert result.returncode == 2 and "line 2: history must be a list" in result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.model
def test_index_then_search_json_and_batch(tmp_path):
    built = run("index", "--index", str(tmp_path / "ix"))
    assert built.returncode == 0, built.stderr
    assert "Indexed 5 documents into" in built.stdout
    result = run("search", "Where was the Dali Declaration released?", "--k", "3", "--json",
                 "--index", str(tmp_path / "ix"))
    payload = json.loads(result.stdout)
    assert payload["question"].startswith("Where was")
    assert [h["rank"] for h in payload["hits"]] == [1, 2, 3]
    assert set(payload["hits"][0]) >= {"rank", "score", "doc_id", "title", "start", "end", "text"}
    queries = "\n".join(json.dumps({"id": f"q{i}", "question": q}) for i, q in
                        enumerate(["中老铁路", "Where was the Lancang River protection initiative launched in 2025?"]))
    batch = run("search", "--jsonl", "--queries", "-", "--k", "2", "--index", str(tmp_path / "ix"), stdin=queries)
    lines = [json.loads(l) for l in batch.stdout.splitlines()]
    assert [l["id"] for l in lines] == ["q0", "q1"] and all(len(l["hits"]) == 2 for l in lines)
    assert "Zaduo County" in lines[1]["hits"][0]["text"]
    text = run("search", "Zaduo County", "--k", "1", "--index", str(tmp_path / "ix"))
    assert text.stdout.startswith("[1] score") and "Top 10 News" in text.stdout
