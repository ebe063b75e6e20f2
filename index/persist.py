"""The index directory on disk: atomic save, verified load, and the staleness check."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from corpus.types import Chunk
from index.embedder import make_embedder
from index.lexical import LexicalIndex
from index.translate import Lexicon

META, CHUNKS, DOCS, BM25, LEXICON = "meta.json", "chunks.jsonl", "documents.json", "bm25", "lexicon.json"
META_SHA = "meta_sha256"
INDEX_ENTRIES = {META, CHUNKS, DOCS, BM25, LEXICON, "cache", "answer-cache"}       # and <leg>.faiss


def _faiss_name(leg: str) -> str:
    return f"{leg}.faiss"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _files(directory: Path) -> dict[str, dict]:
    out = {}
    # cache/ (index/cache.py) checks itself when a build reads it; leaving it out keeps load fast
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and p.name != META
                       and p.relative_to(directory).parts[0] != "cache"):
        out[path.relative_to(directory).as_posix()] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
    return out


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file by a temporary sibling and a rename, so it is never seen half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)                 # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(index, directory: Path) -> None:
    """Write into a temporary sibling, then swap it into place; a crash leaves the old index.

    Refuses to replace a folder that is not an index (`--index ~` must never delete a home folder),
    and first removes temporary siblings left by builds that were killed (their process is gone).
    """
    import faiss
    directory = directory.resolve()
    check_replaceable(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(directory)
    tmp = Path(tempfile.mkdtemp(prefix=f"{_temp_prefix(directory)}{os.getpid()}-", dir=directory.parent))
    try:
        with open(tmp / CHUNKS, "w", encoding="utf-8") as f:
            for c in index.chunks:
                f.write(json.dumps({"chunk_id": c.chunk_id, "doc_id": c.doc_id, "start": c.start,
                                    "end": c.end, "lang": c.lang, "seq": c.seq, "text": c.text},
                                   ensure_ascii=False) + "\n")
        (tmp / DOCS).write_text(json.dumps(index.documents, ensure_ascii=False, indent=1), encoding="utf-8")
        index.lexical.save(tmp / BM25)
        if index.lexicon is not None:
            index.lexicon.save(tmp / LEXICON)
        for leg, (_, faiss_index) in index.dense.items():
            faiss.write_index(faiss_index, str(tmp / _faiss_name(leg)))
        if getattr(index, "embedding_cache", None) is not None:
            index.embedding_cache.save(tmp)
        meta = dict(index.meta, files=_files(tmp))
        meta[META_SHA] = _meta_sha(meta)
        (tmp / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        _swap(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _is_index_entry(path: Path) -> bool:
    return path.name in INDEX_ENTRIES or path.suffix == ".faiss"


def check_replaceable(directory: Path) -> None:
    """An index may replace nothing, an empty folder, or a folder holding only index files."""
    from index.store import IndexError_
    if not directory.exists() and not directory.is_symlink():
        return
    if not directory.is_dir() or directory.is_symlink():
        raise IndexError_(f"{directory} is not a folder; give --index a new or empty folder")
    foreign = sorted(p.name for p in directory.iterdir() if not _is_index_entry(p))
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise IndexError_(f"{directory} is not an index folder (it holds {shown}); refusing to replace it. "
                          "Give --index a new or empty folder")


def _temp_prefix(directory: Path) -> str:
    return f".{directory.name}.tmp-"


def _remove_stale_temps(directory: Path) -> None:
    """Delete .<name>.tmp-<pid>-* siblings whose build process no longer runs (killed mid-save)."""
    prefix = _temp_prefix(directory)
    for path in directory.parent.glob(f"{prefix}*"):
        pid = path.name[len(prefix):].split("-", 1)[0]
        if path.is_dir() and not path.is_symlink() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:                       # it exists but belongs to someone else
        return True
    return True


def _meta_sha(meta: dict) -> str:
    """sha256 of meta.json's content without this field: any edit of meta.json is detected."""
    body = {k: v for k, v in meta.items() if k != META_SHA}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def _swap(tmp: Path, directory: Path) -> None:
    old = directory.with_name(f".{directory.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        os.replace(directory, old)
    os.replace(tmp, directory)
    shutil.rmtree(old, ignore_errors=True)
    ignore = directory.parent / ".gitignore"
    if directory.parent.name == ".lmc" and not ignore.exists():
        ignore.write_text("*\n")


def _recover(directory: Path) -> None:
    """A crash between the two renames of _swap leaves only the .old copy: put it back."""
    old = directory.with_name(f".{directory.name}.old")
    if not directory.exists() and old.is_dir():
        os.replace(old, directory)


def read_meta(directory: Path) -> dict:
    from index.store import IndexError_
    path = directory / META
    if not path.exists():
        raise IndexError_(f"no index at {directory}")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not an object")
        return meta
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexError_(f"index at {directory} is damaged: meta.json is unreadable ({exc})") from None


def verify(directory: Path, meta: dict, files: bool = True) -> None:
    """The format is ours and meta.json is intact; with `files`, every file is also present with
    the size and checksum meta.json recorded (check() skips that: load() does it once)."""
    from index.store import FORMAT, TOKENIZER, IndexError_
    if meta.get("format") != FORMAT or meta.get("tokenizer") != TOKENIZER:
        raise IndexError_(f"index at {directory} has format {meta.get('format')!r}/{meta.get('tokenizer')!r}; "
                          f"this version reads format {FORMAT}/{TOKENIZER}")
    if META_SHA not in meta:
        raise IndexError_(f"index at {directory} was written by an earlier version (meta.json has no checksum)")
    if meta[META_SHA] != _meta_sha(meta):
        raise IndexError_(f"index at {directory} is damaged: meta.json was edited (it does not match its checksum)")
    listed = meta.get("files")
    if not isinstance(listed, dict) or CHUNKS not in listed:
        raise IndexError_(f"index at {directory} is damaged: meta.json lists no files")
    if not files:
        return
    for name, info in listed.items():
        path = directory / name
        if not isinstance(info, dict) or Path(name).is_absolute() or ".." in Path(name).parts:
            raise IndexError_(f"index at {directory} is damaged: meta.json lists a bad file entry {name!r}")
        if not path.is_file():
            raise IndexError_(f"index at {directory} is damaged: {name} is missing")
        if path.stat().st_size != info.get("bytes") or file_sha256(path) != info.get("sha256"):
            raise IndexError_(f"index at {directory} is damaged: {name} does not match its checksum")


def check(directory: Path, settings, current_hash: str) -> str | None:
    """None when the index can serve `settings` over the current corpus, else the reason."""
    from index.store import IndexError_
    _recover(directory)
    try:
        meta = read_meta(directory)
        verify(directory, meta, files=False)          # the files' checksums: once, in load()
    except IndexError_ as exc:
        return str(exc)
    if meta.get("build") != settings.build_key():
        return f"index at {directory} was built with other settings ({_diff(meta.get('build'), settings.build_key())})"
    if meta.get("corpus_hash") != current_hash:
        return f"index at {directory} is stale: the corpus changed since it was built"
    return None


def _diff(old, new) -> str:
    if not isinstance(old, dict):
        return "unknown settings"
    keys = [k for k in new if old.get(k) != new[k]]
    return ", ".join(f"{k}: {old.get(k)!r} -> {new[k]!r}" for k in keys) or "unknown settings"


def load(cls, directory: Path):
    """Load a verified index; refuse anything whose files disagree with meta.json."""
    from index.store import IndexError_
    _recover(directory)
    meta = read_meta(directory)
    verify(directory, meta)
    try:
        return _read(cls, directory, meta)
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError, OSError) as exc:
        raise IndexError_(f"index at {directory} is damaged: {type(exc).__name__}: {exc}") from None


