"""build_index(docs, settings) -> Built: the one build sequence, used by `lmc index`, `lmc add`,
`lmc remove` and the app's Documents tab.

    built = build_index(load_corpus(settings), settings)
    built.index, built.assistant          # saved in settings.index_dir; the Assistant over it, warm

Steps: Index.build in memory (the vectors of every chunk already in the index come from its
embedding cache, index/cache.py, so adding one document embeds that document's chunks alone);
`commit` (if given: the library's change is written only once the build has succeeded); save (a
temporary folder renamed into place); then the answer step's sentence vectors, again reusing
those of the index it replaced. Adding or removing a document is this full build, so it gives the
same index as a rebuild from scratch by construction, and tests/test_library.py checks it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Built:
    index: object                       # index.store.Index
    assistant: object                   # assistant.answer.Assistant over it
    documents: tuple                    # the corpus.Document list it was built from
    seconds: float


def build_index(docs, settings, *, progress: bool = True, log=print, commit=None, embedders=None) -> Built:
    """Build the index of `docs`, call `commit()` if given, save, and embed the answer sentences.
    embedders: model name -> a loaded embedder to reuse (see loaded_embedders)."""
    from assistant.answer import Assistant
    from assistant.vectors import cache_dir, read_vectors
    from index.persist import check_replaceable
    from index.store import Index
    started = time.perf_counter()
    directory = Path(settings.index_dir)
    check_replaceable(directory.resolve())                    # refuse a non-index folder before building
    earlier = read_vectors(cache_dir(directory))              # before the new index replaces the old
    index = Index.build(list(docs), settings, progress=progress, embedders=embedders)
    if commit is not None:
        commit()
    index.save(directory)
    log("Embedding the corpus sentences for answers…")
    assistant = Assistant(index, settings, list(docs))
    assistant.embed_sentences(reuse=earlier)
    return Built(index, assistant, tuple(docs), time.perf_counter() - started)


def loaded_embedders(index) -> dict:
    """Model name -> embedder of an index in use (its models are loaded already)."""
    return {embedder.name: embedder for embedder, _ in getattr(index, "dense", {}).values()}
