"""Question sets in SQuAD format: each article becomes one document, each question a gold question.

    qset = load_squad("xquad.en.dev.json")                     # documents, questions, paragraphs
    qset = load_squad("xquad.zh.dev.json", docs="xquad.en.dev.json")   # Chinese questions, English articles

An article's paragraphs are joined with blank lines into one document; each answer keeps its exact
span (the paragraph's offset plus `answer_start`), so a retrieved chunk is relevant when it covers
the answer's own span, not another occurrence of the same words. With `docs`, the documents and the
answers come from that parallel file and only the questions' wording from the first (matched by id):
XQuAD's Chinese questions asked of its English articles. SQuAD 2.0's `is_impossible` questions are
unanswerable.

Folds are by article, never by question: an article's fold comes from its title (fold_of), so a
title found in two sets (XQuAD and SQuAD 2.0 share "Normans") lands in the same fold of both.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from corpus.lang import is_chinese
from corpus.types import Document

FOLDS = 5
FOLD_SALT = "lmc-folds-1"


class SquadError(ValueError):
    """A question set that cannot be read; the message is one line."""


@dataclass(frozen=True)
class SquadSet:
    name: str                              # the file's stem (with "+docs" when the documents come from another)
    documents: list[Document]
    questions: list[dict]                  # gold questions (evals.run's format) with exact answer spans
    paragraphs: list[tuple[str, int, int]]  # (doc_id, start, end) of every paragraph
    skipped: int = 0                       # questions dropped: no answer located, or no parallel article


def fold_of(title: str, folds: int = FOLDS) -> int:
    """The fold of an article, from its normalised title (the same in every set that holds it)."""
    key = re.sub(r"[\W_]+", "", title).casefold()
    return int(hashlib.sha256(f"{FOLD_SALT}:{key}".encode()).hexdigest(), 16) % folds


def _read(path: Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SquadError(f"question set not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SquadError(f"cannot read {path} as SQuAD JSON: {exc}") from None
    articles = data.get("data") if isinstance(data, dict) else None
    if not isinstance(articles, list) or not articles:
        raise SquadError(f'{path} is not in SQuAD format: expected {{"data": [{{"title", "paragraphs"}}, ...]}}')
    for n, article in enumerate(articles):
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list) or not all(
                isinstance(p, dict) and isinstance(p.get("context"), str) and isinstance(p.get("qas", []), list)
                for p in paragraphs):
            raise SquadError(f'{path}: article {n} needs "paragraphs": [{{"context", "qas"}}, ...]')
    return articles


def _slug(title: str) -> str:
    return re.sub(r"[^\w-]+", "_", title).strip("_")[:40] or "article"


def _documents(articles: list[dict]) -> tuple[list[Document], dict, list]:
    """Documents, qid -> (doc_id, [(start, end, text)], impossible, title), and paragraph spans."""
    docs, answers, paragraphs = [], {}, []
    for i, article in enumerate(articles):
        title = str(article.get("title") or f"article {i}").replace("_", " ").strip()
        doc_id = f"{i:03d}_{_slug(title)}.txt"
        pieces, offset = [], 0
        for p in article["paragraphs"]:
            context = p["context"]
            paragraphs.append((doc_id, offset, offset + len(context)))
            for qa in p.get("qas", []):
                spans = []
                for a in qa.get("answers") or []:
                    span = _locate(context, a)
                    if span:
                        spans.append((offset + span[0], offset + span[1], a["text"]))
                answers[str(qa.get("id"))] = (doc_id, spans, bool(qa.get("is_impossible")), title, qa)
            pieces.append(context)
            offset += len(context) + 2
        text = "\n\n".join(pieces)
        docs.append(Document(doc_id=doc_id, text=text, title=title, publisher="", date="",
                             languages=("zh",) if is_chinese(text) else ("en",)))
    return docs, answers, paragraphs


def _locate(context: str, answer: dict) -> tuple[int, int] | None:
    """The answer's span in its paragraph: at answer_start, else its occurrence nearest to it."""
    text = answer.get("text") if isinstance(answer, dict) else None
    if not isinstance(text, str) or not text.strip():
        return None
    start = answer.get("answer_start")
    start = start if isinstance(start, int) else -1
    if 0 <= start and context[start:start + len(text)] == text:
        return start, start + len(text)
    found = [m.start() for m in re.finditer(re.escape(text), context)]
    if not found:
        return None
    best = min(found, key=lambda s: abs(s - start))
    return best, best + len(text)


def load_squad(path, docs=None) -> SquadSet:
    """The question set at `path`; with `docs`, its questions over the parallel file's articles."""
    path = Path(path)
    articles = _read(path)
    source = _read(Path(docs)) if docs else articles
    documents, answers, paragraphs = _documents(source)
    questions, skipped = [], 0
    for article in articles:
        for p in article["paragraphs"]:
            for qa in p.get("qas", []):
                qid, question = str(qa.get("id")), qa.get("question")
                if qid not in answers or not isinstance(question, str) or not question.strip():
                    skipped += 1
                    continue
                doc_id, spans, impossible, title, _ = answers[qid]
                if not impossible and not spans:
                    skipped += 1
                    continue
                lang = "zh" if is_chinese(question) else "en"
                doc_lang = "zh" if is_chinese(next(d.text for d in documents if d.doc_id == doc_id)[:2000]) else "en"
                kind = "unanswerable" if impossible else ("crosslingual" if lang != doc_lang else "factoid")
                keys = list(dict.fromkeys(t for _, _, t in spans)) if not impossible else []
                evidence = [] if impossible else [{"doc_id": doc_id, "text": t, "start": s, "end": e}
                                                   for s, e, t in spans]
                questions.append({"id": qid, "question": question.strip(), "lang": lang, "kind": kind,
                                  "evidence": evidence, "answer_keys": keys, "article": title,
                                  "fold": fold_of(title), "split": "all"})
    if not questions:
        raise SquadError(f"{path} holds no questions whose answers could be located"
                         + (f" in {docs}" if docs else ""))
    name = path.stem + (f"+{Path(docs).stem}" if docs else "")
    return SquadSet(name, documents, questions, paragraphs, skipped)


def select_folds(qset: SquadSet, folds: set[int] | None) -> SquadSet:
    """Only the questions of articles in these folds (all documents stay indexed)."""
    if folds is None:
        return qset
    kept = [q for q in qset.questions if q["fold"] in folds]
    if not kept:
        raise SquadError(f"{qset.name} has no article in fold(s) {sorted(folds)}")
    return SquadSet(qset.name, qset.documents, kept, qset.paragraphs, qset.skipped)


def content_key(documents: list[Document]) -> str:
    """What the cached index is keyed by: the documents' ids, titles and texts."""
    h = hashlib.sha256()
    for d in documents:
        h.update(json.dumps([d.doc_id, d.title], ensure_ascii=False).encode())
        h.update(hashlib.sha256(d.text.encode()).digest())
    return h.hexdigest()[:16]


def write_corpus(documents: list[Document], folder: Path) -> Path:
    """The documents as a corpus folder (one .txt each, and a manifest with their titles), once."""
    from index.persist import write_atomic
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if manifest.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for d in documents:
        write_atomic(folder / d.doc_id, d.text)
    entries = {d.doc_id: {"title": d.title, "languages": list(d.languages)} for d in documents}
    write_atomic(manifest, json.dumps({"format": 1, "documents": entries}, ensure_ascii=False, indent=1))
    return folder
