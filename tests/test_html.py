"""The app's HTML renderers, on hand-made answers over the real documents.

The oracle is the browser's own view of the markup: html.parser gives back the text a user would
see and the text inside each <mark>, which must equal the document slices the citation names.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from assistant import html as H
from assistant.app import answer_json, open_ref
from assistant.inputs import InputError
from assistant.types import Answer, Citation
from corpus import Chunk
from index.types import Hit

BILINGUAL = "003_f1e44591df7b45bd.txt"
FORUM = "000_caa4bcd20b70339b.txt"
EVIL = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1"> [click](javascript:alert(1))'


class Seen(HTMLParser):
    """Visible text, the text of every <mark> (by class), ids, and every tag name used."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.text, self.marks, self.ids, self.tags, self._mark = [], {}, [], set(), None
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "mark":
            self._mark = a.get("class")
            self.marks.setdefault(self._mark, []).append("")

    def handle_endtag(self, tag):
        if tag == "mark":
            self._mark = None

    def handle_data(self, data):
        self.text.append(data)
        if self._mark:
            self.marks[self._mark][-1] += data


@pytest.fixture(scope="module")
def docs(documents):
    return {d.doc_id: d for d in documents}


def cite(doc, needle: str, label: int = 1, **extra) -> Citation:
    start = doc.text.index(needle)
    return Citation(label=label, doc_id=doc.doc_id, quote=needle, start=start, end=start + len(needle), **extra)


def hit_around(doc, c: Citation, rank: int = 1) -> Hit:
    start, end = max(0, c.start - 120), min(len(doc.text), c.end + 120)
    chunk = Chunk(f"{doc.doc_id}#x{rank}", doc.doc_id, doc.text[start:end], start, end)
    return Hit(chunk=chunk, score=0.5, rank=rank)


def test_marked_escapes_everything_and_marks_exactly_the_span():
    text = f"before {EVIL} after"
    s = text.index("<img")
    out = H.marked(text, 100, [(100 + s, 100 + s + 30, "lmc-quote")], anchor=["quote"])
    seen = Seen(out)
    assert seen.tags == {"mark"}                       # no tag from the text survives as a tag
    assert "".join(seen.text) == text                  # the user sees the text exactly
    assert seen.marks["lmc-quote"] == [text[s:s + 30]]
    assert seen.ids == ["quote"]


def test_line_pairs_keeps_each_chinese_line_with_its_translation(docs):
    doc = docs[BILINGUAL]
    rows = H.line_pairs(doc.text, 0, len(doc.text))
    zh_rows = [r for r in rows if r[0]]
    assert len(zh_rows) > 50
    first_zh, first_en = rows[0]
    assert doc.text[first_zh[0]:first_zh[1]].startswith("2025年是世界反法西斯战争胜利80周年")
    assert doc.text[first_en[0]:first_en[1]].startswith("The year 2025 marked the 80th anniversary")
    covered = "".join(doc.text[s:e] for r in rows for s, e in (x for x in r if x))
    assert "".join(covered.split()) == "".join(doc.text.split())    # every line is shown once, in order


def test_viewer_highlights_the_quote_and_its_translation_in_the_bilingual_table(docs):
    doc = docs[BILINGUAL]
    zh = "2025年双边贸易额193.97亿美元,同比增长19.1%。"
    en = "In 2025, the bilateral trade volume exceeded US$19.39 billion"
    c = cite(doc, zh, parallel_quote=en, parallel_start=doc.text.index(en),
             parallel_end=doc.text.index(en) + len(en), lang="zh")
    out = H.viewer_html(doc, H.citation_spans(c), "[1]")
    seen = Seen(out)
    assert "".join(seen.marks["lmc-quote"]) == zh
    assert "".join(seen.marks["lmc-parallel"]) == en
    assert seen.ids.count("quote") == 1 and "table" in seen.tags
    row = out[out.index('id="quote"'):]
    assert row.index("lmc-parallel") < row.index("</tr>")   # the translation sits in the same row


def test_answer_bubble_links_only_real_citations_and_escapes_text(docs):
    doc = docs[FORUM]
    c = cite(doc, "held in Dali from November 18th to 19th")
    answer = Answer(question="Where was it held?", text=f"In Dali [1], not [7]. {EVIL}", citations=(c,),
                    hits=(hit_around(doc, c),), refused=False, searched_for="Where was the forum held?")
    out = H.answer_html(answer, 3, {d: x.meta() for d, x in docs.items()})
    seen = Seen(out)
    assert seen.tags <= {"div", "a"}
    assert 'href="#ref-3:c:1"' in out and out.count("<a ") == 1
    assert EVIL in "".join(seen.text) and "[7]" in "".join(seen.text)
    assert "Searched for: Where was the forum held?" in "".join(seen.text)
    same = Answer("Where was it held?", "x [1]", (c,), (), False, searched_for="where was it held")
    assert "Searched for" not in H.answer_html(same, 0, {})


