"""Index: build(docs) / search(query, k) -> list[Hit] / save(dir) / load(dir).

One self-describing directory:
  meta.json        format, build settings, models and dims, corpus hash, file sizes and sha256
  chunks.jsonl     line n is row n of every vector file
  documents.json   title, publisher, date, url of each document (for rendering hits)
  dense-N.faiss    one FAISS inner-product index per embedding model
  bm25/            the bm25s state (numpy arrays and JSON, no pickle)
Writes go to a temporary sibling directory that is renamed into place.
"""

from __future__ import annotations

import numbers
import time
from pathlib import Path

from corpus import DEFAULT_CORPUS, Chunk, Document, chunk_documents, corpus_hash, load_corpus
from corpus.lang import is_chinese
from index.embedder import encode_queries, make_embedder
from index.fusion import Fusion, candidate_rows, features, fuse, top
from index.lexical import LexicalIndex, tokenize
from index.pinyin import english_names, names_in
from index.sources import Sources, years_in
from index.translate import Lexicon
from index.types import Hit

FORMAT = 1
TOKENIZER = "cjk-bigram-v4"          # v2: BM25 indexes the context header; v3: CC-CEDICT lexicon; v4: lexicon pairs runs of Chinese lines


class IndexError_(Exception):
    """The index directory cannot be used as it is; the message says why and what to do."""


def embedding_text(chunk: Chunk, doc_meta: dict, header: bool) -> str:
    """What the legs index for a chunk: with `header`, "title (publisher, date)" then the text.
    The chunk's own text and offsets are unchanged."""
    if not header:
        return chunk.text
    about = ", ".join(x for x in (doc_meta.get("publisher"), doc_meta.get("date")) if x)
    return f"{doc_meta['title']}{f' ({about})' if about else ''}\n{chunk.text}"


