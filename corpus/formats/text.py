"""Plain text and Markdown. Text is read as UTF-8 (with or without a BOM), UTF-16 with a BOM, or
GB18030 (Chinese press releases are often GBK); Markdown is rendered to plain text by markdown-it-py,
so a quote never carries ** or [](...) markup. A Markdown file's title is its first heading, or
`title:` in a front matter block; a text file's title is its first line when that line is short."""

from __future__ import annotations

import codecs
import re

from corpus.formats import Parsed, ParseError
from corpus.paragraphs import clean, join_lines

FRONT = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.S)
TITLE_CHARS = 200


def decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError("damaged UTF-16 text") from None
    if b"\x00" in data:
        raise ParseError("the file looks binary (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise ParseError(f"not UTF-8 or GB18030 text (bad byte at offset {exc.start}); "
                             "convert it with: iconv -t UTF-8") from None


def read_text(data: bytes, kind: str) -> Parsed:
    source = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    if kind == "md":
        return _markdown(source)
    text = clean(source)
    first = text.split("\n", 1)[0].strip()
    return Parsed(text=text, kind="txt", title=first if len(first) <= TITLE_CHARS else "")


def _front_matter(source: str) -> tuple[dict, str]:
    m = FRONT.match(source)
    if not m:
        return {}, source
    fields = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, source[m.end():]


def _markdown(source: str) -> Parsed:
    from markdown_it import MarkdownIt
    fields, body = _front_matter(source)
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    blocks, row, title = [], None, ""
    for i, tok in enumerate(tokens):
        if tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            blocks.append(" | ".join(row or []))
            row = None
        elif tok.type == "inline":
            text = _inline(tok.children or [])
            if row is not None:
                row.append(text)
                continue
            if i and tokens[i - 1].type == "heading_open" and not title:
                title = text
            blocks.append(text)
        elif tok.type in ("fence", "code_block"):
            blocks.append(tok.content.rstrip("\n"))
    text = clean("\n\n".join(b for b in blocks if b.strip()))
    return Parsed(text=text, kind="md", title=fields.get("title") or title, date=fields.get("date", ""),
                  publisher=fields.get("publisher", "") or fields.get("author", ""))


def _inline(children) -> str:
    """An inline token's text: soft line breaks joined as paragraphs.join_lines does, hard ones kept."""
    parts, lines, current = [], [], ""
    for child in children:
        if child.type in ("text", "code_inline"):
            current += child.content
        elif child.type == "image":
            current += "".join(c.content for c in child.children or [])
        elif child.type in ("softbreak", "hardbreak"):
            lines.append(current)
            current = ""
            if child.type == "hardbreak":
                parts.append(join_lines(lines))
                lines = []
    parts.append(join_lines([*lines, current]))
    return "\n".join(p for p in parts if p)
