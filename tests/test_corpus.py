"""Documents and chunks: offsets, bilingual alignment, and corpus errors."""

from __future__ import annotations

import json
import os

from pathlib import Path

import pytest

from corpus import DEFAULT_CORPUS, CorpusError, chunk_document, corpus_hash, load_documents
from corpus.lang import is_chinese

BILINGUAL = "003_f1e44591df7b45bd.txt"


def test_bundled_corpus_has_five_documents_with_metadata(documents):
    assert [d.doc_id for d in documents] == sorted(p for p in os.listdir(DEFAULT_CORPUS) if p.endswith(".txt"))
    assert len(documents) == 5
    for doc in documents:
        assert doc.title and doc.title != doc.doc_id.removesuffix(".txt")
        assert doc.publisher and doc.date
    assert next(d for d in documents if d.doc_id == BILINGUAL).languages == ("zh", "en")


def test_bundled_documents_are_byte_identical_to_the_shared_originals(documents):
    shared = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    if not shared.is_dir():
        pytest.skip("../shared/corpus is not beside this checkout")
    for doc in documents:
        assert (shared / doc.doc_id).read_text(encoding="utf-8") == doc.text


@pytest.mark.parametrize("size,overlap", [(200, 50), (400, 100), (800, 150), (1200, 200)])
def test_every_chunk_slices_back_and_all_text_is_covered(documents, size, overlap):
    for doc in documents:
        chunks = chunk_document(doc, size, overlap)
        covered = bytearray(len(doc.text))
        for c in chunks:
            assert doc.text[c.start:c.end] == c.text
            assert c.chunk_id == f"{doc.doc_id}#{c.seq}"
            covered[c.start:c.end] = b"\x01" * (c.end - c.start)
        missing = [i for i, ch in enumerate(doc.text) if not ch.isspace() and not covered[i]]
        assert missing == []


@pytest.mark.parametrize("size", [300, 800])
def test_each_chinese_line_shares_a_chunk_with_its_english_translation(documents, size):
    doc = next(d for d in documents if d.doc_id == BILINGUAL)
    chunks = chunk_document(doc, size, 100)
    lines, pos = [], 0
    for line in doc.text.split("\n"):
        lines.append((pos, pos + len(line), line))
        pos += len(line) + 1
    pairs = 0
    for (s1, e1, a), (s2, e2, b) in zip(lines, lines[1:]):
        if a.strip() and is_chinese(a) and b.strip() and not is_chinese(b):
            pairs += 1
            assert any(c.start <= s1 and e2 <= c.end + (len(b) - len(b.rstrip())) for c in chunks), a[:40]
    assert pairs > 100


def test_chunking_is_deterministic(documents):
    assert chunk_document(documents[3], 800, 150) == chunk_document(documents[3], 800, 150)


def test_bad_chunk_settings_are_refused(documents):
    with pytest.raises(ValueError):
        chunk_document(documents[0], 100, 100)


def test_missing_and_empty_corpus_folders_are_clear_errors(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_documents(tmp_path / "nope")
    with pytest.raises(CorpusError, match="no .txt documents"):
        load_documents(tmp_path)


def test_non_utf8_and_binary_files_are_refused(tmp_path):
    (tmp_path / "a.txt").write_bytes("caf\u00e9".encode("latin-1"))
    with pytest.raises(CorpusError, match="not UTF-8"):
        load_documents(tmp_path)
    (tmp_path / "a.txt").write_bytes(b"\x89PNG\x00\x00")
    with pytest.raises(CorpusError, match="binary"):
        load_documents(tmp_path)


def test_empty_documents_are_skipped_and_oversized_refused(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "real.txt").write_text("The Mekong flows south.")
    assert [d.doc_id for d in load_documents(tmp_path)] == ["real.txt"]
    with pytest.raises(CorpusError, match="limit"):
        load_documents(tmp_path, max_bytes=5)


def test_links_leaving_the_corpus_folder_are_refused(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "link.txt").symlink_to(outside)
    with pytest.raises(CorpusError, match="outside"):
        load_documents(corpus)


def test_corpus_hash_changes_with_text_and_with_metadata(tmp_path):
    (tmp_path / "a.txt").write_text("Lancang River.")
    first = corpus_hash(load_documents(tmp_path))
    (tmp_path / "a.txt").write_text("Lancang River!")
    second = corpus_hash(load_documents(tmp_path))
    (tmp_path / "manifest.json").write_text(json.dumps({"documents": {"a.txt": {"title": "T"}}}))
    third = corpus_hash(load_documents(tmp_path))
    assert len({first, second, third}) == 3
