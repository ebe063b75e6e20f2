"""Documents in, chunks out. No ML imports here."""

from corpus.types import Chunk, Document
from corpus.readers import CorpusError, DEFAULT_CORPUS, corpus_hash, load_documents
from corpus.chunking import chunk_document, chunk_documents
from corpus.library import library_dir, load_corpus

__all__ = [
    "Chunk", "Document", "CorpusError", "DEFAULT_CORPUS", "corpus_hash",
    "load_documents", "chunk_document", "chunk_documents", "library_dir", "load_corpus",
]
