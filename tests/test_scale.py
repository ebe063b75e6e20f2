"""Scale: the FAISS index chosen by size, the embedding cache behind incremental indexing, lmc bench."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest

from assistant.config import Settings
from corpus import DEFAULT_CORPUS, chunk_documents, load_documents
from index import ann
from index.cache import EmbeddingCache
from index.embedder import EMBEDDERS
from index.store import Index, embedding_text
from tests.fakes import KeywordEmbedder

KEYWORDS = ["river", "forum", "water", "cooperation", "mekong", "lancang", "culture", "tourism",
            "agriculture", "2025", "youth", "trade"]
QUERIES = ["river water cooperation", "youth forum 2025", "tourism and culture", "agriculture trade"]


class CountingEmbedder(KeywordEmbedder):
    """The keyword fake, remembering every text it was asked to embed."""

    def __init__(self):
        super().__init__(KEYWORDS)
        self.texts: list[str] = []

    def encode(self, texts, progress=False):
        self.texts.extend(texts)
        return super().encode(texts, progress)


@pytest.fixture
def fake(monkeypatch):
    embedder = CountingEmbedder()
    monkeypatch.setitem(EMBEDDERS, embedder.name, lambda: embedder)
    return embedder


@pytest.fixture
def corpus_copy(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, folder)
    return folder


def settings_for(corpus, index_dir, **over) -> Settings:
    return dataclasses.replace(Settings(), corpus_dir=corpus, index_dir=index_dir,
                               dense_model=KeywordEmbedder.name, multilingual_model=None, **over)


def build_and_save(settings) -> Index:
    index = Index.build(load_documents(settings.corpus_dir), settings, progress=False)
    index.save(settings.index_dir)
    return index


def texts_of(settings) -> set[str]:
    """Every embedding text of the corpus as it is now (the oracle for what must be embedded)."""
    docs = load_documents(settings.corpus_dir)
    meta = {d.doc_id: d.meta() for d in docs}
    chunks = chunk_documents(docs, settings.chunk_size, settings.chunk_overlap)
    return {embedding_text(c, meta[c.doc_id], settings.header) for c in chunks}


def ranking(index: Index) -> list[list[tuple[str, float]]]:
    return [[(h.chunk.chunk_id, h.score) for h in index.search(q, 10, weights={"bm25": 0.5, "dense": 0.5})]
            for q in QUERIES]


def vectors(index: Index) -> np.ndarray:
    faiss_index = index.dense["dense"][1]
    return faiss_index.reconstruct_n(0, faiss_index.ntotal)


# ---------- incremental indexing ----------
def test_unchanged_corpus_reuses_every_vector(fake, corpus_copy, tmp_path):
    settings = settings_for(corpus_copy, tmp_path / "index")
    first = build_and_save(settings)
    assert len(fake.texts) == len(first.chunks) and first.meta["embedded"]["dense"]["reused"] == 0
    fake.texts.clear()
    second = build_and_save(settings)
    assert fake.texts == []
    assert second.meta["embedded"]["dense"] == {"new": 0, "reused": len(second.chunks)}
    assert np.array_equal(vectors(first), vectors(second))


def test_one_changed_document_embeds_only_its_new_chunks(fake, corpus_copy, tmp_path):
    settings = settings_for(corpus_copy, tmp_path / "index")
    build_and_save(settings)
    before = texts_of(settings)
    changed = sorted(corpus_copy.glob("*.txt"))[1]
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("Mekong", "Mekong river", 1) + "\nA new line about youth trade.\n",
                       encoding="utf-8")
    expected = texts_of(settings) - before
    fake.texts.clear()
    incremental = build_and_save(settings)
    assert expected and set(fake.texts) == expected          # exactly the texts never embedded before
    own = {c.chunk_id for c in incremental.chunks if c.doc_id == changed.name}
    assert len(fake.texts) <= len(own) < len(incremental.chunks)
    fresh = build_and_save(settings_for(corpus_copy, tmp_path / "fresh", embedding_cache=False))
    assert np.array_equal(vectors(incremental), vectors(fresh))
    assert ranking(incremental) == ranking(fresh)
    assert ranking(Index.load(settings.index_dir)) == ranking(fresh)


def test_a_damaged_cache_is_ignored_not_trusted(fake, corpus_copy, tmp_path):
    settings = settings_for(corpus_copy, tmp_path / "index")
    first = build_and_save(settings)
    npy = next((settings.index_dir / "cache").glob("*.npy"))
    data = bytearray(npy.read_bytes())
    data[-4:] = b"\x00\x00\x80\x7f"                            # the last float becomes +inf
    npy.write_bytes(bytes(data))
    fake.texts.clear()
    second = build_and_save(settings)
    assert len(fake.texts) == len(second.chunks)
    assert np.array_equal(vectors(first), vectors(second))
    Index.load(settings.index_dir)                           # the cache is no part of the verified files


def test_cache_off_writes_no_cache(fake, corpus_copy, tmp_path):
    settings = settings_for(corpus_copy, tmp_path / "index", embedding_cache=False)
    build_and_save(settings)
    fake.texts.clear()
    build_and_save(settings)
    assert fake.texts and not (settings.index_dir / "cache").exists()


def test_cache_keys_depend_on_model_and_text(tmp_path):
    a, b = KeywordEmbedder(KEYWORDS), KeywordEmbedder(KEYWORDS[:5])
    cache = EmbeddingCache()
    cache.encode(a, ["river forum", "water"])
    cache.save(tmp_path)
    info = json.loads((tmp_path / "cache" / "keyword-fake.json").read_text())
    assert info["count"] == 2 and "river forum" not in json.dumps(info)   # keys are hashes, not texts
    loaded = EmbeddingCache.load(tmp_path)
    loaded.encode(b, ["river forum"])                        # other dimension: not a hit
    loaded.encode(a, ["river forum", "river forum", "tourism"])
    assert loaded.embedded == {"keyword-fake": 2} and loaded.reused == {"keyword-fake": 2}


# ---------- the FAISS index chosen by size ----------
def clustered(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, dim))
    x = centres[rng.integers(0, 50, n)] + 0.5 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_flat_below_threshold_is_exact_and_hnsw_above_finds_the_true_neighbours():
    params = Settings().ann_params() | {"flat_below": 1000}
    data, queries = clustered(3000, 32, 0), clustered(50, 32, 1)
    exact = np.argsort(-(queries @ data.T), axis=1, kind="stable")[:, :10]
    flat = ann.build_faiss_index(data[:999], **params)
    assert ann.describe(flat)["type"] == "flat"
    _, rows = flat.search(queries, 10)
    assert np.array_equal(rows, np.argsort(-(queries @ data[:999].T), axis=1, kind="stable")[:, :10])
    hnsw = ann.build_faiss_index(data, **params)
    assert ann.describe(hnsw) == {"type": "hnsw", "n": 3000, "M": params["hnsw_m"],
                                  "ef_construction": params["ef_construction"], "ef_search": params["ef_search"]}
    _, rows = hnsw.search(queries, 10)
    assert ann.recall_at_k(rows, exact) >= 0.95
    assert ann.recall_at_k(exact, exact) == 1.0 and ann.recall_at_k(exact[:, ::-1][:, :5], exact, 5) < 1.0


def test_hnsw_index_is_recorded_saved_and_loaded(fake, corpus_copy, tmp_path):
    settings = settings_for(corpus_copy, tmp_path / "index", ann_threshold=10, hnsw_ef_search=40)
    built = build_and_save(settings)
    assert built.meta["ann"]["dense"]["type"] == "hnsw"
    loaded = Index.load(settings.index_dir)
    assert loaded.meta["ann"]["dense"]["type"] == "hnsw"
    assert ann.describe(loaded.dense["dense"][1])["ef_search"] == 40
    assert ranking(loaded) == ranking(built)


# ---------- lmc bench ----------
def test_bench_refuses_bad_sizes_with_one_line(capsys):
    from assistant.cli import main
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--sizes", "10k,abc", "--skip-pipelines"])
    assert exit_info.value.code != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--sizes" in err


def test_scale_size_measures_recall_against_exact_search(tmp_path):
    from evals import scale
    rng = np.random.default_rng(0)
    sample = scale.Sample(vectors={"dense": clustered(40, 16, 2), "multilingual": clustered(40, 24, 3)},
                          queries={"dense": clustered(12, 16, 4), "multilingual": clustered(12, 24, 5)},
                          questions=[f"question {i} about the river" for i in range(12)],
                          sentences=["The river forum met in Dali.", "Water cooperation grew.",
                                     "澜湄合作 水资源 合作。", "Tourism and culture were discussed."])
    settings = dataclasses.replace(Settings(), ann_threshold=500)
    row = scale.measure_size(2000, sample, settings, rng)
    assert row["n"] == 2000 and row["dense"]["type"] == "hnsw"
    assert row["dense"]["flat"]["recall@10"] == 1.0          # exact search agrees with itself
    assert 0.8 <= row["dense"]["ann"]["recall@10"] <= 1.0
    for leg in ("bm25", "fused"):
        assert 0 < row[leg]["p50_ms"] <= row[leg]["p95_ms"]


class SentenceModel:
    """A fake sentence model: a text's vector is its length and its vowel count; it records what it embeds."""
    name, dim = "counting-fake", 2

    def __init__(self):
        self.texts: list[str] = []

    def encode(self, texts, progress=False):
        self.texts.extend(texts)
        return np.array([[len(t), sum(c in "aeiou" for c in t)] for t in texts], dtype=np.float32)


