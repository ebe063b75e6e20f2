"""Real models on the real corpus: known questions find their passages, in English and Chinese."""

from __future__ import annotations

import pytest

from index.store import fusion_for

pytestmark = pytest.mark.model

ZADUO_EN = "In which county was the Lancang River ecological protection initiative launched in August 2025?"
ZADUO_ZH = "“饮水思源守护澜湄”活动在哪里启动?"


def first(real_index, real_settings, question):
    return real_index.search(question, 5, weights=fusion_for(real_settings))[0].chunk


@pytest.mark.parametrize("question", [ZADUO_EN, ZADUO_ZH])
def test_zaduo_passage_ranks_first_in_both_languages(real_index, real_settings, question):
    chunk = first(real_index, real_settings, question)
    assert "Zaduo County" in chunk.text and "杂多县启动" in chunk.text


@pytest.mark.parametrize("question,needle", [
    ("How many joint patrol and law enforcement operations had been executed on the Mekong by December 2023?", "136 joint patrol"),
    ("Where was the sixth LMC Foreign Ministers' Meeting held in 2021?", "Chongqing"),
    ("第十次澜湄合作外长会在哪里举行?", "安宁"),
    ("2025年澜湄地方政府合作论坛在哪里举行?", "Dali"),
])
def test_known_questions_find_their_passage_in_the_top_three(real_index, real_settings, question, needle):
    hits = real_index.search(question, 3, weights=fusion_for(real_settings))
    assert any(needle in h.chunk.text for h in hits), [h.chunk.chunk_id for h in hits]


def test_hits_carry_exact_spans_and_raw_leg_scores(real_index, real_settings, documents):
    texts = {d.doc_id: d.text for d in documents}
    hits = real_index.search(ZADUO_EN, 10, weights=fusion_for(real_settings))
    assert [h.rank for h in hits] == list(range(1, 11))
    assert all(texts[h.chunk.doc_id][h.chunk.start:h.chunk.end] == h.chunk.text for h in hits)
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert set(hits[0].legs) <= {"bm25", "dense", "multilingual", "e5"} and hits[0].legs
