"""PDF by pypdfium2 (PDFium, the engine of Chrome's viewer): text with page boundaries kept.

Each page's lines come with their boxes; lines are joined into paragraphs where the spacing says
so (a larger gap, another font size, a short line that ends a sentence, an indented first line),
Chinese lines without a space and English lines with one (corpus/paragraphs.py). Running heads and
footers (a line repeated at the top or bottom of most pages) and bare page numbers are dropped. A
paragraph that runs on to the next page is joined across the break; `pages` records where each
page starts in the text, so a citation can say "p. 3".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

from corpus.formats import Parsed, ParseError
from corpus.paragraphs import clean, ends_sentence, join_lines, joiner

PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–—\s]*\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?[-–—\s]*$|^第\s*\d+\s*页", re.I)
HYPHEN_MARK = "\ufffe"                  # PDFium's mark for a hyphen at the end of a line
MIN_TEXT_PER_PAGE = 3                    # fewer characters than this on every page: no text layer


@dataclass
class Line:
    text: str
    left: float
    right: float
    bottom: float
    height: float


def read_pdf(data: bytes) -> Parsed:
    if b"%%EOF" not in data[-2048:]:
        raise ParseError("truncated PDF: the file ends before its end-of-file marker")
    import pypdfium2
    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ParseError("encrypted PDF: it needs a password; save an unprotected copy first") from None
        raise ParseError(f"damaged PDF: {exc}") from None
    try:
        pages = [_lines(pdf[i]) for i in range(len(pdf))]
        meta, images = pdf.get_metadata_dict(), _has_images(pdf)
    finally:
        pdf.close()
    if not pages:
        raise ParseError("the PDF has no pages")
    if all(sum(len(x.text.strip()) for x in page) < MIN_TEXT_PER_PAGE for page in pages):
        if images:
            raise ParseError(f"scanned PDF: its {len(pages)} page(s) are images with no text layer; "
                             "run OCR first (for example ocrmypdf --language chi_sim+eng)")
        raise ParseError("the PDF has no text")
    text, starts = _join_pages([_paragraphs(p) for p in _drop_running_lines(pages)])
    return Parsed(text=text, kind="pdf", title=" ".join((meta.get("Title") or "").split()),
                  date=_pdf_date(meta.get("CreationDate") or ""), pages=tuple(starts))


def _lines(page) -> list[Line]:
    """The page's text lines, top to bottom, with their boxes. PDFium ends most lines with \\r\\n;
    where it did not, a jump back to the left and down starts a new line."""
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        lines, at = [], 0
        for raw in text.split("\r\n"):
            groups: list[list] = [[]]
            last = None                                 # the box of the last visible character
            for i, ch in enumerate(raw):
                box = textpage.get_charbox(at + i, loose=True)
                if ch.isspace() or box[3] <= box[1]:
                    groups[-1].append((ch, None))
                    continue
                size = last[3] - last[1] if last else 0
                if last is not None and box[0] < last[0] - 3 * size and last[1] - box[1] > 0.5 * size:
                    groups.append([])
                groups[-1].append((ch, box))
                last = box
            at += len(raw) + 2
            lines.extend(line for group in groups if (line := _line(group)) is not None)
        return lines
    finally:
        textpage.close()


def _line(chars: list) -> Line | None:
    boxes = [box for _, box in chars if box is not None]
    if not boxes:
        return None
    text = "".join(ch for ch, _ in chars).replace(HYPHEN_MARK, "-").replace("\x02", "-").strip()
    return Line(text, min(b[0] for b in boxes), max(b[2] for b in boxes), median(b[1] for b in boxes),
                max(median(b[3] - b[1] for b in boxes), 1.0))


def _has_images(pdf) -> bool:
    import pypdfium2.raw as raw
    for i in range(min(len(pdf), 5)):
        if any(True for _ in pdf[i].get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2)):
            return True
    return False


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).lower())


def _drop_running_lines(pages: list[list[Line]]) -> list[list[Line]]:
    """Without bare page numbers, and without lines repeated at the top or bottom of most pages."""
    pages = [[x for x in p if not PAGE_NUMBER.match(x.text.strip())] for p in pages]
    if len(pages) >= 3:
        counts: dict[str, int] = {}
        for p in pages:
            for x in {_key(y.text) for y in p[:2] + p[-2:]}:
                counts[x] = counts.get(x, 0) + 1
        running = {k for k, n in counts.items() if n >= max(3, len(pages) // 2)}
        pages = [[x for i, x in enumerate(p) if not ((i < 2 or i >= len(p) - 2) and _key(x.text) in running)]
                 for p in pages]
    return pages


def _breaks(a: Line, b: Line, pitch: float, right: float, left: float) -> bool:
    """True when line b starts a new paragraph after line a."""
    step = a.bottom - b.bottom
    if step <= 0 or step > 1.35 * pitch:
        return True                                   # a gap, or a new column
    if abs(a.height - b.height) > 0.2 * max(a.height, b.height):
        return True                                   # a heading and its text
    if ends_sentence(a.text):
        if a.right < right - 2.5 * a.height:
            return True                               # the short last line of a paragraph
        if b.left > left + 1.5 * b.height:
            return True                               # an indented first line
    return False


def _paragraphs(lines: list[Line]) -> list[str]:
    if not lines:
        return []
    height = median(x.height for x in lines)
    steps = [a.bottom - b.bottom for a, b in zip(lines, lines[1:])]
    steps = [s for s in steps if 0 < s < 3 * height]
    tight = [s for s in steps if s < 1.6 * height]            # steps inside a paragraph
    pitch = median(tight) if tight else median(steps) if len(steps) >= 5 else 1.2 * height
    right = max(x.right for x in lines)
    left = min(x.left for x in lines)
    out, current = [], [lines[0].text]
    for a, b in zip(lines, lines[1:]):
        if _breaks(a, b, pitch, right, left):
            out.append(join_lines(current))
            current = []
        current.append(b.text)
    out.append(join_lines(current))
    return [p for p in out if p]


def _join_pages(pages: list[list[str]]) -> tuple[str, list[int]]:
    """The document text and the offset where each page starts. A paragraph that does not end a
    sentence at the foot of a page goes on at the top of the next."""
    text, starts = "", []
    for paragraphs in pages:
        paragraphs = [clean(p) for p in paragraphs if clean(p)]
        if not paragraphs:
            starts.append(len(text))
            continue
        first = paragraphs[0]
        if text and not ends_sentence(text):
            glue = joiner(text, first)              # the sentence goes on over the page break
        else:
            glue = "\n\n" if text else ""
        starts.append(len(text) + len(glue))
        text += glue + "\n\n".join(paragraphs)
    return text, starts


def _pdf_date(value: str) -> str:
    """"D:20250314093000+08'00'" -> "2025-03-14"."""
    m = re.match(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?", value)
    if not m or not 1980 < int(m.group(1)) < 2100:
        return ""
    return "-".join(g for g in m.groups() if g)
