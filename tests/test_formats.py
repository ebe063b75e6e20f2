"""The parsers on real files built here: PDFs printed by Chromium, Word files by python-docx, web
pages, Markdown and text, in English and Chinese; and every kind of bad file, refused in one line."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pytest

from corpus.formats import ParseError, kind_of, parse
from corpus.paragraphs import clean, join_lines
from corpus.types import page_at
from evals.samples import chromium, html_page, print_pdf, write_docx

needs_chromium = pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (make browser)")

# Long paragraphs, so each wraps over several printed lines; page_breaks put one set per page.
EN = [f"Paragraph {n} of the joint statement records that the working group on {topic} met {times} times "
      f"during the year, reviewed the projects of the six countries, and agreed to continue its exchanges "
      f"on water resources, trade facilitation, public health and cultural heritage in the coming year."
      for n, topic, times in [(1, "connectivity", 4), (2, "production capacity", 3), (3, "cross-border economy", 5)]]
KEY_EN = ("The Seventh Mekong Water Dialogue will be held in Pakse on 9 October 2026, and the ministers "
          "asked the secretariat to prepare a report on flood warnings along the river for that meeting.")
ZH = ["澜湄合作第十次外长会在云南安宁举行，六国外长回顾了合作进展，同意在水资源、互联互通、产能、跨境经济、"
      "农业和减贫等领域继续深化务实合作，并就下一阶段的重点项目、资金安排和人员交流达成了广泛共识。",
      "会议强调，各方将继续秉持“发展为先、平等协商、务实高效、开放包容”的澜湄精神，推动澜湄国家命运共同体建设，"
      "为地区和平稳定与繁荣发展作出更大贡献，让合作成果更好惠及六国人民。"]
KEY_ZH = "第七次湄公河水资源对话将于2026年10月9日在巴色举行，部长们要求秘书处为会议准备一份关于沿河洪水预警的报告，并提交各方审议。"
PARAGRAPHS = [EN[0], ZH[0], EN[1], KEY_EN, ZH[1], KEY_ZH, EN[2]]
BREAKS = {2, 5}                                   # page 1: 0-1, page 2: 2-4, page 3: 5-6


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("files")
    out = {"docx": write_docx(root / "report.docx", "Water Dialogue Report", PARAGRAPHS, date="2025-03-14",
                              table=[["Year", "Dialogues"], ["2026", "7"]])}
    if chromium() is not None:
        page = html_page("Joint Statement on Water 水资源联合声明", PARAGRAPHS, "zh", page_breaks=BREAKS)
        out["pdf"] = print_pdf(page, root / "statement.pdf")
        out["pdf_running"] = print_pdf(page, root / "running.pdf", header_footer=True)
        out["scan"] = print_pdf(_image_page(), root / "scan.pdf")
    return out


def _image_page() -> str:
    """A page holding only a picture of text, as a scanner makes it."""
    from PIL import Image, ImageDraw
    image = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(image).text((20, 80), "The ministers met in Vientiane.", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<!doctype html><html><body><img src="data:image/png;base64,{data}"></body></html>'


def paragraphs_of(text: str) -> list[str]:
    return text.split("\n\n")


# ---------- PDF ----------

@needs_chromium
def test_pdf_keeps_paragraphs_whole_in_english_and_chinese(files):
    parsed = parse(files["pdf"].read_bytes(), "statement.pdf")
    assert parsed.kind == "pdf" and parsed.title == "Joint Statement on Water 水资源联合声明"
    found = paragraphs_of(parsed.text)
    for p in PARAGRAPHS:                          # each printed over several lines, read back whole
        assert p in found
    assert "，" in parsed.text and "“发展为先、平等协商" in parsed.text          # full-width punctuation kept
    assert len(parsed.date) == 10 and parsed.date[4] == "-"                    # from the PDF's metadata


@needs_chromium
def test_pdf_page_offsets_point_at_each_page_and_a_quote_knows_its_page(files):
    parsed = parse(files["pdf"].read_bytes(), "statement.pdf")
    assert len(parsed.pages) == 3 and parsed.pages[0] == 0
    assert parsed.text[parsed.pages[1]:].startswith(EN[1])
    assert parsed.text[parsed.pages[2]:].startswith(KEY_ZH)
    meta = {"pages": list(parsed.pages)}
    assert page_at(meta, parsed.text.index("Pakse")) == 2
    assert page_at(meta, parsed.text.index("巴色")) == 3
    assert page_at(meta, parsed.text.index(EN[2])) == 3 and page_at({}, 10) is None


@needs_chromium
def test_a_paragraph_running_over_a_page_break_stays_whole(tmp_path):
    from evals.library_bench import paragraphs
    paras = paragraphs(24)
    parsed = parse(print_pdf(html_page("Projects", paras, "zh"), tmp_path / "long.pdf").read_bytes(), "long.pdf")
    assert len(parsed.pages) >= 3 and all(p in paragraphs_of(parsed.text) for p in paras)
    inside = [s for s in parsed.pages[1:] if parsed.text[s - 1] != "\n"]      # a page that starts mid-paragraph
    assert inside, "no paragraph crossed a page break; make the paragraphs longer"


@needs_chromium
def test_running_heads_and_page_numbers_are_dropped(files):
    parsed = parse(files["pdf_running"].read_bytes(), "running.pdf")
    assert "file://" not in parsed.text and "1/3" not in parsed.text and "3/3" not in parsed.text
    for p in PARAGRAPHS:
        assert p in paragraphs_of(parsed.text)


@needs_chromium
def test_scanned_pdf_says_it_has_no_text_layer(files):
    with pytest.raises(ParseError, match=r"^scanned PDF: .* no text layer; run OCR first"):
        parse(files["scan"].read_bytes(), "scan.pdf")


@needs_chromium
def test_encrypted_truncated_and_corrupt_pdfs_are_refused(files, tmp_path):
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter(clone_from=PdfReader(files["pdf"]))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(ParseError, match=r"^encrypted PDF: it needs a password"):
        parse(locked.getvalue(), "locked.pdf")
    data = files["pdf"].read_bytes()
    with pytest.raises(ParseError, match=r"^truncated PDF"):
        parse(data[: len(data) // 2], "cut.pdf")
    with pytest.raises(ParseError, match=r"^damaged PDF"):
        parse(b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", "junk.pdf")
    with pytest.raises(ParseError, match=r"^damaged PDF: the file does not start with a PDF header"):
        parse(b"hello, not a pdf at all", "fake.pdf")


# ---------- Word ----------

def test_docx_reads_paragraphs_tables_title_and_date(files):
    parsed = parse(files["docx"].read_bytes(), "report.docx")
    assert (parsed.kind, parsed.title, parsed.date, parsed.pages) == ("docx", "Water Dialogue Report", "2025-03-14", ())
    found = paragraphs_of(parsed.text)
    assert found[0] == "Water Dialogue Report" and all(p in found for p in PARAGRAPHS)
    assert "2026 | 7" in found


def test_docx_title_falls_back_to_its_first_heading(tmp_path):
    path = write_docx(tmp_path / "h.docx", "", ["Body text of the note."], heading=False)
    import docx
    d = docx.Document(str(path))
    d.paragraphs[0].insert_paragraph_before("Mekong Note 湄公河说明", style="Heading 1")
    d.core_properties.title = ""
    d.save(str(path))
    assert parse(path.read_bytes(), "h.docx").title == "Mekong Note 湄公河说明"


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_truncated_and_foreign_zips_are_refused(files):
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * 60_000_000})
    assert len(bomb) < 200_000
    with pytest.raises(ParseError, match=r"^refused as a zip bomb: the DOCX would unpack to 60 MB"):
        parse(bomb, "report.docx")
    data = files["docx"].read_bytes()
    with pytest.raises(ParseError, match=r"^damaged or truncated DOCX"):
        parse(data[: len(data) // 2], "cut.docx")
    with pytest.raises(ParseError, match=r"^not a Word document"):
        parse(_zip({"content.xml": b"<x/>"}), "odt-in-disguise.docx")
    with pytest.raises(ParseError, match=r"^damaged DOCX"):
        parse(_zip({"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"}), "bad.docx")


# ---------- web pages, Markdown, text ----------

def test_web_page_keeps_the_article_and_drops_the_menus():
    page = html_page("Water Dialogue 水资源对话", PARAGRAPHS, "zh", date="2025-03-21", site=True,
                     url="https://embassy.example/news/water")
    parsed = parse(page.encode(), "page.html")
    assert (parsed.kind, parsed.title, parsed.date) == ("html", "Water Dialogue 水资源对话", "2025-03-21")
    assert parsed.url == "https://embassy.example/news/water" and parsed.publisher == "embassy.example"
    assert all(p in paragraphs_of(parsed.text) for p in PARAGRAPHS)
    assert "领事服务" not in parsed.text and "版权所有" not in parsed.text


def test_gbk_web_page_and_text_are_read_as_chinese():
    page = html_page("声明", ZH, "zh").replace('charset="utf-8"', 'charset="gbk"')
    assert ZH[0] in parse(page.encode("gbk"), "gbk.html").text
    parsed = parse(("澜湄合作简报\n\n" + ZH[1]).encode("gb18030"), "brief.txt")
    assert parsed.title == "澜湄合作简报" and ZH[1] in parsed.text


def test_navigation_only_page_is_refused():
    menu = "".join(f'<li><a href="/{i}">Section {i}</a></li>' for i in range(40))
    page = f"<!doctype html><html><head><title>Index</title></head><body><nav><ul>{menu}</ul></nav></body></html>"
    with pytest.raises(ParseError, match=r"^no main text: the page holds only navigation"):
        parse(page.encode(), "index.html")


def test_markdown_becomes_plain_text_with_its_title():
    source = ("---\ntitle: Orchard Brief\ndate: 2025-04-02\n---\n# Heading one\n\nThe **orchard** has "
              "[1,200 trees](https://x.example)\nalong the river.\n\n| Year | Trees |\n|---|---|\n| 2025 | 1200 |\n\n"
              "- 果园位于\n  河岸。\n")
    parsed = parse(source.encode(), "brief.md")
    assert (parsed.title, parsed.date) == ("Orchard Brief", "2025-04-02")
    assert paragraphs_of(parsed.text) == ["Heading one", "The orchard has 1,200 trees along the river.",
                                          "Year | Trees", "2025 | 1200", "果园位于河岸。"]


def test_unknown_empty_binary_and_old_office_files_are_refused():
    cases = {("data.xlsx", b"PK\x03\x04rest"): r"^unsupported file type '.xlsx'",
             ("tool.exe", b"MZ\x90\x00"): r"^unsupported file type '.exe'",
             ("empty.txt", b"  \n"): r"^the file is empty",
             ("blob.txt", b"abc\x00def"): r"looks binary",
             ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100): r"^old Office format .* save it as .docx",
             ("old.txt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100): r"^old Office format",
             ("big.txt", b"x" * 2000): r"^the file is 2 KB, over the 1 KB limit"}
    for (name, data), message in cases.items():
        with pytest.raises(ParseError, match=message):
            parse(data, name, max_bytes=1000)


def test_type_comes_from_the_bytes_before_the_name():
    assert kind_of(b"%PDF-1.4 ...", "misnamed.txt") == "pdf"
    assert kind_of(b"<!DOCTYPE html><html>", "page.txt") == "html"
    assert kind_of(b"plain", "notes") == "txt"


# ---------- joining lines ----------

def test_lines_join_without_breaking_chinese_or_english():
    assert join_lines(["以 24 次拦截领先国家橄榄", "球联盟 (NFL)，并且"]) == "以 24 次拦截领先国家橄榄球联盟 (NFL)，并且"
    assert join_lines(["The ministers agreed to", "expand cooperation."]) == "The ministers agreed to expand cooperation."
    assert join_lines(["the Lancang-", "Mekong countries"]) == "the Lancang-Mekong countries"
    assert join_lines(["“澜湄精神”", "The spirit"]) == "“澜湄精神”The spirit"
    assert clean("a\r\n\r\n\r\nb\tc\x07  d  \n") == "a\n\nb c d"
