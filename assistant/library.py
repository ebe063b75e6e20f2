"""Adding and removing documents (lmc add / docs / remove, and the app's Documents tab).

    outcomes, built = add_files([Upload("statement.pdf", Path("statement.pdf"))], settings)
    print(outcomes[0].line())        # "added statement.pdf: 12 pages, 48 chunks"
    built.assistant                  # answers from the new index (None when nothing was added)

Every file is parsed and checked first, with nothing written: a file that cannot be added gets
one line saying why (Outcome.reason) and the others go on. Then, under the library's lock, the
new items are staged, the index is built over every document (assistant/build.py), the library's
manifest is committed, and the index saved. A failure anywhere puts the manifest back and removes
the staged items, and the old index stays in place, so the library and the index are exactly as
they were.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.inputs import InputError

ID = re.compile(r"[\w][\w.-]{0,79}")
DATE = re.compile(r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?")


@dataclass(frozen=True)
class Upload:
    name: str                     # the file name as given: shown, and made into an id; never a path we write
    path: Path | None             # where its bytes are read from (None: fetch `url`)
    url: str | None = None        # a web address to fetch (lmc add https://...)

    @classmethod
    def of(cls, given: str) -> "Upload":
        """A command-line argument: a web address or a file path."""
        if given.lower().startswith(("http://", "https://")):
            return cls(given, None, given)
        return cls(given, Path(given))


MIME_SUFFIX = {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf",
               "text/plain": ".txt", "text/markdown": ".md",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx"}


def fetch(url: str, limit: int, timeout: float = 30) -> tuple[str, bytes, str]:
    """(a file name for it, its bytes, the address it came from after redirects) of a web address."""
    import urllib.error
    import urllib.parse
    import urllib.request
    from corpus.formats import ParseError, size_text
    request = urllib.request.Request(url, headers={"User-Agent": "lmc-assistant/0.1 (document library)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:     # http(s) only, redirects too
            data, kind, final = response.read(limit + 1), response.headers.get_content_type(), response.geturl()
    except urllib.error.HTTPError as exc:
        raise ParseError(f"the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ParseError(f"cannot fetch it ({getattr(exc, 'reason', exc)})") from None
    if len(data) > limit:
        raise ParseError(f"the page is over the {size_text(limit)} limit (Settings.max_upload_bytes)")
    name = Path(urllib.parse.urlparse(final).path).name or "page"
    suffix = MIME_SUFFIX.get(kind, "")
    if suffix and not name.lower().endswith(suffix):
        name = f"{Path(name).stem or 'page'}{suffix}"
    return name, data, final


@dataclass
class Outcome:
    name: str
    status: str                   # "added", "exists" or "refused"
    reason: str = ""
    doc_id: str = ""
    pages: int = 0
    chunks: int = 0
    parsed: object = field(default=None, repr=False)
    data: bytes = field(default=b"", repr=False)
    url: str | None = None        # a fetched page's address
    id_name: str = ""             # the file name the id is made from

    def __post_init__(self):
        self.id_name = self.id_name or self.name

    def line(self) -> str:
        if self.status == "added":
            pages = f"{self.pages} page{'s' * (self.pages != 1)}, " if self.pages else ""
            return f"added {self.name} as {self.doc_id}: {pages}{self.chunks} chunk{'s' * (self.chunks != 1)}"
        if self.status == "exists":
            return f"{self.name}: already added as {self.doc_id}; nothing changed"
        return f"refused {self.name}: {self.reason}"


def check_meta(title=None, date=None, publisher=None, doc_id=None, n_files: int = 1) -> None:
    if n_files > 1 and any(v for v in (title, date, publisher, doc_id)):
        raise InputError("--title, --date, --publisher and --id describe one file; add the files one at a time")
    if date and not DATE.fullmatch(date):
        raise InputError(f"--date must be YYYY, YYYY-MM or YYYY-MM-DD (got {date!r})")
    if title is not None and not title.strip():
        raise InputError("--title is empty")
    if doc_id is not None and not ID.fullmatch(doc_id):
        raise InputError(f"--id may hold letters, digits, '.', '_' and '-' (up to 80; got {doc_id!r})")


def read_upload(upload: Upload, settings) -> Outcome:
    """Parse one file; the outcome is "refused" with a one-line reason when it cannot be added."""
    from corpus.formats import ParseError, parse, size_text
    name = Path(upload.name.replace("\\", "/")).name or "file"
    out = Outcome(name=upload.url or name, status="refused")
    try:
        if upload.url:
            name, out.data, out.url = fetch(upload.url, settings.max_upload_bytes)
        else:
            size = Path(upload.path).stat().st_size
            if size > settings.max_upload_bytes:
                raise ParseError(f"the file is {size_text(size)}, over the {size_text(settings.max_upload_bytes)} "
                                 "limit (Settings.max_upload_bytes)")
            out.data = Path(upload.path).read_bytes()
        out.id_name = name
        out.parsed = parse(out.data, name, max_bytes=settings.max_upload_bytes)
        size = len(out.parsed.text.encode("utf-8"))
        if size > settings.max_document_bytes:
            raise ParseError(f"its text is {size_text(size)}, over the {size_text(settings.max_document_bytes)} "
                             "limit per document (Settings.max_document_bytes); split it first")
    except ParseError as exc:
        out.reason, out.parsed = str(exc), None
    except OSError as exc:
        out.reason, out.parsed = f"cannot read it ({exc.strerror or exc})", None
    except Exception as exc:                     # noqa: BLE001 - a parser bug must not lose the other files
        out.reason, out.parsed = f"could not parse it ({type(exc).__name__}: {' '.join(str(exc).split())[:160]})", None
    return out


def _vet(outcomes: list[Outcome], corpus_docs, entries: dict, doc_id: str | None) -> list[Outcome]:
    """Mark duplicates ("exists") and id clashes ("refused"); return the outcomes still to add."""
    from corpus.library import make_id, sha256
    from corpus.paragraphs import clean
    texts = {sha256(clean(d.text)): d.doc_id for d in corpus_docs}        # a corpus .txt as lmc add would read it
    files = {e.get("file_sha256"): i for i, e in entries.items()}
    texts.update({e.get("sha256"): i for i, e in entries.items()})
    taken = {d.doc_id for d in corpus_docs} | set(entries)
    todo = []
    for out in outcomes:
        if out.status != "refused" or out.parsed is None:
            continue
        text_sha, file_sha = sha256(out.parsed.text), sha256(out.data)
        same = texts.get(text_sha) or files.get(file_sha)
        if same:
            out.status, out.doc_id = "exists", same
            continue
        out.doc_id = doc_id or make_id(out.id_name, out.parsed.kind)
        if out.doc_id in taken:
            out.reason = (f"the id {out.doc_id} is taken by another document; rename the file "
                          "or give another id (lmc add --id NEW)")
            continue
        taken.add(out.doc_id)
        texts[text_sha] = out.doc_id
        todo.append(out)
    return todo


def add_files(uploads: list[Upload], settings, *, title=None, date=None, publisher=None, url=None,
              doc_id=None, progress: bool = True, log=print, embedders=None):
    """Add files to the library and rebuild the index; returns (outcomes, Built or None).
    embedders: loaded models to reuse (assistant.build.loaded_embedders of the app's index)."""
    from corpus import library_dir, load_documents
    from corpus.library import Library
    from assistant.build import build_index
    check_meta(title, date, publisher, doc_id, len(uploads))
    outcomes = [_parsed(u, settings, progress, log, i, len(uploads)) for i, u in enumerate(uploads)]
    corpus_docs = load_documents(settings.corpus_dir, max_bytes=settings.max_document_bytes)
    library = Library(library_dir(settings))
    if not _vet([_copy(o) for o in outcomes], corpus_docs, library.entries(), doc_id):
        _vet(outcomes, corpus_docs, library.entries(), doc_id)       # nothing to add: say why, touch nothing
        return outcomes, None
    with library.change() as change:
        todo = _vet(outcomes, corpus_docs, change.entries, doc_id)
        if not todo:
            return outcomes, None
        for out in todo:
            change.add(out.doc_id, out.parsed, out.data, out.name, title=title, date=date,
                       publisher=publisher, url=url or out.parsed.url or out.url)
        log(f"Indexing {len(todo)} new document{'s' * (len(todo) != 1)} with the {len(corpus_docs)} "
            f"of the corpus and {len(change.entries) - len(todo)} already added…")
        built = build_index(corpus_docs + change.documents(), settings, progress=progress, log=log,
                            commit=change.commit, embedders=embedders)
    counts = _chunk_counts(built.index)
    for out in todo:
        out.status, out.pages, out.chunks = "added", len(out.parsed.pages), counts.get(out.doc_id, 0)
    return outcomes, built


def _parsed(upload: Upload, settings, progress: bool, log, i: int, n: int) -> Outcome:
    if progress and n > 1:
        log(f"[{i + 1}/{n}] reading {upload.name}")
    return read_upload(upload, settings)


def _copy(out: Outcome) -> Outcome:
    return dataclasses.replace(out)


def _chunk_counts(index) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in index.chunks:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
    return counts


def remove_documents(doc_ids: list[str], settings, *, progress: bool = True, log=print, embedders=None):
    """Remove added documents and rebuild the index; returns Built."""
    from corpus import library_dir, load_documents
    from corpus.library import Library
    from assistant.build import build_index
    corpus_docs = load_documents(settings.corpus_dir, max_bytes=settings.max_document_bytes)
    library = Library(library_dir(settings))
    bundled = {d.doc_id for d in corpus_docs}
    if not doc_ids:
        raise InputError("no document id given; see the ids with: lmc docs")
    _check_removable(doc_ids, bundled, library.entries(), settings)      # before anything is written
    with library.change() as change:
        _check_removable(doc_ids, bundled, change.entries, settings)
        for doc_id in dict.fromkeys(doc_ids):
            change.remove(doc_id)
        return build_index(corpus_docs + change.documents(), settings, progress=progress, log=log,
                           commit=change.commit, embedders=embedders)


def _check_removable(doc_ids, bundled: set, entries: dict, settings) -> None:
    for doc_id in doc_ids:
        if doc_id in bundled:
            raise InputError(f"{doc_id} belongs to the corpus folder ({settings.corpus_dir}), not the library; "
                             "only added documents can be removed")
        if doc_id not in entries:
            raise InputError(f"no added document has the id {doc_id!r}; see the ids with: lmc docs")


def rows(settings) -> list[dict]:
    """One row per document the product answers from: id, title, date, pages, chunks, added, source."""
    from corpus import chunk_document, library_dir, load_corpus
    from corpus.library import Library
    entries = Library(library_dir(settings)).entries()
    out = []
    for doc in load_corpus(settings):
        e = entries.get(doc.doc_id, {})
        out.append({"doc_id": doc.doc_id, "title": doc.title, "date": doc.date, "pages": len(doc.pages),
                    "chunks": len(chunk_document(doc, settings.chunk_size, settings.chunk_overlap)),
                    "added": e.get("added", "bundled"), "source": e.get("source", ""), "kind": e.get("kind", "txt"),
                    "library": bool(e)})
    return out
