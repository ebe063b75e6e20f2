"""lmc eval --squad: SQuAD-format sets become documents and gold questions with exact answer spans,
folds by article, the one-line baseline, and the command on a tiny set with the real models."""

from __future__ import annotations

import json

import pytest

from evals.squad import SquadError, fold_of, load_squad, select_folds

ARTICLES = {"version": "v2.0", "data": [
    {"title": "Mekong_River", "paragraphs": [
        {"context": "The Mekong flows through six countries. It rises on the Tibetan Plateau.",
         "qas": [{"id": "m1", "question": "Where does the Mekong rise?",
                  "answers": [{"text": "the Tibetan Plateau", "answer_start": 52}]},
                 {"id": "m2", "question": "Where does the Mekong end in ice?", "answers": [],
                  "is_impossible": True}]},
        {"context": "Phnom Penh stands where the Mekong meets the Tonle Sap. The river floods every year.",
         "qas": [{"id": "m3", "question": "Which river meets the Mekong at Phnom Penh?",
                  "answers": [{"text": "the Tonle Sap", "answer_start": 999}]}]}]},
    {"title": "Dali", "paragraphs": [
        {"context": "Dali lies on the shore of Erhai Lake. The old town has stone streets.",
         "qas": [{"id": "d1", "question": "Which lake is Dali on?", "answers": [{"text": "Erhai Lake",
                                                                             "answer_start": 26}]},
                 {"id": "d2", "question": "Who founded it?", "answers": [{"text": "nobody here", "answer_start": 0}]}]}]},
]}
CHINESE = {"data": [{"title": "Mekong_River", "paragraphs": [{"context": "湄公河发源于青藏高原。", "qas": [
    {"id": "m1", "question": "湄公河发源于哪里?", "answers": [{"text": "青藏高原", "answer_start": 6}]}]}]}]}


@pytest.fixture
def files(tmp_path):
    en, zh = tmp_path / "en.json", tmp_path / "zh.json"
    en.write_text(json.dumps(ARTICLES), encoding="utf-8")
    zh.write_text(json.dumps(CHINESE, ensure_ascii=False), encoding="utf-8")
    return en, zh


def test_each_article_is_one_document_and_each_answer_keeps_its_own_span(files):
    qset = load_squad(files[0])
    assert [d.title for d in qset.documents] == ["Mekong River", "Dali"]
    texts = {d.doc_id: d.text for d in qset.documents}
    by_id = {q["id"]: q for q in qset.questions}
    for q in qset.questions:
        for e in q["evidence"]:
            assert texts[e["doc_id"]][e["start"]:e["end"]] == e["text"]
    assert by_id["m1"]["answer_keys"] == ["the Tibetan Plateau"] and by_id["m1"]["kind"] == "factoid"
    assert by_id["m2"]["kind"] == "unanswerable" and not by_id["m2"]["evidence"]
    tonle = by_id["m3"]["evidence"][0]                      # answer_start was wrong: found in its paragraph
    assert texts[tonle["doc_id"]][tonle["start"]:tonle["end"]] == "the Tonle Sap"
    assert "d2" not in by_id and qset.skipped == 1          # an answer not in its paragraph is dropped, counted
    assert by_id["m1"]["fold"] == by_id["m3"]["fold"] == fold_of("Mekong_River")


def test_parallel_documents_give_the_answers_and_the_other_file_the_wording(files):
    en, zh = files
    qset = load_squad(zh, en)
    assert [q["id"] for q in qset.questions] == ["m1"]
    q = qset.questions[0]
    assert q["question"] == "湄公河发源于哪里?" and q["lang"] == "zh" and q["kind"] == "crosslingual"
    assert q["answer_keys"] == ["the Tibetan Plateau"] and qset.name == "zh+en"


def test_folds_follow_the_title_so_one_article_lands_in_one_fold_in_every_set():
    assert fold_of("Normans") == fold_of("normans") == fold_of("Normans ")
    assert {fold_of(f"article {i}") for i in range(50)} == set(range(5))


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read"),
    ('{"data": []}', "not in SQuAD format"),
    ('{"data": [{"title": "x", "paragraphs": [{"qas": []}]}]}', "needs \"paragraphs\""),
    ('{"data": [{"title": "x", "paragraphs": [{"context": "a", "qas": []}]}]}', "holds no questions"),
])
def test_bad_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SquadError, match=message):
        load_squad(path)
    with pytest.raises(SquadError, match="not found"):
        load_squad(tmp_path / "missing.json")


def test_select_folds_keeps_the_documents_and_the_questions_of_those_folds(files):
    qset = load_squad(files[0])
    fold = fold_of("Dali")
    part = select_folds(qset, {fold})
    assert part.documents == qset.documents and {q["article"] for q in part.questions} <= {"Dali", "Mekong River"}
    assert all(q["fold"] == fold for q in part.questions)


def test_the_one_line_baseline_answers_with_the_best_overlap_sentence_of_the_top_paragraph(files):
    from evals.oneline import Oneline
    qset = load_squad(files[0])
    base = Oneline(qset.documents)
    doc_id, start, end = base.search("Which river meets the Mekong at Phnom Penh?", 1)[0]
    assert "Tonle Sap" in base.texts[doc_id][start:end]
    assert base.answer("Which river meets the Mekong at Phnom Penh?")[3] == \
        "Phnom Penh stands where the Mekong meets the Tonle Sap."
    assert base.answer("???") == ("", 0, 0, "")


@pytest.mark.model
def test_lmc_eval_squad_reports_answers_and_both_baselines(files, tmp_path, capsys):
    from assistant.cli import main
    main(["eval", "--squad", str(files[0]), "--index", str(tmp_path / "ix"), "--json",
          "--report", str(tmp_path / "rep")])
    out = json.loads(capsys.readouterr().out)
    assert out["n_questions"] == 4 and out["n_answerable"] == 3
    assert {"bm25_paragraphs", "oneline"} <= set(out["baselines"])
    assert out["answers"]["citations_verbatim"] in (1.0, None) and out["answers"]["n_unanswerable"] == 1
    assert (tmp_path / "squad").is_dir(), "the set's index is cached beside the index folder"
    assert "one-line baseline" in (tmp_path / "rep" / "report.md").read_text()


def test_lmc_eval_squad_bad_options_are_one_line(files, capsys):
    from assistant.cli import main
    for argv, message in ((["eval", "--docs", str(files[1])], "go with --squad"),
                          (["eval", "--squad", str(files[0]), "--folds", "9"], "from 0 to 4"),
                          (["eval", "--squad", str(files[0]), "--folds", "x"], "fold numbers")):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        err = capsys.readouterr().err.strip()
        assert exit_info.value.code == 2 and message in err and "\n" not in err
