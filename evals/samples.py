"""Real files made from text with known answers: web pages, PDFs printed by Chromium, Word files.

    page = html_page("Joint Statement", ["The ministers met in Vientiane."], lang="en")
    print_pdf(page, tmp / "statement.pdf")          # headless Chromium; Chinese needs a CJK font
    write_docx(tmp / "report.docx", "Report", ["第一段。", "Second paragraph."], date="2025-03-14")

Used by the tests (tests/test_formats.py, tests/test_library.py, tests/test_browser.py) and by the
measurements (evals/parsers.py, evals/library_bench.py). Nothing here is downloaded.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import tempfile
from html import escape
from pathlib import Path

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
NAV = {"en": ["Home", "About the Embassy", "News", "Consular Services", "Visa", "Contact us"],
       "zh": ["首页", "使馆概况", "新闻动态", "领事服务", "签证", "联系我们"]}
FOOTER = {"en": "Copyright © 2025 Embassy. All rights reserved. Privacy policy | Terms of use",
          "zh": "版权所有 © 2025 大使馆 保留所有权利 隐私政策 | 使用条款"}


def chromium() -> str | None:
    return next((p for p in CHROMIUM_PATHS if Path(p).exists()), shutil.which("chromium"))


def html_page(title: str, paragraphs: list[str], lang: str = "en", *, date: str = "",
              site: bool = False, url: str = "", page_breaks=()) -> str:
    """A page: the title as <h1> and each paragraph as <p>; with `site`, wrapped in a menu, a
    breadcrumb, related links and a footer, as a news site's page is. Printed, paragraph i starts a
    new page when i is in page_breaks."""
    brk = ' style="break-before: page"'
    body = "".join(f"<p{brk if i in page_breaks else ''}>{escape(p)}</p>\n" for i, p in enumerate(paragraphs))
    head = f'<meta name="date" content="{escape(date)}">' if date else ""
    head += f'<link rel="canonical" href="{escape(url)}">' if url else ""
    style = "body{font-family:serif;font-size:12pt;margin:2cm} p{text-align:justify}"
    article = f"<h1>{escape(title)}</h1>\n{body}"
    if site:
        nav = "".join(f'<li><a href="/{i}">{escape(x)}</a></li>' for i, x in enumerate(NAV[lang]))
        article = (f'<header><nav><ul>{nav}</ul></nav></header><div class="crumbs"><a href="/">{NAV[lang][0]}</a></div>'
                   f'<article>{article}</article><aside><ul>{nav}</ul></aside>'
                   f"<footer><p>{escape(FOOTER[lang])}</p></footer>")
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"{head}<style>{style}</style></head><body>{article}</body></html>")


def print_pdf(html: str, out: Path, timeout: float = 120, header_footer: bool = False) -> Path:
    """Print a page to PDF with headless Chromium; with header_footer, each page gets Chromium's
    running head (date, title) and foot (the page's address, "1/3")."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("Chromium is not installed (make browser installs it)")
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="lmc-pdf-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(html, encoding="utf-8")
        env = dict(os.environ, HOME=tmp)
        flags = [] if header_footer else ["--no-pdf-header-footer"]
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", *flags,
                        f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out.resolve()}", page.as_uri()],
                       check=True, capture_output=True, timeout=timeout, env=env)
    if not out.exists():
        raise RuntimeError(f"Chromium did not write {out}")
    return out


def write_docx(out: Path, title: str, paragraphs: list[str], *, date: str = "", heading: bool = True,
               table: list[list[str]] | None = None) -> Path:
    """A Word file: the title in the core properties and as a Title paragraph, then the paragraphs."""
    import docx
    document = docx.Document()
    document.core_properties.title = title
    if date:
        document.core_properties.created = datetime.datetime.fromisoformat(date)
    if heading:
        document.add_heading(title, 0)
    for p in paragraphs:
        document.add_paragraph(p)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(out))
    return Path(out)
