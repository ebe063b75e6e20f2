"""The evaluation machinery: overlap relevance, measures against ir-measures, evaluate, report, CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from statistics import median

import pytest

from assistant.config import Settings
from assistant.types import Answer, Citation
from corpus.types import Chunk, Document
from evals import metrics
from evals.gold import QUESTIONS
from evals.run import evaluate, read_questions


def chunk(cid: str, start: int, end: int, doc: str = "d.txt") -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc, text="x" * (end - start), start=start, end=end)


# ---------- relevance by span overlap ----------
def test_a_chunk_is_relevant_from_exactly_half_of_a_span():
    assert metrics.covers(105, 200, 100, 110)          # 5 of 10 characters
    assert not metrics.covers(106, 200, 100, 110)      # 4 of 10
    assert metrics.covers(0, 105, 100, 110)            # 5 of 10, from the other side
    assert not metrics.covers(0, 104, 100, 110)
    assert metrics.covers(105, 200, 100, 111)          # 6 of 11
    assert not metrics.covers(106, 200, 100, 111)      # 5 of 11 is less than half
    assert not metrics.covers(111, 200, 100, 111)      # touching is not overlapping


def test_every_occurrence_of_an_evidence_span_is_an_acceptable_location():
    text = "alpha beta gamma. " * 2 + "filler " * 20 + "alpha beta gamma. "
    spans = metrics.locate([{"doc_id": "d.txt", "text": "alpha beta gamma."}], {"d.txt": text})
    assert [s for _, s, _ in spans[0]] == [0, 18, 176]
    assert metrics.covered_spans(chunk("c", 170, 200), spans) == [0]
    assert metrics.covered_spans(chunk("c", 40, 170), spans) == []
    assert metrics.covered_spans(chunk("c", 170, 200, doc="other.txt"), spans) == []


def test_evidence_that_is_not_in_its_document_is_an_error():
    with pytest.raises(ValueError, match="not in document"):
        metrics.locate([{"doc_id": "d.txt", "text": "missing words"}], {"d.txt": "some text"})


# ---------- measures: hand-computed and ir-measures agree ----------
def _toy():
    """q1: evidence at ranks 2 and 4. q2: nothing found. q3: rank 1 covers two spans, rank 10 the third."""
    spans = {"q1": [[("d.txt", 100, 110)], [("d.txt", 300, 310)]],
             "q2": [[("d.txt", 500, 510)]],
             "q3": [[("d.txt", 0, 10)], [("d.txt", 20, 30)], [("d.txt", 900, 910)]]}
    q1 = [chunk("n1", 600, 700), chunk("r1", 90, 120), chunk("n2", 700, 800), chunk("r2", 295, 320),
          chunk("dup", 100, 110)]
    q2 = [chunk(f"n{i}", 600 + 10 * i, 610 + 10 * i) for i in range(12)]
    q3 = [chunk("r12", 0, 40)] + [chunk(f"m{i}", 400 + 10 * i, 410 + 10 * i) for i in range(8)] + \
         [chunk("r3", 900, 910), chunk("late", 0, 10)]
    runs = {"q1": q1, "q2": q2, "q3": q3}
    qrels, run = [], []
    for q in ("q1", "q2", "q3"):
        qrels += metrics.qrels_for(q, len(spans[q]))
        run += metrics.run_for(q, runs[q], spans[q])
    return qrels, run


def test_measures_equal_hand_computed_values():
    qrels, run = _toy()
    got = metrics.measures(qrels, run)
    ndcg_q1 = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    ndcg_q3 = (1 + 1 / math.log2(3) + 1 / math.log2(12)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    expected = {"q1": {"success@1": 0, "success@5": 1, "success@10": 1, "recall@10": 1, "mrr@10": 0.5,
                       "ndcg@10": ndcg_q1},
                "q2": dict.fromkeys(metrics.NAMES, 0.0),
                "q3": {"success@1": 1, "success@5": 1, "success@10": 1, "recall@10": 1, "mrr@10": 1,
                       "ndcg@10": ndcg_q3}}
    for q in expected:
        assert got[q] == pytest.approx(expected[q]), q
    assert metrics.average(list(got.values()))["mrr@10"] == pytest.approx(0.5)


def test_measures_equal_ir_measures_on_the_same_run():
    import ir_measures
    from ir_measures import RR, R, Success, nDCG
    qrels, run = _toy()
    q1 = [ir_measures.ScoredDoc(q, d, s) for q, d, _, s in run if q == "q1"]
    native = ir_measures.calc_aggregate([Success @ 1, Success @ 5, R @ 10, RR @ 10, nDCG @ 10],
                                        [ir_measures.Qrel(*x) for x in qrels if x[0] == "q1"], q1)
    ours = metrics.measures([x for x in qrels if x[0] == "q1"], [x for x in run if x[0] == "q1"])["q1"]
    assert ours["success@1"] == native[Success @ 1] and ours["success@5"] == native[Success @ 5]
    assert ours["recall@10"] == pytest.approx(native[R @ 10])
    assert ours["mrr@10"] == pytest.approx(native[RR @ 10])
    assert ours["ndcg@10"] == pytest.approx(native[nDCG @ 10])


def test_the_run_keeps_rank_order_and_counts_each_span_once():
    _, run = _toy()
    q1 = [(d, n, s) for q, d, n, s in run if q == "q1"]
    assert [d for d, _, _ in q1] == ["n1", "q1:e0", "n2", "q1:e1", "dup"]
    assert all(a[2] > b[2] for a, b in zip(q1, q1[1:]))
    q3 = [d for q, d, _, _ in run if q == "q3"]
    assert q3[:2] == ["q3:e0", "q3:e1"] and q3[-1] == "q3:e2" and len(q3) == 11   # "late" is rank 11
    assert len([1 for q, *_ in run if q == "q2"]) == metrics.K      # only the top k chunks


# ---------- answer keys ----------
def test_latin_keys_match_on_token_boundaries_and_chinese_keys_as_substrings():
    assert not metrics.key_found("13", "136 joint patrols")
    assert metrics.key_found("13", "13 provinces")
    assert metrics.key_found("13", "共有13个省区")                  # Han characters are boundaries
    assert not metrics.key_found("Dali", "Dalian")
    assert metrics.key_found("24.2 million", "more than 24.2\u00a0 million passengers")
    assert metrics.key_found("ＤＡＬＩ", "held in dali.")             # NFKC + casefold
    assert metrics.key_found("杂多县", "在青海省玉树藏族自治州杂多县启动")
    assert not metrics.key_found("杂多县", "在青海省启动")


def test_multi_needs_every_key_and_other_kinds_any_one():
    assert metrics.answer_correct(["Beijing", "Wuhan"], "Beijing, then Wuhan", "multi")
    assert not metrics.answer_correct(["Beijing", "Wuhan"], "Beijing only", "multi")
    assert metrics.answer_correct(["Naypyidaw Declaration", "Nay Pyi Taw"], "the Nay Pyi Taw text", "factoid")
    assert not metrics.answer_correct([], "anything", "factoid")


# ---------- the questions file ----------
@pytest.mark.parametrize("line, message", [
    ("{not json", "line 1: not valid JSON"),
    ('{"id": "x", "question": "q", "kind": "odd", "lang": "en"}', "unknown kind"),
    ('{"id": "x", "question": "q", "kind": "factoid", "lang": "en", "evidence": []}', "needs some"),
    ('{"id": "x", "kind": "factoid", "lang": "en"}', '"question"'),
])
def test_bad_question_files_are_refused_with_the_line(tmp_path, line, message):
    path = tmp_path / "q.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_questions(path, "all")


def test_read_questions_filters_the_split_and_refuses_duplicates(tmp_path):
    q = {"question": "q?", "kind": "unanswerable", "lang": "en", "evidence": [], "answer_keys": []}
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(dict(q, id=i, split=s)) for i, s in ((1, "dev"), (2, "test"))))
    assert [x["id"] for x in read_questions(path, "dev")] == [1]
    path.write_text("\n".join(json.dumps(dict(q, id=1, split="dev")) for _ in range(2)))
    with pytest.raises(ValueError, match="duplicate id"):
        read_questions(path, "all")


# ---------- evaluate on a small BM25-only index (no models) ----------
FACTS = ["The river forum was held in Dali in November.", "The railway carried 24.2 million passengers.",
         "Xu Hao presided over the opening of the hall."]
FILLER = [f"Weather report number {i} says rain and wind today." for i in range(11)]


@pytest.fixture(scope="module")
def toy():
    from index.lexical import LexicalIndex
    from index.store import Index
    text = "\n".join(FACTS + FILLER) + "\n"
    doc = Document(doc_id="toy.txt", text=text, title="Toy")
    chunks, at = [], 0
    for seq, line in enumerate(text.splitlines()):
        chunks.append(Chunk(f"toy.txt#{seq}", "toy.txt", line, at, at + len(line), seq=seq))
        at += len(line) + 1
    index = Index(chunks, {"toy.txt": doc.meta()}, LexicalIndex.build([c.text for c in chunks]), {},
                  {"build": {"chunk_size": 60}})

    def q(i, question, kind, evidence, keys):
        return {"id": i, "question": question, "lang": "en", "kind": kind, "split": "test",
                "evidence": [{"doc_id": "toy.txt", "text": e} for e in evidence], "answer_keys": keys}
    questions = [q("q1", "Where was the river forum held?", "factoid", [FACTS[0]], ["Dali"]),
                 q("q2", "How many passengers did the railway carry?", "numeric", [FACTS[1]], ["24.2 million"]),
                 q("q3", "river forum and railway passengers", "multi", FACTS[:2], ["Dali", "24.2 million"]),
                 q("q4", "What did the weather report say about rain?", "paraphrase", [FACTS[2]], ["Xu Hao"]),
                 q("q5", "Who won the election?", "unanswerable", [], [])]
    return index, doc, questions


class ScriptedAssistant:
    """Answers by question id order, as a real Assistant would return them."""

    def __init__(self, doc, questions):
        t = doc.text
        dali, rail, hall = (t.index(FACTS[i]) for i in range(3))
        cite = lambda s, n, quote=None: (Citation(1, "toy.txt", quote or t[s:s + n], s, s + n),)  # noqa: E731
        self.by_question = {
            questions[0]["question"]: Answer("", "It was held in Dali [1].", cite(dali, 20), (), False),
            questions[1]["question"]: Answer("", "About 24 million [1].", cite(rail, 20, "not the text"), (), False),
            questions[2]["question"]: Answer("", "In Dali [1].", cite(hall + 5, 10), (), False),
            questions[3]["question"]: Answer("", "The documents do not say.", (), (), True),
            questions[4]["question"]: Answer("", "The documents do not say.", (), (), True)}

    def ask(self, question, history=()):
        return self.by_question[question]


def test_evaluate_judges_the_product_search_by_span_overlap(toy):
    index, doc, questions = toy
    report = evaluate(index, questions, Settings(), documents=[doc], weights={"bm25": 1.0}, answers=False)
    rows = {r["id"]: r for r in report.questions}
    assert report.n_questions == 5 and report.n_answerable == 4 and "q5" not in rows
    assert rows["q1"]["first_rank"] == 1 and rows["q2"]["first_rank"] == 1
    assert rows["q3"]["figures"]["recall@10"] == 1.0
    assert rows["q4"]["first_rank"] is None and rows["q4"]["figures"]["success@10"] == 0.0
    assert report.overall["success@10"] == pytest.approx(0.75)
    assert set(report.by_kind) == {"factoid", "numeric", "multi", "paraphrase"}
    [failure] = report.failures
    assert failure["id"] == "q4" and failure["missing"] == questions[3]["evidence"]
    assert [h["snippet"].startswith("Weather report") for h in failure["top"]] == [True] * 3


def test_answer_figures_count_keys_citations_and_refusals(toy):
    index, doc, questions = toy
    report = evaluate(index, questions, Settings(), documents=[doc], weights={"bm25": 1.0},
                      assistant=ScriptedAssistant(doc, questions))
    a = report.answers
    assert a["key_accuracy"] == 0.25                   # q1 right; q2 wrong key; q3 lacks a key; q4 refused
    assert a["false_refusal_rate"] == 0.25 and a["refusal_rate"] == 1.0
    assert a["citations"] == 3 and a["citations_verbatim"] == pytest.approx(2 / 3, abs=1e-4)
    assert a["citations_cover_evidence"] == pytest.approx(2 / 3, abs=1e-4)
    assert a["median_answer_chars"] == median(len(x.text) for x in ScriptedAssistant(doc, questions)
                                              .by_question.values())
    assert {f["id"] for f in report.failures if f["type"] == "answer"} == {"q2", "q3", "q4"}


def test_the_report_folder_reproduces_the_figures(toy, tmp_path):
    import ir_measures
    from evals import report as out
    index, doc, questions = toy
    report = evaluate(index, questions, Settings(), documents=[doc], weights={"bm25": 1.0}, answers=False)
    out.write(report, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"report.md", "chart.png", "failures.jsonl", "run.trec",
                                                     "qrels.trec"}
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    qrels = list(ir_measures.read_trec_qrels(str(tmp_path / "qrels.trec")))
    run = list(ir_measures.read_trec_run(str(tmp_path / "run.trec")))
    native = ir_measures.calc_aggregate([ir_measures.RR @ 100, ir_measures.Success @ 1], qrels, run)
    assert native[ir_measures.RR @ 100] == pytest.approx(report.overall["mrr@10"])
    assert native[ir_measures.Success @ 1] == pytest.approx(report.overall["success@1"])
    failures = [json.loads(x) for x in (tmp_path / "failures.jsonl").read_text().splitlines()]
    assert [f["id"] for f in failures] == ["q4"]
    assert "q4" in (tmp_path / "report.md").read_text() and "Success@1" in out.text(report)
    keys = {"n_questions", "success@1", "success@5", "success@10", "recall@10", "mrr@10", "ndcg@10",
            "by_kind", "by_lang", "answers"}
    assert keys <= out.as_json(report).keys()
    json.dumps(out.as_json(report))


def test_langchain_baseline_chunks_slice_back_to_their_documents(documents):
    from evals.baseline import langchain_chunks
    chunks = langchain_chunks(documents)
    texts = {d.doc_id: d.text for d in documents}
    assert chunks and all(texts[c.doc_id][c.start:c.end] == c.text for c in chunks)
    assert max(len(c.text) for c in chunks) <= 1000
    assert len({c.chunk_id for c in chunks}) == len(chunks)


# ---------- the command line ----------
def _lmc(*args, cwd):
    code = "from assistant.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_eval_refuses_a_bad_questions_file_in_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "question": "x", "kind": "weird", "lang": "en"}\n')
    result = _lmc("eval", "--questions", str(bad), "--index", str(tmp_path / "idx"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "unknown kind" in result.stderr
    assert "Traceback" not in result.stderr
    missing = _lmc("eval", "--questions", str(tmp_path / "none.jsonl"), cwd=tmp_path)
    assert missing.returncode == 1 and "cannot read questions file" in missing.stderr


def test_eval_refuses_an_unknown_split(tmp_path):
    result = _lmc("eval", "--split", "train", cwd=tmp_path)
    assert result.returncode == 2 and "train" in result.stderr and "Traceback" not in result.stderr


# ---------- the real index ----------
@pytest.mark.model
def test_real_evaluation_through_the_cli_writes_json_and_the_report(real_settings, real_index, tmp_path):
    result = _lmc("eval", "--split", "dev", "--no-answers", "--json", "--index", str(real_settings.index_dir),
                  "--report", str(tmp_path / "rep"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    dev = read_questions(QUESTIONS, "dev")
    assert data["n_questions"] == len(dev)
    assert data["n_answerable"] == sum(1 for q in dev if q["evidence"])
    assert 0 <= data["success@1"] <= data["success@5"] <= data["success@10"] <= 1
    assert data["success@1"] <= data["mrr@10"] <= data["success@10"]
    assert data["success@10"] >= 0.7            # broken offsets or relevance would drop this towards 0
    assert set(data["by_lang"]) == {"en", "zh"}
    assert (tmp_path / "rep" / "run.trec").stat().st_size > 0



@pytest.mark.model
def test_compare_builds_the_langchain_baseline_in_memory(real_settings, real_index, documents):
    from evals import compare
    from evals.baseline import langchain_chunks
    before = sorted(p.name for p in real_settings.index_dir.iterdir())
    questions = [q for q in read_questions(QUESTIONS, "dev") if q["kind"] == "factoid"][:8]
    chosen = [v for v in compare.variants(real_settings) if v.build in ("current", "langchain")]
    rows = compare.compare(real_index, documents, questions, real_settings, only=chosen, progress=False,
                           log=lambda m: None)
    assert [r["name"] for r in rows] == [v.name for v in chosen]
    assert rows[-1]["n_chunks"] == len(langchain_chunks(documents))
    assert rows[0]["n_chunks"] == len(real_index.chunks)
    assert sorted(p.name for p in real_settings.index_dir.iterdir()) == before
    assert "LangChain default" in compare.table(rows)


@pytest.mark.model
def test_real_answers_are_measured_and_every_citation_is_verbatim(real_settings, real_index, documents):
    pytest.importorskip("assistant.answer")
    dev = read_questions(QUESTIONS, "dev")
    sample = [q for q in dev if q["kind"] == "factoid"][:4] + [q for q in dev if q["kind"] == "unanswerable"][:2]
    report = evaluate(real_index, sample, real_settings, documents=documents)
    assert report.answers is not None, report.answers_note
    assert report.answers["n_answerable"] == 4 and report.answers["n_unanswerable"] == 2
    assert report.answers["citations"] > 0 and report.answers["citations_verbatim"] == 1.0