class Index:
    embedding_cache = None                    # set by from_chunks; persist.save writes it

    def __init__(self, chunks: list[Chunk], documents: dict[str, dict], lexical: LexicalIndex,
                 dense: dict[str, tuple[object, object]], meta: dict, lexicon: Lexicon | None = None):
        self.chunks = chunks
        self.documents = documents            # doc_id -> metadata
        self.sources = Sources(documents)     # which documents a query names
        self.lexical = lexical
        self.dense = dense                    # leg name -> (embedder, faiss index)
        self.meta = meta
        self.lexicon = lexicon                # Chinese -> English words, from the parallel text
        self._names = None                    # pinyin spelling -> the corpus's English names (translate)
        self._chunk_years: list[frozenset[str]] | None = None   # the years each chunk names (rank)
        self._share: dict[str, float] = {}                       # language -> share of chunks in it

    # ---------- building ----------
    @classmethod
    def build(cls, docs: list[Document], settings, progress: bool = True, embedders: dict | None = None) -> "Index":
        """Chunk the documents and index the chunks. embedders: model name -> an already loaded
        embedder to use (the app passes those of the index it serves, so an added document does
        not load the models again)."""
        started = time.perf_counter()
        chunks = chunk_documents(docs, settings.chunk_size, settings.chunk_overlap)
        index = cls.from_chunks(chunks, {d.doc_id: d.meta() for d in docs}, settings, progress=progress,
                                embedders=embedders)
        index.meta["corpus_hash"] = corpus_hash(docs)
        index.meta["build_seconds"] = round(time.perf_counter() - started, 2)
        return index

    @classmethod
    def from_chunks(cls, chunks: list[Chunk], documents: dict[str, dict], settings,
                    progress: bool = True, embedders: dict | None = None) -> "Index":
        """Index ready-made chunks (any chunker) with the legs named in settings."""
        from index import ann
        from index.cache import EmbeddingCache
        texts = [embedding_text(c, documents[c.doc_id], settings.header) for c in chunks]
        lexical = LexicalIndex.build(texts)
        vocabulary = {t for text in texts for t in tokenize(text) if t.isascii()}
        lexicon = Lexicon.build([c.text for c in chunks], vocabulary)
        # vectors of unchanged chunks come from the cache of the index being replaced
        cache = EmbeddingCache.load(settings.index_dir if settings.embedding_cache else None)
        dense = {}
        for leg, name in (("dense", settings.dense_model), ("multilingual", settings.multilingual_model),
                          ("e5", settings.e5_model)):
            if not name:
                continue
            embedder = (embedders or {}).get(name) or make_embedder(name)
            vectors = cache.encode(embedder, texts, progress=progress)
            dense[leg] = (embedder, ann.build_faiss_index(vectors, **settings.ann_params()))
        meta = {
            "format": FORMAT, "tokenizer": TOKENIZER, "build": settings.build_key(),
            "models": {leg: {"name": e.name, "dim": e.dim} for leg, (e, _) in dense.items()},
            "ann": {leg: ann.describe(f) for leg, (_, f) in dense.items()},
            "embedded": {leg: {"new": cache.embedded.get(e.name, 0), "reused": cache.reused.get(e.name, 0)}
                         for leg, (e, _) in dense.items()},
            "corpus_hash": None, "n_documents": len(documents), "n_chunks": len(chunks),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        index = cls(chunks, documents, lexical, dense, meta, lexicon)
        index.embedding_cache = cache if settings.embedding_cache else None   # persist.save writes it
        return index

    # ---------- searching ----------
    def search(self, query: str, k: int = 10, *, weights: dict[str, float] | None = None,
               doc_ids: set[str] | None = None, lang: str | None = None,
               candidates: int = 100) -> list[Hit]:
        return self.search_many([query], k, weights=weights, doc_ids=doc_ids, lang=lang,
                                candidates=candidates)[0]

    def search_many(self, queries: list[str], k: int = 10, *, weights=None, doc_ids=None,
                    lang=None, candidates: int = 100) -> list[list[Hit]]:
        """Search several questions at once (one embedding batch per leg).

        weights: a learned index.fusion.Fusion (the product's), leg -> weight (fixed weights), or a
        callable question -> weights.
        doc_ids / lang: keep only chunks of these documents / of this language ("en" or "zh").
        A blank query has no hits; a query that is not text or is over MAX_QUERY_CHARS, or a k below 1,
        is a ValueError.
        """
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"k must be a whole number of at least 1 (got {k!r})")
        k = int(k)
        queries = [_query_text(q) for q in queries]
        live = [i for i, q in enumerate(queries) if q.strip()]
        if len(live) < len(queries):
            out: list[list[Hit]] = [[] for _ in queries]
            found = self.search_many([queries[i] for i in live], k, weights=weights, doc_ids=doc_ids,
                                     lang=lang, candidates=candidates) if live else []
            for i, hits in zip(live, found):
                out[i] = hits
            return out
        n = len(self.chunks)
        filtered = doc_ids is not None or lang is not None
        pool = n if filtered and n <= 50_000 else min(n, max(candidates, k))
        if filtered and pool < n:
            pool = min(n, pool * 10)
        if isinstance(weights, Fusion):
            legs = self.candidates(queries, pool, None)
            return [self.rank_learned(l, weights, q, k, doc_ids=doc_ids, lang=lang) for l, q in zip(legs, queries)]
        per_query = [weights(q) if callable(weights) else (weights or DEFAULT_WEIGHTS) for q in queries]
        needed = {leg for w in per_query for leg, x in w.items() if x > 0}
        legs = self.candidates(queries, pool, needed)
        named = [self.named(q) if w.get("source", 0) > 0 else frozenset() for q, w in zip(queries, per_query)]
        years = [self.years(q) if w.get("year", 0) > 0 else frozenset() for q, w in zip(queries, per_query)]
        return [self.rank(l, w, k, doc_ids=doc_ids, lang=lang, named=n, years=y)
                for l, w, n, y in zip(legs, per_query, named, years)]

    def translate(self, query: str) -> str:
        """A Chinese query in English words: the lexicon's, and the corpus's names its characters
        spell in pinyin (鲍志鹏 -> Bao Zhipeng; index/pinyin.py)."""
        if self._names is None:
            self._names = english_names(c.text for c in self.chunks)
        names = {n for found in names_in(query, self._names).values() for n in found}
        return " ".join([self.lexicon.translate(query), *sorted(names)]).strip()

    @staticmethod
    def years(query: str) -> frozenset[str]:
        """The years a query names ("2023", 2023年)."""
        return years_in(query)

    def named(self, query: str) -> frozenset[str]:
        """The documents the query's asking sentence names (index/sources.py)."""
        return self.sources.asked(query)[0]

    def candidates(self, queries: list[str], pool: int, legs: set[str] | None = None) -> list[dict]:
        """For each question, leg name -> (row indices, raw scores) of that leg's `pool` best rows."""
        wanted = [leg for leg in self.dense if legs is None or leg in legs]
        vectors = {leg: encode_queries(self.dense[leg][0], queries) for leg in wanted}
        out = []
        for qi, query in enumerate(queries):
            found = {"bm25": top(self.lexical.scores(query), pool)}
            if self.lexicon is not None and (legs is None or "translated" in legs) and is_chinese(query):
                found["translated"] = top(self.lexical.scores(self.translate(query)), pool)
            for leg in wanted:
                scores, rows = self.dense[leg][1].search(vectors[leg][qi:qi + 1], pool)
                keep = rows[0] >= 0
                found[leg] = (rows[0][keep], scores[0][keep])
            out.append(found)
        return out

    def chunk_years(self) -> list[frozenset[str]]:
        """The years each chunk names, or, naming none, those its document's title names."""
        if self._chunk_years is None:
            self._chunk_years = [years_in(c.text) or self.sources.title_years.get(c.doc_id, frozenset())
                                 for c in self.chunks]
        return self._chunk_years

    def share(self, lang: str) -> float:
        """The share of chunks in `lang` ("zh+en" counts for both)."""
        if lang not in self._share:
            self._share[lang] = sum(lang in c.lang for c in self.chunks) / max(1, len(self.chunks))
        return self._share[lang]

    def fusion_features(self, legs: dict, query: str) -> tuple:
        """(rows, X, lang): the learned fusion's features of one question's candidates."""
        lang = "zh" if is_chinese(query) else "en"
        rows = candidate_rows(legs)
        chunks = [self.chunks[r] for r in rows.tolist()]
        named, years, said = self.named(query), self.years(query), self.chunk_years()
        X = features(legs, rows, [lang in c.lang for c in chunks], [c.lang == "zh+en" for c in chunks],
                     self.share(lang), [c.doc_id in named for c in chunks],
                     [bool(years and said[r] and not said[r] & years) for r in rows.tolist()])
        return rows, X, lang

    def rank_learned(self, legs: dict, fusion: Fusion, query: str, k: int, *, doc_ids=None,
                     lang=None) -> list[Hit]:
        """One question's k best hits by the learned fusion (index/fusion.py)."""
        rows, X, qlang = self.fusion_features(legs, query)
        scores = fusion.score(qlang, X)
        raw = {leg: dict(zip(r.tolist(), s.tolist())) for leg, (r, s) in legs.items()}
        hits = []
        for i in sorted(range(len(rows)), key=lambda i: (-scores[i], rows[i])):
            row = int(rows[i])
            chunk = self.chunks[row]
            if (doc_ids is not None and chunk.doc_id not in doc_ids) or (lang is not None and lang not in chunk.lang):
                continue
            hits.append(Hit(chunk=chunk, score=round(float(scores[i]), 6), rank=len(hits) + 1,
                            legs={leg: round(r[row], 4) for leg, r in raw.items() if row in r}))
            if len(hits) == k:
                break
        return hits

    def rank(self, legs: dict, weights: dict, k: int, *, doc_ids=None, lang=None,
             named: frozenset[str] = frozenset(), years: frozenset[str] = frozenset()) -> list[Hit]:
        """Fuse one question's leg candidates with `weights` and return its k best hits. The
        passages of the documents the question names (`named`, index/sources.py) gain
        weights["source"]; a passage that names only other years than the question's (`years`),
        or names none and belongs to a document whose title names other years ("Top 10 News of
        ... 2025" for a question on 2023), loses weights["year"]."""
        fused = fuse(legs, weights)
        if named and weights.get("source", 0) > 0:
            for row in fused:
                if self.chunks[row].doc_id in named:
                    fused[row] += weights["source"]
        if years and weights.get("year", 0) > 0:
            for row in fused:
                said = self.chunk_years()[row]
                if said and not said & years:
                    fused[row] -= weights["year"]
        raw = {leg: dict(zip(rows.tolist(), scores.tolist())) for leg, (rows, scores) in legs.items()}
        order = sorted(fused, key=lambda row: (-fused[row], row))
        hits = []
        for row in order:
            chunk = self.chunks[row]
            if doc_ids is not None and chunk.doc_id not in doc_ids:
                continue
            if lang is not None and lang not in chunk.lang:
                continue
            legs_of_row = {leg: round(r[row], 4) for leg, r in raw.items() if row in r}
            hits.append(Hit(chunk=chunk, score=round(fused[row], 6), rank=len(hits) + 1,
                            legs=legs_of_row))
            if len(hits) == k:
                break
        return hits

    # ---------- persistence ----------
    def save(self, directory: Path) -> None:
        from index import persist
        persist.save(self, Path(directory))

    @classmethod
    def load(cls, directory: Path) -> "Index":
        from index import persist
        return persist.load(cls, Path(directory))


