"""The document library: the documents a user adds, kept beside the index (.lmc/library by default).

    library/
      library.json            {"format": 1, "documents": {doc_id: entry}}: the one commit point
      items/<key>/text.txt    the extracted text: the document of record that citations point into
      items/<key>/original.*  the file as it was added (original.pdf, original.docx, ...)

An entry holds the title, publisher, date, url, source (the file name or URL as given), kind,
languages, page offsets, the sha256 of the text and of the original, and when it was added. The
folder key is the text's sha256, never a name the user chose, so no file name can reach a path
outside the library. Changes run under a lock (library.lock): new items are written to a temporary
folder and renamed into items/, then library.json is replaced in one rename. A folder that
library.json does not name (left by a crash) is ignored and removed by the next change; a failed
change restores library.json as it was.

load_corpus(settings) is the one source of the document list: the bundled corpus (or --corpus DIR)
plus the library.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import unicodedata
from pathlib import Path

from corpus.lang import HAN, LATIN
from corpus.readers import CorpusError, load_documents
from corpus.types import Document

MANIFEST, ITEMS, LOCK, FORMAT = "library.json", "items", "library.lock", 1
ORIGINALS = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "md": ".md", "txt": ".txt"}


def library_dir(settings) -> Path:
    """Settings.library_dir, else `library` beside the index folder (.lmc/index -> .lmc/library)."""
    explicit = getattr(settings, "library_dir", None)
    return Path(explicit) if explicit else Path(settings.index_dir).parent / "library"


def load_corpus(settings) -> list[Document]:
    """Every document the product answers from: the corpus folder's, then the library's."""
    docs = load_documents(settings.corpus_dir, max_bytes=settings.max_document_bytes)
    added = Library(library_dir(settings)).documents()
    clash = sorted({d.doc_id for d in docs} & {d.doc_id for d in added})
    if clash:
        raise CorpusError(f"library document {clash[0]} has the id of a corpus document; remove it: lmc remove {clash[0]}")
    return docs + added


def sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def make_id(name: str, kind: str) -> str:
    """A readable document id from a file name: "Joint Statement (final).pdf" -> "joint-statement-final.pdf"."""
    stem = Path(unicodedata.normalize("NFKC", name).replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem.lstrip(".") else stem
    slug = re.sub(r"[^\w]+", "-", stem.lower(), flags=re.UNICODE).strip("-_")[:60].strip("-_")
    return f"{slug or 'document'}.{kind}"


def languages(text: str) -> tuple[str, ...]:
    """("en",), ("zh",) or ("zh", "en") when both hold a real share of the text (a Chinese character
    counts as three letters: about what an English word takes per character of Chinese)."""
    han, latin = 3 * len(HAN.findall(text)), len(LATIN.findall(text))
    share = han / (han + latin) if han + latin else 0.0
    return ("zh",) if share >= 0.85 else ("en",) if share <= 0.15 else ("zh", "en")


def write_atomic(path: Path, data: bytes) -> None:
    """A file replaced by a rename, so it is never seen half-written (flushed to disk first)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Library:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    # ---------- reading ----------
    def entries(self) -> dict[str, dict]:
        path = self.root / MANIFEST
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or not isinstance(data.get("documents"), dict):
                raise ValueError(f"format {data.get('format')!r}")
            return data["documents"]
        except (ValueError, AttributeError, UnicodeDecodeError) as exc:
            raise CorpusError(f"library at {self.root} is damaged: {MANIFEST} is unreadable ({exc}); "
                              f"move it aside to start an empty library") from None

    def text_of(self, doc_id: str, entry: dict) -> str:
        path = self.root / ITEMS / entry["key"] / "text.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
        if text is None or sha256(text) != entry.get("sha256"):
            raise CorpusError(f"library document {doc_id} is damaged ({path} is missing or changed); "
                              f"remove it: lmc remove {doc_id}")
        return text

    def documents(self, entries: dict[str, dict] | None = None) -> list[Document]:
        entries = self.entries() if entries is None else entries
        return [Document(doc_id=doc_id, text=self.text_of(doc_id, e), title=e.get("title") or doc_id,
                         publisher=e.get("publisher") or "", date=e.get("date") or "", url=e.get("url"),
                         languages=tuple(e.get("languages") or ("en",)), pages=tuple(e.get("pages") or ()))
                for doc_id, e in entries.items()]

    def find(self, text_sha: str, file_sha: str = "") -> str | None:
        """The id of a library document with this text or this original file, if any."""
        for doc_id, e in self.entries().items():
            if e.get("sha256") == text_sha or (file_sha and e.get("file_sha256") == file_sha):
                return doc_id
        return None

    # ---------- changing ----------
    @contextlib.contextmanager
    def change(self):
        """Lock the library and yield a Change; if the block fails, library.json is put back as it was
        and the items it staged are removed. Items of removed documents go once the block succeeds."""
        import fcntl
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._sweep()
            manifest = self.root / MANIFEST
            before = manifest.read_bytes() if manifest.exists() else None
            change = Change(self, dict(self.entries()))
            try:
                yield change
            except BaseException:
                if change.committed:
                    if before is None:
                        manifest.unlink(missing_ok=True)
                    else:
                        write_atomic(manifest, before)
                for key in change.staged:
                    shutil.rmtree(self.root / ITEMS / key, ignore_errors=True)
                raise
            self._sweep()

    def _sweep(self) -> None:
        """Remove item folders that library.json does not name, and temporary files of killed writes
        (the caller holds the lock, so nothing else is writing)."""
        for path in self.root.glob(f".{MANIFEST}.*"):
            path.unlink(missing_ok=True)
        items = self.root / ITEMS
        if not items.is_dir():
            return
        keep = {e.get("key") for e in self.entries().values()}
        for path in items.iterdir():
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


