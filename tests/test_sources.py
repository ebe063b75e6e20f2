"""Documents a question names ("according to the Belt and Road Portal", 据"一带一路"网): found,
searched with a boost, and preferred by the answer."""

from __future__ import annotations

import dataclasses
import json

import pytest

from corpus import load_documents
from corpus.types import Chunk
from index.lexical import LexicalIndex
from index.sources import Sources, last_sentence
from index.store import Index

DOCS = {"a.txt": {"title": "River Report: Ten Years On", "publisher": "Mekong Portal (mekong.example)",
                  "aliases": ["湄公河网", "LMC"]},
        "b.txt": {"title": "Initiative on Deepening Cooperation", "publisher": "",
                  "aliases": ["深化合作倡议"]}}


def test_titles_publishers_and_aliases_are_found_without_case_quotes_or_punctuation():
    s = Sources(DOCS)
    assert s.named("What did the MEKONG portal say about dams?") == {"a.txt"}
    assert s.named("据“湄公河”网的文章,大坝有多高?") == {"a.txt"}          # quotes inside the name
    assert s.named("《深化合作倡议》提出了什么?") == {"b.txt"}
    assert s.named("Per 'River Report: ten years on', who spoke?") == {"a.txt"}
    assert s.named("the initiative on deepening cooperation and the mekong portal") == {"a.txt", "b.txt"}
    assert s.named("What is the LMC?") == frozenset()           # too short a name to tell documents apart
    assert s.named("mekong.example") == frozenset()             # the publisher's parenthesis is not its name


def test_only_the_asking_sentence_names_and_parts_keep_their_own():
    s = Sources(DOCS)
    background = "The Mekong Portal calls the dam a landmark. Which company built it?"
    assert last_sentence(background) == "Which company built it?"
    assert last_sentence("The forum met in 2025; where was the 2024 one held?") == "where was the 2024 one held?"
    assert last_sentence("论坛于2025年举行；2024年的在哪里?") == "2024年的在哪里?"
    assert s.asked(background) == (frozenset(), ())
    assert s.asked("大坝是谁建的?据湄公河网,它有多高?")[0] == {"a.txt"}
    assert s.asked("湄公河网说大坝很高?它是谁建的?")[0] == frozenset()
    parts = ("Where was the Initiative on Deepening Cooperation issued", "where was the forum held?")
    whole, own = s.asked(" and ".join(parts), parts)
    assert whole == {"b.txt"} and own == ({"b.txt"}, frozenset())
    parts = ("According to the Mekong Portal, who opened the dam", "when?")
    assert s.asked(", and ".join(parts), parts)[1] == ({"a.txt"}, frozenset())


def test_manifest_aliases_are_read_and_part_of_the_metadata(tmp_path):
    (tmp_path / "a.txt").write_text("Lancang River.")
    (tmp_path / "manifest.json").write_text(json.dumps({"documents": {"a.txt": {"title": "T", "aliases": "一带一路网"}}}))
    doc, = load_documents(tmp_path)
    assert doc.aliases == ("一带一路网",) and doc.meta()["aliases"] == ["一带一路网"]


def test_the_bundled_documents_are_named_in_both_languages(documents):
    s = Sources({d.doc_id: d.meta() for d in documents})
    portal = next(d.doc_id for d in documents if d.publisher.startswith("Belt and Road Portal"))
    initiative = next(d.doc_id for d in documents if d.date == "2021-06-08")
    assert s.named("据“一带一路”网的文章,澜湄合作有哪些优先领域?") == {portal}
    assert s.named("According to the Belt and Road Portal, what are the pillars?") == {portal}
    assert s.named("2021年《深化澜湄国家地方政府合作倡议》提出了什么?") == {initiative}


def test_rank_lifts_the_named_documents_passages_by_the_source_weight():
    texts = ["dam river dam", "river dam", "river"]
    chunks = [Chunk(f"{d}#{i}", d, t, 0, len(t), seq=i) for i, (d, t) in
              enumerate(zip(["b.txt", "a.txt", "a.txt"], texts))]
    index = Index(chunks, DOCS, LexicalIndex.build(texts), {}, {})
    plain = index.search_many(["What does the Mekong Portal say about the dam river?"], 3)[0]
    assert [h.chunk.doc_id for h in plain][:2] == ["b.txt", "a.txt"]
    boosted = index.search_many(["What does the Mekong Portal say about the dam river?"], 3,
                                weights={"bm25": 1.0, "source": 2.0})[0]
    assert [h.chunk.doc_id for h in boosted] == ["a.txt", "a.txt", "b.txt"]
    assert boosted[0].score == pytest.approx(plain[1].score + 2.0)
    unnamed = index.search_many(["What about the dam river?"], 3, weights={"bm25": 1.0, "source": 2.0})[0]
    assert [h.chunk.chunk_id for h in unnamed] == [h.chunk.chunk_id for h in plain]


