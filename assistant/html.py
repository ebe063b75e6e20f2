"""HTML for the app: the answer bubble, the sources panel and the document viewer.

Every piece of document text, question and answer goes through html.escape before it is put
into markup; the only tags here are the ones written below. Citation links are plain
fragment links (href="#ref-…"); the app's one click handler turns them into a viewer request.
Refs name what to open: "T:c:N" is citation [N] of chat turn T, "T:p:R" the passage ranked R.
"""

from __future__ import annotations

import re
from html import escape

from corpus.lang import is_chinese

CITE = re.compile(r"\[(\d+)\]")
VIEWER_EMPTY = ('<div class="lmc-viewer lmc-empty">Click a citation such as [1] — in an answer or in '
                'the sources — to open its document here with the quote highlighted.</div>')
SOURCES_EMPTY = '<div class="lmc-sources lmc-empty">The sources of the latest answer appear here.</div>'


def ref_link(ref: str, text: str, title: str = "") -> str:
    tip = f' title="{escape(title)}"' if title else ""
    return f'<a class="lmc-cite" href="#ref-{escape(ref)}"{tip}>{escape(text)}</a>'


# ---------- text with highlighted spans ----------

def marked(text: str, base: int, spans: list[tuple[int, int, str]], anchor: list | None = None) -> str:
    """Escape text (found at offset `base` of its document), wrapping the parts of `spans` in <mark>.

    spans: (start, end, css class) in document offsets; earlier spans win where they overlap.
    anchor: a one-item list [id]; the first "lmc-quote" mark written gets that id, then it is used up.
    """
    end_of_text = base + len(text)
    cuts = {base, end_of_text}
    for s, e, _ in spans:
        cuts.update(x for x in (s, e) if base < x < end_of_text)
    points = sorted(cuts)
    out = []
    for a, b in zip(points, points[1:]):
        piece = escape(text[a - base:b - base])
        cls = next((c for s, e, c in spans if s <= a and b <= e), None)
        if cls is None:
            out.append(piece)
            continue
        ident = ""
        if anchor and cls == "lmc-quote":
            ident = f' id="{escape(anchor.pop())}"'
        out.append(f'<mark class="{cls}"{ident}>{piece}</mark>')
    return "".join(out)


def line_pairs(text: str, start: int, end: int) -> list[tuple[tuple | None, tuple | None]]:
    """Aligned rows of a bilingual passage: (Chinese line span, span of the English lines after it)."""
    rows: list[list] = []
    for m in re.finditer(r"[^\n]*\S[^\n]*", text[start:end]):
        s, e = start + m.start(), start + m.end()
        if is_chinese(m.group()):
            rows.append([(s, e), None])
        elif rows and (rows[-1][1] is not None or rows[-1][0] is not None):
            rows[-1][1] = (rows[-1][1][0] if rows[-1][1] else s, e)
        else:
            rows.append([None, (s, e)])
    return [tuple(r) for r in rows]


def is_bilingual(meta: dict, text: str | None = None) -> bool:
    """A document whose manifest lists both Chinese and English and, when its text is given, that is
    laid out as pairs (003: most Chinese lines are followed by their English). An added report that
    merely holds both languages is shown as it is, not as a two-column table."""
    if not {"zh", "en"} <= set(meta.get("languages") or ()):
        return False
    if text is None:
        return True
    lines = [line for line in text.splitlines() if line.strip()]
    zh = [i for i, line in enumerate(lines) if is_chinese(line)]
    paired = sum(1 for i in zh if i + 1 < len(lines) and not is_chinese(lines[i + 1]))
    return bool(zh) and paired >= 0.6 * len(zh)


