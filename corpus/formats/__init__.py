"""Files in, text of record out: parse(data, name) -> Parsed, for PDF, DOCX, HTML, Markdown and text.

    parsed = parse(Path("statement.pdf").read_bytes(), "statement.pdf", max_bytes=50_000_000)
    parsed.text      # the text citations point into; parsed.pages: where each PDF page starts in it
    parsed.title, parsed.date, parsed.publisher, parsed.url   # from the file's metadata or first heading

The type is read from the file's first bytes (a PDF named .txt is still a PDF), then from its name.
Anything that cannot be read gives a ParseError whose message is one line saying why: encrypted,
scanned with no text layer, damaged or truncated, a zip bomb, over the size limit, an unknown type,
a web page with no main text. The parsers (pypdfium2, python-docx, trafilatura, markdown-it-py) were
chosen by measurement: see docs/library.md and evals/parsers.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from corpus.readers import CorpusError

KINDS = {"pdf": "PDF", "docx": "Word (DOCX)", "html": "web page", "md": "Markdown", "txt": "text"}
SUFFIXES = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".xhtml": "html",
            ".md": "md", ".markdown": "md", ".txt": "txt", ".text": "txt", "": "txt"}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"          # .doc, .xls, .ppt (Office 97-2003)


class ParseError(CorpusError):
    """A file that cannot be added; the message is one line saying why."""


@dataclass(frozen=True)
class Parsed:
    text: str
    kind: str                               # a key of KINDS
    title: str = ""
    date: str = ""                          # YYYY, YYYY-MM or YYYY-MM-DD
    publisher: str = ""
    url: str | None = None
    pages: tuple[int, ...] = field(default=())   # PDF: offset in text where page i+1 starts


def size_text(n: int) -> str:
    """1234567 -> "1.2 MB", 2048 -> "2 KB", 12 -> "12 bytes"."""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB" if n >= 1e3 else f"{n} bytes"


def kind_of(data: bytes, name: str) -> str:
    """"pdf", "docx", "html", "md" or "txt", from the first bytes and then the name."""
    suffix = Path(name).suffix.lower()
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(OLE):
        raise ParseError("old Office format (.doc/.xls/.ppt) is not supported; save it as .docx or PDF")
    kind = SUFFIXES.get(suffix)
    if kind is None:
        known = ", ".join(sorted(s for s in SUFFIXES if s))
        raise ParseError(f"unsupported file type {suffix!r}; supported: {known}")
    if data.startswith(b"PK\x03\x04"):
        if kind == "docx":
            return "docx"
        raise ParseError(f"the {suffix or 'file'} is a ZIP archive, not text")
    if kind == "pdf":
        raise ParseError("damaged PDF: the file does not start with a PDF header")
    if kind == "docx":
        raise ParseError("damaged DOCX: the file is not a ZIP archive")
    if kind == "txt" and head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "html"
    return kind


def parse(data: bytes, name: str, *, max_bytes: int | None = None) -> Parsed:
    """The text and metadata of one file; ParseError (one line) when it cannot be read."""
    if max_bytes is not None and len(data) > max_bytes:
        raise ParseError(f"the file is {size_text(len(data))}, over the {size_text(max_bytes)} limit "
                         "(Settings.max_upload_bytes)")
    if not data.strip():
        raise ParseError("the file is empty")
    kind = kind_of(data, name)
    if kind == "pdf":
        from corpus.formats.pdf import read_pdf as read
    elif kind == "docx":
        from corpus.formats.word import read_docx as read
    elif kind == "html":
        from corpus.formats.web import read_html as read
    else:
        from corpus.formats.text import read_text
        parsed = read_text(data, kind)
        return _checked(parsed)
    return _checked(read(data))


def _checked(parsed: Parsed) -> Parsed:
    if not parsed.text.strip():
        raise ParseError(f"no text found in this {KINDS[parsed.kind]}")
    return parsed