# ---------- the real corpus and models ----------
def test_the_learned_fusion_reads_the_named_document_and_the_year_clash():
    from index.fusion import FEATURES, Fusion
    texts = ["dam river dam in 2019", "river dam", "river"]
    chunks = [Chunk(f"{d}#{i}", d, t, 0, len(t), seq=i) for i, (d, t) in
              enumerate(zip(["b.txt", "a.txt", "a.txt"], texts))]
    index = Index(chunks, DOCS, LexicalIndex.build(texts), {}, {})
    only = lambda **w: Fusion({lang: [w.get(f, 0.0) for f in FEATURES] for lang in ("en", "zh")}, "toy")  # noqa: E731
    question = "What does the Mekong Portal say about the dam river in 2023?"
    plain = index.search_many([question], 3, weights=only(bm25=1.0))[0]
    assert [h.chunk.doc_id for h in plain][:2] == ["b.txt", "a.txt"]
    named = index.search_many([question], 3, weights=only(bm25=1.0, named=2.0))[0]
    assert [h.chunk.doc_id for h in named] == ["a.txt", "a.txt", "b.txt"]
    clash = index.search_many([question], 3, weights=only(bm25=1.0, clash=-2.0))[0]
    assert clash[-1].chunk.chunk_id == "b.txt#0", "a passage about 2019 only sinks for a question on 2023"


@pytest.mark.model
def test_a_named_source_lifts_its_passages_in_the_product_search(real_index, real_settings):
    from index.fusion import FEATURES, Fusion
    from index.store import fusion_for
    question = "据“一带一路”网的文章,澜湄合作聚焦哪五大优先领域?"
    portal = real_index.named(question)
    assert len(portal) == 1
    fusion = fusion_for(real_settings)
    blind = Fusion({lang: [0.0 if f == "named" else x for f, x in zip(FEATURES, w)]
                    for lang, w in fusion.weights.items()}, "without named")
    top = {f.version: sum(h.chunk.doc_id in portal for h in real_index.search_many([question], 3, weights=f)[0])
           for f in (fusion, blind)}
    assert top[fusion.version] > top[blind.version]


@pytest.mark.model
def test_the_answer_quotes_the_named_source(assistant):
    a = assistant.ask("据“一带一路”网的文章,澜湄国家在哪些领域打击跨国犯罪取得了积极成果?")
    assert not a.refused and a.citations and a.text.startswith("来源为英文。")
    portal = assistant.index.named(a.question)
    assert a.citations[0].doc_id in portal and "positive results" in a.citations[0].quote


def test_rank_lowers_passages_that_name_only_other_years():
    texts = ["In 2025 the program was held in Dalian.", "The program was held in Beijing.",
             "The program was held in Haikou in 2023.", "A program was held."]
    docs = {"a.txt": {"title": "News of 2025"}, "b.txt": {"title": "Notes"}}
    chunks = [Chunk(f"{d}#{i}", d, t, 0, len(t), seq=i) for i, (d, t) in
              enumerate(zip(["a.txt", "a.txt", "a.txt", "b.txt"], texts))]
    index = Index(chunks, docs, LexicalIndex.build(texts), {}, {})
    query = "Where was the 2023 program held?"
    assert index.years(query) == {"2023"} and index.years("2023年的项目在哪里?") == {"2023"}
    plain = {h.chunk.chunk_id: h.score for h in index.search_many([query], 4)[0]}
    ranked = index.search_many([query], 4, weights={"bm25": 1.0, "year": 0.5})[0]
    scores = {h.chunk.chunk_id: h.score for h in ranked}
    assert scores["a.txt#0"] == pytest.approx(plain["a.txt#0"] - 0.5)        # names 2025 only
    assert scores["a.txt#1"] == pytest.approx(plain["a.txt#1"] - 0.5)        # no year; its title says 2025
    assert scores["a.txt#2"] == pytest.approx(plain["a.txt#2"])              # names 2023
    assert scores["b.txt#3"] == pytest.approx(plain["b.txt#3"])              # no year anywhere
    assert ranked[0].chunk.chunk_id == "a.txt#2"