def _read(cls, directory: Path, meta: dict):
    import faiss
    from index.store import IndexError_
    chunks = []
    with open(directory / CHUNKS, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            chunks.append(Chunk(chunk_id=d["chunk_id"], doc_id=d["doc_id"], text=d["text"],
                                start=d["start"], end=d["end"], lang=d["lang"], seq=d["seq"]))
    if len(chunks) != meta.get("n_chunks"):
        raise IndexError_(f"index at {directory} is damaged: {len(chunks)} chunks, meta says {meta.get('n_chunks')}")
    documents = json.loads((directory / DOCS).read_text(encoding="utf-8"))
    dense = {}
    for leg, model in meta.get("models", {}).items():
        if leg not in ("dense", "multilingual", "e5"):
            raise IndexError_(f"index at {directory} is damaged: unknown leg {leg!r} in meta.json")
        faiss_index = faiss.read_index(str(directory / _faiss_name(leg)))
        embedder = make_embedder(model["name"])
        if faiss_index.ntotal != len(chunks) or faiss_index.d != embedder.dim or embedder.dim != model["dim"]:
            raise IndexError_(f"index at {directory} is damaged: {leg} vectors do not match the chunks")
        dense[leg] = (embedder, faiss_index)
    lexicon = Lexicon.load(directory / LEXICON) if (directory / LEXICON).exists() else None
    return cls(chunks, documents, LexicalIndex.load(directory / BM25), dense, meta, lexicon)
