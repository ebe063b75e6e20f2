"""The index: fusion, FAISS against brute force, persistence, staleness and damage."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from assistant.config import Settings
from corpus import load_documents
from corpus.lang import language
from corpus.types import Chunk
from index.fusion import fuse, normalise
from index.lexical import LexicalIndex
from index.store import Index, IndexError_, open_index
from tests.fakes import KeywordEmbedder


def fake_index(texts: list[str], keywords: list[str]) -> Index:
    import faiss
    chunks = [Chunk(f"d.txt#{i}", "d.txt", t, 0, len(t), lang=language(t), seq=i) for i, t in enumerate(texts)]
    embedder = KeywordEmbedder(keywords)
    flat = faiss.IndexFlatIP(embedder.dim)
    flat.add(embedder.encode(texts))
    return Index(chunks, {"d.txt": {"title": "D"}}, LexicalIndex.build(texts),
                 {"dense": (embedder, flat)}, {})


def test_normalise_and_fuse_match_hand_computed_values():
    assert normalise(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]
    legs = {"bm25": (np.array([0, 1, 2]), np.array([10.0, 5.0, 0.0])),
            "dense": (np.array([2, 0]), np.array([0.9, 0.1]))}
    fused = fuse(legs, {"bm25": 0.75, "dense": 0.25})
    assert fused == pytest.approx({0: 0.75, 1: 0.375, 2: 0.25})


def test_dense_leg_ranks_by_keyword_meaning_and_weights_decide():
    index = fake_index(["river river dam", "railway station", "river bridge"], ["river", "railway", "dam"])
    dense_only = index.search("river dam", 3, weights={"dense": 1.0})
    assert [h.chunk.seq for h in dense_only] == [0, 2, 1][:len(dense_only)]
    assert index.search("railway", 1, weights={"dense": 1.0})[0].chunk.seq == 1
    assert [h.rank for h in dense_only] == list(range(1, len(dense_only) + 1))


def test_filters_keep_only_the_requested_language():
    index = fake_index(["澜湄合作 river", "river only", "中老铁路"], ["river"])
    hits = index.search("river 澜湄 铁路", 3, weights={"bm25": 1.0}, lang="zh")
    assert sorted(h.chunk.seq for h in hits) == [0, 2]
    assert [h.chunk.seq for h in index.search("river", 3, weights={"bm25": 1.0}, doc_ids={"x.txt"})] == []


@pytest.mark.model
def test_faiss_top_k_equals_brute_force(real_index):
    embedder, flat = real_index.dense["dense"]
    matrix = flat.reconstruct_n(0, flat.ntotal)
    for q in ["China-Laos Railway passengers", "water resources forum in Wuhan", "youth innovation"]:
        v = embedder.encode([q])
        scores, rows = flat.search(v, 10)
        brute = np.argsort(-(matrix @ v[0]), kind="stable")[:10]
        assert np.allclose(scores[0], (matrix @ v[0])[brute], atol=1e-5)
        assert set(rows[0]) == set(brute)


@pytest.mark.model
def test_save_then_load_gives_identical_hits(real_index, real_settings, tmp_path):
    from index.store import fusion_for
    real_index.save(tmp_path / "copy")
    loaded = Index.load(tmp_path / "copy")
    w = fusion_for(real_settings)
    for q in ["Where was the Dali declaration released?", "中老铁路客运量", "136 joint patrols"]:
        a = [(h.chunk, h.score) for h in real_index.search(q, 10, weights=w)]
        b = [(h.chunk, h.score) for h in loaded.search(q, 10, weights=w)]
        assert a == b


def tiny_settings(tmp_path, **over) -> Settings:
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        corpus.mkdir()
        (corpus / "a.txt").write_text("The Lancang River flows into the Mekong.\n", encoding="utf-8")
        (corpus / "b.txt").write_text("澜湄合作第十次外长会在云南安宁举行。\n", encoding="utf-8")
    base = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", dense_model=None, multilingual_model=None)
    return dataclasses.replace(base, **over)


def test_missing_index_is_built_then_reused(tmp_path):
    settings, said = tiny_settings(tmp_path), []
    first = open_index(settings, log=said.append, progress=False)
    assert said and "no index" in said[0]
    second = open_index(settings, log=said.append, progress=False)
    assert len(said) == 1 and second.chunks == first.chunks
    assert second.search("安宁", 1)[0].chunk.doc_id == "b.txt"


def test_a_corpus_edit_makes_the_index_stale_and_it_is_rebuilt(tmp_path):
    settings, said = tiny_settings(tmp_path), []
    open_index(settings, log=said.append, progress=False)
    (settings.corpus_dir / "c.txt").write_text("Dali hosted the forum.", encoding="utf-8")
    index = open_index(settings, log=said.append, progress=False)
    assert "stale" in said[-1]
    assert index.search("Dali forum", 1)[0].chunk.doc_id == "c.txt"


def test_other_settings_are_a_mismatch_and_can_be_refused(tmp_path):
    open_index(tiny_settings(tmp_path), log=lambda m: None, progress=False)
    other = tiny_settings(tmp_path, chunk_size=300)
    with pytest.raises(IndexError_, match=r"other settings \(chunk_size: 800 -> 300\).*lmc index"):
        open_index(other, build_if_needed=False)


@pytest.mark.parametrize("damage", ["truncate", "delete", "meta", "chunks"])
def test_damaged_index_files_are_detected(tmp_path, damage):
    settings = tiny_settings(tmp_path)
    open_index(settings, log=lambda m: None, progress=False)
    d = settings.index_dir
    if damage == "truncate":
        victim = d / "bm25" / "data.csc.index.npy"
        victim.write_bytes(victim.read_bytes()[:-8])
    elif damage == "delete":
        (d / "documents.json").unlink()
    elif damage == "meta":
        (d / "meta.json").write_text("{not json")
    else:
        lines = (d / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
        (d / "chunks.jsonl").write_text(lines[0] + "\n", encoding="utf-8")
    with pytest.raises(IndexError_, match="damaged"):
        Index.load(d)
    said = []
    rebuilt = open_index(settings, log=said.append, progress=False)
    assert "damaged" in said[0] and len(rebuilt.chunks) == 2


def test_unknown_format_is_refused_with_the_reason(tmp_path):
    settings = tiny_settings(tmp_path)
    open_index(settings, log=lambda m: None, progress=False)
    meta = json.loads((settings.index_dir / "meta.json").read_text())
    meta["format"] = 99
    (settings.index_dir / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(IndexError_, match="format 99"):
        Index.load(settings.index_dir)


def test_a_failed_save_leaves_the_previous_index_intact(tmp_path, monkeypatch):
    settings = tiny_settings(tmp_path)
    before = open_index(settings, log=lambda m: None, progress=False)
    docs = load_documents(settings.corpus_dir)
    broken = Index.build(docs, settings, progress=False)
    monkeypatch.setattr(broken.lexical, "save", lambda path: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        broken.save(settings.index_dir)
    assert Index.load(settings.index_dir).chunks == before.chunks
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".index")] == []