def passage_html(doc_text: str, start: int, end: int, spans, bilingual: bool, anchor=None) -> str:
    """A span of a document, escaped and highlighted; a bilingual one as a Chinese | English table."""
    if not bilingual:
        return f'<div class="lmc-text">{marked(doc_text[start:end], start, spans, anchor)}</div>'
    rows = []
    for zh, en in line_pairs(doc_text, start, end):
        cells = []
        for span in (zh, en):
            cell = marked(doc_text[span[0]:span[1]], span[0], spans, anchor) if span else ""
            cells.append(f'<td class="lmc-text">{cell}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return ('<table class="lmc-pairs"><thead><tr><th>中文</th><th>English</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


# ---------- the answer bubble ----------

def _normal(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip("?？。.! ")


def answer_html(answer, turn: int, documents: dict) -> str:
    """The assistant's chat message: the answer with clickable [n], 'Searched for', notes."""
    labels = {c.label: c for c in answer.citations}

    def link(m: re.Match) -> str:
        c = labels.get(int(m.group(1)))
        if c is None:
            return m.group(0)
        return ref_link(f"{turn}:c:{c.label}", f"[{c.label}]",
                        documents.get(c.doc_id, {}).get("title", c.doc_id))

    body = CITE.sub(link, escape(answer.text))
    parts = []
    if answer.refused:
        parts.append('<div class="lmc-badge">Not in the documents</div>')
    parts.append(f'<div class="lmc-answer-text">{body}</div>')
    if answer.refused and answer.hits:
        parts.append('<div class="lmc-note">The closest passages are listed under Sources; '
                     'they do not answer the question.</div>')
    if answer.searched_for and _normal(answer.searched_for) != _normal(answer.question):
        parts.append(f'<div class="lmc-searched">Searched for: {escape(answer.searched_for)}</div>')
    parts.extend(f'<div class="lmc-note">{escape(n)}</div>' for n in answer.notes if n not in answer.text)
    kind = "lmc-answer lmc-refusal" if answer.refused else "lmc-answer"
    return f'<div class="{kind}">{"".join(parts)}</div>'


def draft_html(draft: str) -> str:
    """The model's answer while it streams: escaped text under a badge saying it is not checked yet."""
    return ('<div class="lmc-draft"><div class="lmc-badge">Model draft — not checked yet; the checked answer '
            f'replaces it</div><div class="lmc-answer-text">{escape(draft) or "…"}</div></div>')


def question_html(question: str) -> str:
    return f'<div class="lmc-question">{escape(question)}</div>'


def error_html(message: str) -> str:
    return f'<div class="lmc-answer lmc-error"><div class="lmc-badge">Error</div>{escape(message)}</div>'


# ---------- the sources panel ----------

def source_head(ref: str, label: str, meta: dict, offset: int | None = None) -> str:
    from assistant.render import page_label
    page = page_label(meta, offset) if offset is not None else ""
    about = " · ".join(escape(x) for x in (meta.get("publisher"), meta.get("date")) if x)
    about += f'{" · " if about else ""}<span class="lmc-page-ref">{escape(page)}</span>' if page else ""
    return (f'<div class="lmc-source-head">{ref_link(ref, label, "Open the document at this passage")} '
            f'<span class="lmc-title">{escape(meta.get("title") or meta.get("doc_id", ""))}</span>'
            f'<div class="lmc-meta">{about}</div></div>')


def citation_passage(c, hits) -> tuple[int, int]:
    """The retrieved passage a citation was taken from (its chunk span), else the quote itself."""
    for hit in hits:
        ch = hit.chunk
        if ch.chunk_id == c.chunk_id or (ch.doc_id == c.doc_id and ch.start <= c.start and c.end <= ch.end):
            return ch.start, ch.end
    return c.start, c.end


def citation_spans(c) -> list[tuple[int, int, str]]:
    spans = [(c.start, c.end, "lmc-quote")]
    if c.parallel_quote and c.parallel_start >= 0:
        spans.append((c.parallel_start, c.parallel_end, "lmc-parallel"))
    return spans


def citation_card(c, turn: int, hits, docs: dict) -> str:
    doc = docs.get(c.doc_id)
    meta = doc.meta() if doc else {"doc_id": c.doc_id, "title": c.doc_id}
    head = source_head(f"{turn}:c:{c.label}", f"[{c.label}]", meta, c.start)
    if doc is None:
        return f'<div class="lmc-source">{head}<div class="lmc-text">{escape(c.quote)}</div></div>'
    start, end = citation_passage(c, hits)
    spans = citation_spans(c)
    start, end = min(start, *(s for s, _, _ in spans)), max(end, *(e for _, e, _ in spans))
    body = passage_html(doc.text, start, end, spans, is_bilingual(meta, doc.text))
    pair = ""
    if c.parallel_quote and not is_bilingual(meta, doc.text):      # a bilingual passage already shows the pair
        pair = ('<table class="lmc-parallel-pair"><tr>'
                f'<td><mark class="lmc-quote">{escape(c.quote)}</mark></td>'
                f'<td><mark class="lmc-parallel">{escape(c.parallel_quote)}</mark></td></tr></table>')
    return f'<div class="lmc-source">{head}{pair}{body}</div>'


def hit_card(hit, turn: int, docs: dict) -> str:
    doc = docs.get(hit.chunk.doc_id)
    meta = doc.meta() if doc else {"doc_id": hit.chunk.doc_id, "title": hit.chunk.doc_id}
    head = source_head(f"{turn}:p:{hit.rank}", f"#{hit.rank}", meta, hit.chunk.start)
    ch = hit.chunk
    body = (passage_html(doc.text, ch.start, ch.end, [], is_bilingual(meta, doc.text)) if doc
            else f'<div class="lmc-text">{escape(ch.text)}</div>')
    return f'<div class="lmc-source lmc-closest">{head}{body}</div>'


def sources_html(answer, turn: int, docs: dict, closest: int = 3) -> str:
    """The panel beside the chat: the cited passages, or the closest ones for a refusal."""
    if answer.citations and not answer.refused:
        cards = "".join(citation_card(c, turn, answer.hits, docs) for c in answer.citations)
        return f'<div class="lmc-sources"><h3>Sources</h3>{cards}</div>'
    if not answer.hits:
        return '<div class="lmc-sources lmc-empty">No passages were found.</div>'
    cards = "".join(hit_card(h, turn, docs) for h in answer.hits[:closest])
    return ('<div class="lmc-sources"><h3 class="lmc-closest-title">Closest passages '
            f'(they do not answer the question)</h3>{cards}</div>')


# ---------- the document viewer ----------

def viewer_html(doc, spans: list[tuple[int, int, str]], caption: str) -> str:
    """The whole document, escaped, with the spans marked; the first quote mark has id="quote"."""
    meta = doc.meta()
    url = meta.get("url") or ""
    link = (f' · <a href="{escape(url)}" target="_blank" rel="noopener noreferrer">original</a>'
            if url.startswith(("https://", "http://")) else "")
    anchor = ["quote"] if any(c == "lmc-quote" for *_, c in spans) else None
    body = pages_html(doc.text, meta.get("pages") or (), spans, is_bilingual(meta, doc.text), anchor)
    return (f'<div class="lmc-viewer"><div class="lmc-doc-head"><div class="lmc-label">Document</div>'
            f'<span class="lmc-title">'
            f'{escape(meta["title"])}</span><div class="lmc-meta">'
            f'{" · ".join(escape(x) for x in (meta.get("publisher"), meta.get("date")) if x)}{link}</div>'
            f'<div class="lmc-caption">{escape(caption)}</div></div>'
            f'<div class="lmc-doc-body">{body}</div></div>')


def pages_html(text: str, pages, spans, bilingual: bool, anchor) -> str:
    """The whole text; a paged document (a PDF) as one block per page, each headed "p. N"."""
    if not pages:
        return passage_html(text, 0, len(text), spans, bilingual, anchor)
    bounds = [*pages, len(text)]
    out = []
    for n, (start, end) in enumerate(zip(bounds, bounds[1:]), 1):
        end = start + len(text[start:end].rstrip())          # the blank lines between pages are the break
        out.append(f'<div class="lmc-page" data-page="{n}"><div class="lmc-page-no">p. {n}</div>'
                   f'{passage_html(text, start, end, spans, bilingual, anchor)}</div>')
    return "".join(out)


# ---------- plain text for "Copy answer with sources" ----------

def copy_text(answer, metas: dict) -> str:
    """The answer, then its numbered sources (title, publisher, date, quote), as plain text."""
    from assistant.render import page_label, source_line
    lines = [answer.text]
    if answer.searched_for and _normal(answer.searched_for) != _normal(answer.question):
        lines.append(f"(Searched for: {answer.searched_for})")
    if answer.citations and not answer.refused:
        lines += ["", "Sources:"]
        for c in answer.citations:
            meta = metas.get(c.doc_id, {"title": c.doc_id})
            page = page_label(meta, c.start)
            lines.append(f"[{c.label}] {source_line(meta)}{', ' + page if page else ''}")
            lines.append(f'    "{c.quote}"')
            if c.parallel_quote:
                lines.append(f'    ("{c.parallel_quote}")')
    elif answer.hits:
        lines += ["", "Closest passages (they do not answer the question):"]
        for h in answer.hits[:3]:
            lines.append(f"#{h.rank} {source_line(metas.get(h.chunk.doc_id, {'title': h.chunk.doc_id}))}")
    return "\n".join(lines)
