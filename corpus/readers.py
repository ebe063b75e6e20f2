"""load_documents(root) -> list[Document]: the corpus folder and its manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from corpus.types import Document

DEFAULT_CORPUS = Path(__file__).resolve().parent / "documents"
MANIFEST = "manifest.json"


class CorpusError(ValueError):
    """A corpus problem the user can fix; the message is one line."""


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data:
        raise CorpusError(f"{path.name} looks binary (it contains NUL bytes); only UTF-8 text is indexed")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path.name} is not UTF-8 text (bad byte at offset {exc.start}); "
                          "convert it with: iconv -t UTF-8") from None


def _manifest(root: Path) -> dict:
    path = root / MANIFEST
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("documents", {})
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise CorpusError(f"{path} is not valid JSON: {exc}") from None


def _aliases(value) -> tuple[str, ...]:
    """The manifest's "aliases": a list of names (a single string is one name)."""
    if isinstance(value, str):
        value = [value]
    return tuple(str(a).strip() for a in value or () if str(a).strip())


def document_paths(root: Path) -> list[Path]:
    """The .txt files directly inside root, sorted; links that leave the folder are refused."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    real_root = root.resolve()
    paths = []
    for path in sorted(root.glob("*.txt")):
        if not path.is_file():
            continue
        if real_root not in path.resolve().parents:
            raise CorpusError(f"{path.name} points outside the corpus folder; refusing to read it")
        paths.append(path)
    if not paths:
        raise CorpusError(f"no .txt documents in {root}")
    return paths


def load_documents(root: Path | str = DEFAULT_CORPUS, *, max_bytes: int | None = None) -> list[Document]:
    """Read every .txt document in root with its manifest entry. Empty files are skipped."""
    root = Path(root)
    manifest = _manifest(root) if root.is_dir() else {}
    docs = []
    for path in document_paths(root):
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise CorpusError(f"{path.name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB "
                              "limit per document (Settings.max_document_bytes); split it first")
        text = _read_text(path)
        if not text.strip():
            continue
        entry = manifest.get(path.name, {})
        docs.append(Document(
            doc_id=path.name,
            text=text,
            title=str(entry.get("title") or path.stem),
            publisher=str(entry.get("publisher") or ""),
            date=str(entry.get("date") or ""),
            url=entry.get("url"),
            languages=tuple(entry.get("languages") or ("en",)),
            aliases=_aliases(entry.get("aliases")),
        ))
    if not docs:
        raise CorpusError(f"every document in {root} is empty")
    return docs


def corpus_hash(docs: list[Document]) -> str:
    """A content hash over texts and metadata: any edit makes an index stale."""
    h = hashlib.sha256()
    for doc in sorted(docs, key=lambda d: d.doc_id):
        h.update(json.dumps(doc.meta(), sort_keys=True, ensure_ascii=False).encode())
        h.update(hashlib.sha256(doc.text.encode()).digest())
    return h.hexdigest()