DEFAULT_WEIGHTS = {"bm25": 1.0, "dense": 0.0, "multilingual": 0.0}
MAX_QUERY_CHARS = 20_000              # the Assistant's own limit is Settings.max_question_chars


def _query_text(query) -> str:
    """A query the legs can encode: text, not absurdly long, lone surrogates replaced by "?"."""
    if not isinstance(query, str):
        raise ValueError(f"a query must be text (got {type(query).__name__})")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"the query is {len(query):,} characters long; Index.search takes up to {MAX_QUERY_CHARS:,}")
    return query.encode("utf-8", "replace").decode("utf-8")


def fusion_for(settings):
    """The learned fusion the search uses: Settings.models_dir's fusion.json, else the shipped one."""
    from index.fusion import learned
    folder = getattr(settings, "models_dir", None)
    return learned(str(folder / "fusion.json") if folder else None)


def open_index(settings, *, build_if_needed: bool = True, log=print, progress: bool = True) -> Index:
    """Load the index for `settings`; build (or rebuild) it when it is missing, stale or damaged."""
    from index import persist
    directory = Path(settings.index_dir)
    docs = load_corpus(settings)
    problem = persist.check(directory, settings, corpus_hash(docs))
    if problem is None:
        try:
            index = Index.load(directory)
            _check_spans(index, docs, directory)
            return index
        except IndexError_ as exc:
            problem = str(exc)
    if not build_if_needed:
        corpus = "" if Path(settings.corpus_dir).resolve() == DEFAULT_CORPUS else f" --corpus {settings.corpus_dir}"
        raise IndexError_(f"{problem}; run: lmc index{corpus} --index {directory}")
    persist.check_replaceable(directory.resolve())           # before the build, not after it
    log(f"{problem}; building it now.")
    index = Index.build(docs, settings, progress=progress)
    index.save(directory)
    return index


def _check_spans(index: Index, docs: list[Document], directory: Path) -> None:
    """Every chunk must be the exact span of the current document it names (chunks in step with the corpus)."""
    texts = {d.doc_id: d.text for d in docs}
    for c in index.chunks:
        if texts.get(c.doc_id, "")[c.start:c.end] != c.text or not c.text:
            raise IndexError_(f"index at {directory} is damaged: chunk {c.chunk_id} does not match its document")
