"""Word (.docx) by python-docx: the body's paragraphs and tables in order, one paragraph a line.

The ZIP container is checked before python-docx opens it: a damaged or truncated archive, a file
whose parts fail their checksums, or one that would unpack to far more than it weighs (a zip bomb)
is refused with one line. zipfile never inflates a part beyond the size its header declares, so
checking the declared sizes bounds what is read.
"""

from __future__ import annotations

import io
import zipfile

from corpus.formats import Parsed, ParseError
from corpus.paragraphs import clean

MAX_PARTS = 5_000
MAX_UNPACKED = 200_000_000          # bytes, all parts together
MAX_RATIO = 100                     # unpacked / packed, above 10 MB unpacked


def check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ParseError("damaged or truncated DOCX: not a complete ZIP archive") from None
    unpacked = sum(p.file_size for p in parts)
    packed = sum(p.compress_size for p in parts)
    if len(parts) > MAX_PARTS or unpacked > MAX_UNPACKED or (
            unpacked > 10_000_000 and unpacked > MAX_RATIO * max(packed, 1)):
        raise ParseError(f"refused as a zip bomb: the DOCX would unpack to {unpacked / 1e6:,.0f} MB "
                         f"in {len(parts):,} parts from {len(data) / 1e6:.2f} MB")
    if "word/document.xml" not in archive.namelist():
        raise ParseError("not a Word document: the archive has no word/document.xml (only .docx is read)")
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise ParseError(f"damaged DOCX: {exc}") from None
    if bad is not None:
        raise ParseError(f"damaged DOCX: {bad} fails its checksum")


def read_docx(data: bytes) -> Parsed:
    check_zip(data)
    import docx
    try:
        document = docx.Document(io.BytesIO(data))
        blocks, heading = _blocks(document)
        props = document.core_properties
        title, created = (props.title or "").strip(), props.created
    except Exception as exc:                      # noqa: BLE001 - python-docx raises many kinds on bad XML
        raise ParseError(f"damaged DOCX: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}") from None
    date = created.date().isoformat() if created is not None and created.year > 1980 else ""
    return Parsed(text=clean("\n\n".join(blocks)), kind="docx", title=title or heading, date=date)


def _blocks(document) -> tuple[list[str], str]:
    """The body's paragraphs and table rows ("a | b | c"), and the first Title or Heading text."""
    from docx.table import Table
    blocks, heading = [], ""
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = []
                for cell in row.cells:                   # a merged cell repeats: keep it once
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                if cells:
                    blocks.append(" | ".join(cells))
            continue
        text = item.text.strip()
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        if not heading and (style == "Title" or style.startswith("Heading")):
            heading = " ".join(text.split())
        blocks.append(text)
    return blocks, heading
