"""The parser comparison behind corpus/formats (docs/library.md): text fidelity, Chinese, speed.

    .venv/bin/python evals/parsers.py            # the candidates that are installed; others are listed as absent
    pip install pypdf pdfplumber pymupdf docx2python mammoth readability-lxml justext selectolax  # all of them

Material: the XQuAD articles in ../shared/external (real English and Chinese prose, 12 of each) when
that folder exists, else generated paragraphs. Each article becomes a PDF printed by Chromium, a
DOCX written by python-docx, and two web pages (semantic <article> tags, and the same page built
of <div>s) wrapped in a menu, related links and a footer.
PDF: similarity of the extracted text to the source with whitespace removed (difflib ratio), and ms
per page; for pypdfium2, also the share of paragraphs read back exactly by corpus/formats/pdf.py.
DOCX: paragraphs found verbatim, ms per file. HTML: paragraphs recovered, boilerplate lines kept,
characters returned for a page that is only a menu, ms per page.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXTERNAL = ROOT.parent / "shared" / "external"


def articles(n: int = 12) -> list[tuple[str, str, list[str]]]:
    """(lang, title, paragraphs)."""
    out = []
    for lang in ("en", "zh"):
        path = EXTERNAL / f"xquad.{lang}.dev.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))["data"][:n]
            out += [(lang, a["title"].replace("_", " "), [p["context"].lstrip("\ufeff") for p in a["paragraphs"]])
                    for a in data]
    if not out:
        from evals.library_bench import paragraphs
        paras = paragraphs(12 * n)
        out = [("en" if i % 2 == 0 else "zh", f"Generated {i}", paras[12 * i:12 * i + 12]) for i in range(n)]
    return out


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, flat(a), flat(b), autojunk=False).ratio()


# ---------- candidates ----------
def pdf_pypdfium2(data):
    import pypdfium2
    pdf = pypdfium2.PdfDocument(data)
    return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]


def pdf_pypdf(data):
    import io
    import pypdf
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def pdf_pdfplumber(data):
    import io
    import pdfplumber
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [p.extract_text() or "" for p in pdf.pages]


def pdf_pymupdf(data):
    import pymupdf
    return [p.get_text() for p in pymupdf.open(stream=data, filetype="pdf")]


def docx_python_docx(path):
    import docx
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def docx_docx2python(path):
    from docx2python import docx2python
    with docx2python(str(path)) as r:
        return r.text


def docx_mammoth(path):
    import mammoth
    with open(path, "rb") as f:
        return mammoth.extract_raw_text(f).value


def html_trafilatura(page):
    import trafilatura
    return trafilatura.extract(page, include_tables=True) or ""


def html_product(page):
    """corpus/formats/web.py: trafilatura, then the copyright lines at the end dropped."""
    from corpus.formats import ParseError
    from corpus.formats.web import read_html
    try:
        return read_html(page.encode("utf-8")).text
    except ParseError:
        return ""


def html_readability(page):
    import lxml.html
    from readability import Document
    summary = Document(page).summary(html_partial=True)
    return lxml.html.fromstring(summary).text_content() if summary.strip() else ""


def html_justext(page):
    import justext
    return "\n".join(p.text for p in justext.justext(page.encode(), justext.get_stoplist("English"))
                     if not p.is_boilerplate)


def html_selectolax(page):
    from selectolax.lexbor import LexborHTMLParser
    tree = LexborHTMLParser(page)
    root = tree.css_first("article") or tree.css_first("main") or tree.body
    for node in root.css("nav,header,footer,aside,script,style"):
        node.decompose()
    return "\n".join(n.text(separator=" ").strip() for n in root.css("h1,h2,h3,p,li") if n.text().strip())


PDF = {"pypdfium2": (pdf_pypdfium2, "Apache-2.0 / BSD-3"), "pypdf": (pdf_pypdf, "BSD-3"),
       "pdfplumber": (pdf_pdfplumber, "MIT"), "pymupdf": (pdf_pymupdf, "AGPL-3.0 (or commercial)")}
DOCX = {"python-docx": (docx_python_docx, "MIT", "docx"), "docx2python": (docx_docx2python, "MIT", "docx2python"),
        "mammoth": (docx_mammoth, "BSD-2", "mammoth")}
HTML = {"corpus/formats/web.py": (html_product, "", "trafilatura"),
        "trafilatura": (html_trafilatura, "Apache-2.0", "trafilatura"),
        "readability-lxml": (html_readability, "Apache-2.0", "readability"),
        "justext": (html_justext, "BSD-2", "justext"), "selectolax": (html_selectolax, "MIT", "selectolax")}
MODULES = {"pypdfium2": "pypdfium2", "pypdf": "pypdf", "pdfplumber": "pdfplumber", "pymupdf": "pymupdf"}


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def compare_pdf(items, folder: Path) -> None:
    from corpus.formats import parse
    from evals.samples import html_page, print_pdf
    files = [(lang, [title, *paras], print_pdf(html_page(title, paras, lang), folder / f"{i}.pdf").read_bytes())
             for i, (lang, title, paras) in enumerate(items)]
    print("| PDF library | licence | en similarity | zh similarity | ms per page |\n|---|---|---:|---:|---:|")
    for name, (fn, licence) in PDF.items():
        if not installed(MODULES[name]):
            print(f"| {name} | {licence} | not installed | | |")
            continue
        sims, seconds, pages = {"en": [], "zh": []}, 0.0, 0
        fn(files[0][2])                                   # imports and first-call set-up are not timed
        for lang, paras, data in files:
            started = time.perf_counter()
            got = fn(data)
            seconds += time.perf_counter() - started
            pages += len(got)
            sims[lang].append(similarity("".join(paras), "".join(got)))
        mean = {k: sum(v) / len(v) if v else float("nan") for k, v in sims.items()}
        print(f"| {name} | {licence} | {mean['en']:.4f} | {mean['zh']:.4f} | {1000 * seconds / pages:.1f} |")
    exact = {"en": [0, 0, 0], "zh": [0, 0, 0]}
    for lang, paras, data in files:
        found = parse(data, "x.pdf").text.split("\n\n")
        exact[lang][0] += sum(" ".join(p.split()) in found for p in paras)
        exact[lang][1] += sum(flat(p) in {flat(f) for f in found} for p in paras)
        exact[lang][2] += len(paras)
    print("\ncorpus/formats/pdf.py (pypdfium2 + line joining), paragraphs read back as one paragraph: "
          + "; ".join(f"{k} {v[0]}/{v[2]} exactly, {v[1]}/{v[2]} up to spaces" for k, v in exact.items()))


def compare_docx(items, folder: Path) -> None:
    from evals.samples import write_docx
    files = [(paras, write_docx(folder / f"{i}.docx", title, paras)) for i, (_, title, paras) in enumerate(items)]
    print("\n| DOCX library | licence | paragraphs verbatim | ms per file |\n|---|---|---:|---:|")
    for name, (fn, licence, module) in DOCX.items():
        if not installed(module):
            print(f"| {name} | {licence} | not installed | |")
            continue
        found, total, seconds = 0, 0, 0.0
        fn(files[0][1])                                   # not timed: imports
        for paras, path in files:
            started = time.perf_counter()
            text = fn(path)
            seconds += time.perf_counter() - started
            found += sum(p in text for p in paras)
            total += len(paras)
        print(f"| {name} | {licence} | {found}/{total} | {1000 * seconds / len(files):.1f} |")


def compare_html(items) -> None:
    from evals.samples import FOOTER, NAV, html_page
    pages = []
    for lang, title, paras in items:
        page = html_page(title, paras, lang, site=True)
        divs = re.sub(r"<(/?)(header|nav|article|aside|footer)>", lambda m: f"<{m.group(1)}div>", page)
        pages += [(lang, paras, page), (lang, paras, divs)]
    menu = html_page("Index", [], "en", site=True).replace("<h1>Index</h1>", "")
    print("\n| HTML extractor | licence | paragraphs kept | boilerplate kept | menu-only page: chars | ms per page |"
          "\n|---|---|---:|---:|---:|---:|")
    for name, (fn, licence, module) in HTML.items():
        if not installed(module):
            print(f"| {name} | {licence} | not installed | | | |")
            continue
        kept = total = boiler = boiler_total = 0
        seconds = 0.0
        fn(pages[0][2])                                   # not timed: imports
        for lang, paras, page in pages:
            started = time.perf_counter()
            text = flat(fn(page))
            seconds += time.perf_counter() - started
            kept += sum(flat(p) in text for p in paras)
            total += len(paras)
            lines = [x for x in NAV[lang] + [FOOTER[lang]] if len(flat(x)) >= (8 if lang == "en" else 4)]
            boiler += sum(flat(x) in text for x in lines)
            boiler_total += len(lines)
        print(f"| {name} | {licence} | {kept}/{total} | {boiler}/{boiler_total} | {len(flat(fn(menu)))} | "
              f"{1000 * seconds / len(pages):.1f} |")


def main() -> None:
    import logging
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    items = articles()
    print(f"{len(items)} articles ({'XQuAD' if EXTERNAL.exists() else 'generated'}), "
          f"{sum(len(p) for _, _, p in items)} paragraphs\n")
    with tempfile.TemporaryDirectory(prefix="lmc-parsers-") as tmp:
        compare_pdf(items, Path(tmp))
        compare_docx(items, Path(tmp))
    compare_html(items)


if __name__ == "__main__":
    main()
