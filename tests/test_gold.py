"""The gold set is sound: evidence is verbatim, keys are in the evidence, the splits are balanced."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from evals.gold import HOLDOUT, KINDS, QUESTIONS, load_questions

QUESTION_FIELDS = {"id", "question", "lang", "kind", "doc_ids", "evidence", "answer", "answer_keys", "split"}


@pytest.fixture(scope="module")
def gold():
    return load_questions(QUESTIONS)


@pytest.fixture(scope="module", params=["questions", "holdout"])
def every_set(request):
    """The gold set and the held-out set: both must be sound."""
    return load_questions(QUESTIONS) if request.param == "questions" else load_questions(HOLDOUT, split="holdout")


def test_the_holdout_set_is_separate_and_covers_every_kind():
    holdout = load_questions(HOLDOUT, split="holdout")
    assert len(holdout) >= 40 and all(q["split"] == "holdout" for q in holdout)
    assert {q["kind"] for q in holdout} == set(KINDS)
    assert sum(q["lang"] == "zh" for q in holdout) >= 10
    assert not {q["id"] for q in holdout} & {q["id"] for q in load_questions(QUESTIONS)}
    assert not {q["question"] for q in holdout} & {q["question"] for q in load_questions(QUESTIONS)}


@pytest.fixture(scope="module")
def texts(documents):
    return {d.doc_id: d.text for d in documents}


def test_every_question_has_the_fields_and_a_valid_kind_lang_and_split(gold):
    for q in gold:
        assert QUESTION_FIELDS <= q.keys(), q["id"]
        assert q["kind"] in KINDS, q["id"]
        assert q["lang"] in ("en", "zh"), q["id"]
        assert q["split"] in ("dev", "test"), q["id"]
        assert q["question"].strip(), q["id"]


def test_ids_are_unique(every_set):
    counts = Counter(q["id"] for q in every_set)
    assert [i for i, n in counts.items() if n > 1] == []


def test_the_set_is_large_enough_with_chinese_and_unanswerable_questions(gold):
    assert len(gold) >= 150
    assert sum(q["lang"] == "zh" for q in gold) >= 25
    assert sum(q["kind"] == "unanswerable" for q in gold) >= 15


def test_every_evidence_text_is_an_exact_substring_of_its_document(every_set, texts):
    for q in every_set:
        for ev in q["evidence"]:
            assert ev["doc_id"] in texts, (q["id"], ev["doc_id"])
            assert ev["text"] in texts[ev["doc_id"]], (q["id"], ev["text"][:60])
            assert 30 <= len(ev["text"]) <= 300, (q["id"], len(ev["text"]))
            assert ev["doc_id"] in q["doc_ids"], q["id"]


def test_unanswerable_questions_have_no_evidence_and_the_others_do(every_set):
    for q in every_set:
        if q["kind"] == "unanswerable":
            assert q["evidence"] == [] and q["answer_keys"] == [], q["id"]
        else:
            assert q["evidence"] and q["answer_keys"], q["id"]


def test_every_answer_key_occurs_in_its_evidence(every_set):
    for q in every_set:
        evidence = " ".join(ev["text"] for ev in q["evidence"]).casefold()
        for key in q["answer_keys"]:
            assert key.casefold() in evidence, (q["id"], key)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_split_about_evenly_between_dev_and_test(gold, kind):
    splits = Counter(q["split"] for q in gold if q["kind"] == kind)
    n = splits["dev"] + splits["test"]
    assert n > 0
    assert abs(splits["dev"] - splits["test"]) <= max(2, n // 10), splits


def test_adding_questions_never_moves_an_old_one_between_dev_and_test(tmp_path):
    from evals.gold import merge
    parts = tmp_path / "parts"
    parts.mkdir()
    old = [{"id": f"q{i:02d}", "kind": "factoid", "lang": "en"} for i in range(10)]
    (parts / "a.jsonl").write_text("".join(json.dumps(q) + "\n" for q in old))
    target = tmp_path / "questions.jsonl"
    first = {q["id"]: q["split"] for q in merge(parts, target)}
    assert Counter(first.values()) == {"dev": 5, "test": 5}
    new = [{"id": f"n{i:02d}", "kind": "factoid", "lang": "en"} for i in range(4)]
    (parts / "b.jsonl").write_text("".join(json.dumps(q) + "\n" for q in new))
    second = {q["id"]: q["split"] for q in merge(parts, target)}
    assert {i: second[i] for i in first} == first                  # every old question stays put
    assert Counter(second.values()) == {"dev": 7, "test": 7}       # and the new ones keep the balance
