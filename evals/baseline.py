"""The LangChain-default pipeline, as a yardstick for our own.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True) with its
default separators, MiniLM dense-only search over a flat FAISS inner-product index, no context
header: what a tutorial RAG app does. Built through Index.from_chunks, so it is searched and
scored exactly like the product.
"""

from __future__ import annotations

import dataclasses

from corpus.lang import language
from corpus.types import Chunk, Document

CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200
WEIGHTS = {"bm25": 0.0, "dense": 1.0, "multilingual": 0.0}


def langchain_chunks(docs: list[Document]) -> list[Chunk]:
    """LangChain's chunks with their start_index verified against each document's text."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                                              add_start_index=True)
    chunks = []
    for doc in docs:
        for seq, piece in enumerate(splitter.create_documents([doc.text])):
            text, start = piece.page_content, piece.metadata.get("start_index", -1)
            if start < 0 or doc.text[start:start + len(text)] != text:
                raise ValueError(f"LangChain's start_index for {doc.doc_id} chunk {seq} does not "
                                 "point at the chunk's text")
            chunks.append(Chunk(chunk_id=f"{doc.doc_id}#{seq}", doc_id=doc.doc_id, text=text, start=start,
                                end=start + len(text), lang=language(text), seq=seq))
    return chunks


def baseline_settings(settings):
    """The product settings with the baseline's chunking, no header and no multilingual leg."""
    return dataclasses.replace(settings, chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                               header=False, multilingual_model=None)


def build(docs: list[Document], settings, progress: bool = False):
    """An in-memory Index of the LangChain-default pipeline (search it with WEIGHTS)."""
    from index.store import Index
    return Index.from_chunks(langchain_chunks(docs), {d.doc_id: d.meta() for d in docs},
                             baseline_settings(settings), progress=progress)