def test_sources_panel_shows_metadata_and_the_passage_with_the_quote_marked(docs):
    doc = docs[FORUM]
    c = cite(doc, "held in Dali from November 18th to 19th")
    answer = Answer("q", "In Dali [1].", (c,), (hit_around(doc, c),), False)
    seen = Seen(H.sources_html(answer, 0, docs))
    shown = "".join(seen.text)
    assert doc.title in shown and doc.publisher in shown and doc.date in shown
    assert seen.marks["lmc-quote"] == [c.quote]
    assert doc.text[c.end:c.end + 60] in shown            # the surrounding passage, not only the quote


def test_refusal_is_styled_apart_and_lists_the_closest_passages_as_not_answering(docs):
    doc = docs[FORUM]
    c = cite(doc, "held in Dali")
    hits = (hit_around(doc, c, 1), hit_around(doc, cite(doc, "Xu Hao"), 2))
    answer = Answer("What is the population of the Moon?", "The documents do not say.", (), hits, True)
    bubble = H.answer_html(answer, 0, {})
    assert "lmc-refusal" in bubble and "Not in the documents" in bubble
    panel = "".join(Seen(H.sources_html(answer, 0, docs)).text)
    assert "Closest passages (they do not answer the question)" in panel
    assert hits[1].chunk.text[:80] in panel


def test_copy_text_has_the_answer_and_numbered_sources(docs):
    doc = docs[FORUM]
    c = cite(doc, "held in Dali from November 18th to 19th")
    answer = Answer("Where?", "In Dali [1].", (c,), (), False)
    text = H.copy_text(answer, {d: x.meta() for d, x in docs.items()})
    assert text.startswith("In Dali [1].")
    assert f"[1] {doc.title} — {doc.publisher}, {doc.date}" in text and f'"{c.quote}"' in text


def test_open_ref_and_answer_json(docs):
    doc = docs[FORUM]
    c = cite(doc, "Xu Hao, Deputy Governor of Yunnan Province")
    answer = Answer("Who presided?", "Xu Hao [1].", (c,), (hit_around(doc, c),), False)
    turns = [{"question": "Who presided?", "answer": answer}]
    assert Seen(open_ref("0:c:1", turns, docs)).marks["lmc-quote"] == [c.quote]
    assert Seen(open_ref("0:p:1", turns, docs)).marks["lmc-quote"] == [answer.hits[0].chunk.text]
    for bad in ("0:c:2", "1:c:1", "x", "<img src=x>", "0:z:1"):
        with pytest.raises(InputError):
            open_ref(bad, turns, docs)
    data = answer_json(answer, docs)
    assert data["citations"] == [{"n": 1, "doc_id": doc.doc_id, "title": doc.title, "publisher": doc.publisher,
                                  "date": doc.date, "page": None, "start": c.start, "end": c.end, "quote": c.quote,
                                  "parallel_quote": ""}]
    assert doc.text[data["citations"][0]["start"]:data["citations"][0]["end"]] == c.quote


# ---------- paged documents (a PDF added to the library) ----------

def paged_doc():
    from corpus import Document
    text = "Page one text.\n\nThe dialogue will be held in Pakse.\n\nPage three <b>text</b>."
    pages = (0, text.index("The dialogue"), text.index("Page three"))
    return Document(doc_id="notice.pdf", text=text, title="Notice", date="2026-01-02", pages=pages)


def test_a_paged_citation_says_its_page_everywhere_it_is_shown():
    from assistant.render import answer_text, citation_dict
    doc = paged_doc()
    c = cite(doc, "The dialogue will be held in Pakse.")
    answer = Answer(question="Where?", text=f"{c.quote} [1]", citations=(c,), hits=(), refused=False)
    metas = {doc.doc_id: doc.meta()}
    assert citation_dict(c, metas)["page"] == 2
    assert "[1] Notice — 2026-01-02, p. 2" in answer_text(answer, metas)
    assert "notice.pdf p. 2 chars" in answer_text(answer, metas)
    assert "[1] Notice — 2026-01-02, p. 2" in H.copy_text(answer, metas)
    card = Seen(H.sources_html(answer, 0, {doc.doc_id: doc}))
    assert "p. 2" in "".join(card.text) and card.marks["lmc-quote"] == [c.quote]
    viewer = Seen(H.viewer_html(doc, H.citation_spans(c), "[1] highlighted on p. 2"))
    shown = "".join(viewer.text).split("highlighted on p. 2", 1)[1]
    assert shown.index("p. 1") < shown.index("Page one") < shown.index("p. 2") < shown.index("Pakse") \
        < shown.index("p. 3") < shown.index("Page three <b>text</b>.")              # escaped, in page order
    assert viewer.marks["lmc-quote"] == [c.quote] and viewer.ids.count("quote") == 1 and "b" not in viewer.tags


def test_an_unpaged_document_shows_no_page():
    from assistant.render import citation_dict
    from corpus import Document
    doc = Document(doc_id="x.txt", text="Plain text here.", title="X")
    c = cite(doc, "Plain text")
    assert citation_dict(c, {"x.txt": doc.meta()})["page"] is None and "pages" not in doc.meta()
    assert "lmc-page" not in H.viewer_html(doc, H.citation_spans(c), "")
