"""Web pages by trafilatura: the main text without menus, footers and related links, plus the
page's title, date, site name and canonical URL. A page whose main text has no prose (a menu, a
list of links) is refused: indexing it would only add noise."""

from __future__ import annotations

import logging
import re

from corpus.formats import Parsed, ParseError
from corpus.paragraphs import WIDE, clean

PROSE_WORDS = 12                      # an English line of at least this many words is prose
PROSE_WIDE = 25                       # a Chinese line of at least this many characters is prose
DATE = re.compile(r"\d{4}(?:-\d{2}){0,2}")
COPYRIGHT = re.compile(r"©|\bcopyright\b|all rights reserved|版权所有|版权声明", re.I)


def drop_footer(text: str) -> str:
    """Without the copyright lines at the end (a site's footer that was not marked up as one)."""
    lines = text.split("\n")
    while lines and (not lines[-1].strip() or (COPYRIGHT.search(lines[-1]) and len(lines[-1]) < 200)):
        lines.pop()
    return "\n".join(lines)


def has_prose(text: str) -> bool:
    return any(len(line.split()) >= PROSE_WORDS or len(WIDE.findall(line)) >= PROSE_WIDE
               for line in text.splitlines())


def read_html(data: bytes) -> Parsed:
    import trafilatura
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    try:
        text = trafilatura.extract(data, include_comments=False, include_tables=True, include_links=False,
                                   include_images=False, deduplicate=False, output_format="txt") or ""
        meta = trafilatura.extract_metadata(data)
    except (ValueError, TypeError, LookupError, RecursionError) as exc:
        raise ParseError(f"damaged web page: {type(exc).__name__}: {exc}") from None
    text = clean(drop_footer(text).replace("\n", "\n\n"))
    if not has_prose(text):
        raise ParseError("no main text: the page holds only navigation, menus or short links")
    title = (meta.title or "").strip() if meta else ""
    date = (meta.date or "") if meta else ""
    return Parsed(text=text, kind="html", title=title,
                  date=date if DATE.fullmatch(date or "") else "",
                  publisher=(meta.sitename or "").strip() if meta else "",
                  url=(meta.url or None) if meta else None)