def test_answer_sentence_vectors_are_reused_across_a_rebuild(tmp_path):
    from assistant.vectors import read_vectors, sentence_vectors
    model = SentenceModel()
    before = ["The forum was held in Dali.", "It drew 200 representatives.", "Trade doubled."]
    first = sentence_vectors(before, model, tmp_path / "old")
    assert model.texts == before
    model.texts.clear()
    assert np.array_equal(sentence_vectors(before, model, tmp_path / "old"), first) and model.texts == []
    after = ["The forum was held in Dali.", "It drew about 200 representatives.", "Trade doubled."]
    again = sentence_vectors(after, model, tmp_path / "new", reuse=read_vectors(tmp_path / "old"))
    assert model.texts == ["It drew about 200 representatives."]         # only the edited sentence
    assert np.array_equal(again, SentenceModel().encode(after))      # and every row is right
    assert read_vectors(tmp_path / "missing") == {}


def test_recent_question_vectors_are_reused_and_bounded():
    from index.embedder import Recent
    computed: list[str] = []

    def compute(texts):
        computed.extend(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    recent = Recent(size=2, batch=4)
    first = recent.encode(["ab", "abc"], compute)
    assert computed == ["ab", "abc"]
    assert np.array_equal(recent.encode(["abc", "ab", "abc"], compute), first[[1, 0, 1]]) and computed == ["ab", "abc"]
    recent.encode(["abcd"], compute)                        # size 2: "ab" (least recent) is dropped
    recent.encode(["ab"], compute)
    assert computed == ["ab", "abc", "abcd", "ab"]
    recent.encode(["a", "b", "c", "d", "e"], compute)       # a batch over 4 (an index build) bypasses it
    recent.encode(["ab"], compute)                          # ... and leaves the cache as it was
    assert computed == ["ab", "abc", "abcd", "ab", "a", "b", "c", "d", "e"]