class Change:
    """One locked change of the library: stage additions, drop entries, then commit() library.json."""

    def __init__(self, library: Library, entries: dict[str, dict]):
        self.library = library
        self.entries = entries
        self.staged: list[str] = []
        self.committed = False

    def add(self, doc_id: str, parsed, original: bytes, source: str, **over) -> dict:
        """Write the item's folder (temporary name, then a rename) and add its entry (not committed yet)."""
        key = sha256(parsed.text)[:24]
        items = self.library.root / ITEMS
        items.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=items))
        (tmp / "text.txt").write_bytes(parsed.text.encode("utf-8"))
        (tmp / f"original{ORIGINALS[parsed.kind]}").write_bytes(original)
        os.chmod(tmp, 0o755)                                  # mkdtemp makes it private
        os.replace(tmp, items / key)
        self.staged.append(key)
        entry = {"key": key, "title": over.get("title") or parsed.title or Path(source).stem or doc_id,
                 "publisher": over.get("publisher") or parsed.publisher, "date": over.get("date") or parsed.date,
                 "url": over.get("url") or parsed.url, "source": source, "kind": parsed.kind,
                 "languages": list(languages(parsed.text)), "pages": list(parsed.pages),
                 "chars": len(parsed.text), "sha256": sha256(parsed.text), "file_sha256": sha256(original),
                 "original": f"original{ORIGINALS[parsed.kind]}",
                 "added": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self.entries[doc_id] = entry
        return entry

    def remove(self, doc_id: str) -> None:
        del self.entries[doc_id]

    def documents(self) -> list[Document]:
        """The library's documents as they will be after this change (staged texts included)."""
        return self.library.documents(self.entries)

    def commit(self) -> None:
        body = json.dumps({"format": FORMAT, "documents": self.entries}, ensure_ascii=False, indent=1)
        write_atomic(self.library.root / MANIFEST, body.encode("utf-8"))
        self.committed = True
