"""Sentences of the documents, with exact offsets, and the Chinese-English alignment of a bilingual text.

A bilingual document (003) holds a Chinese line followed by its English translation line(s); each
Chinese sentence is aligned to the English sentence(s) that translate it: one to one when the counts
agree, else by relative position within the two lines (Gale-Church without the lengths model).
Where a run of Chinese lines comes before the English lines that translate them (two and two in
003), they pair line by line when the counts agree, else every Chinese sentence of the run is
aligned over all the English lines.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass

from corpus.lang import is_chinese
from index.lexical import tokenize

LINE = re.compile(r"[^\n]*\S[^\n]*")
ZH_END = re.compile(r"[。！？!?；;][”’」』）)\"]*")
EN_END = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
IRREGULAR = {"took": "take", "taken": "take", "held": "hold", "met": "meet", "led": "lead", "made": "make",
             "gave": "give", "given": "give", "went": "go", "saw": "see", "sent": "send", "built": "build",
             "began": "begin", "begun": "begin", "won": "win", "chose": "choose", "chosen": "choose",
             "became": "become", "spent": "spend", "brought": "bring", "countries": "country", "convened": "hold",
             "hosted": "hold", "host": "hold"}
SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "es", "ed", "s")
ORDINALS = {w: f"{i}th" for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth "
                                               "eleventh twelfth".split(), 1)}
NO_BREAK = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|No|Nos|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|"
                      r"Gen|Col|Prof|Inc|Ltd|Co|vs|etc|e\.g|i\.e|U\.S|H\.E)|\b[A-Z]|^\s*[IVXL]+)\.[\"”’')\]]*\s*$")


def stem(token: str) -> str:
    """A light English stemmer: organized/organization -> organiz, forums -> forum; other scripts unchanged."""
    if token in IRREGULAR:
        return IRREGULAR[token]
    if not token.isascii() or not token.isalpha() or len(token) <= 4:
        return token
    for suffix in SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3 and not token.endswith("ss"):
            token = token[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    return token[:-1] if token.endswith("e") and len(token) > 4 else token


def terms(text: str) -> list[str]:
    """index.lexical.tokenize (CJK bigrams, lower-cased words), then stemmed; ordinals in one form
    ("8th", "eighth", 第八次 -> "8th"; "inaugural", 首届 -> "1th")."""
    out: list[str] = [f"{_zh_number(m.group(1) or m.group(2))}th" for m in ZH_ORDINAL.finditer(text)]
    for t in tokenize(text):
        if t in ("th", "st", "nd", "rd") and out and out[-1].isdigit():
            out[-1] = f"{out[-1]}th"
        elif t == "place" and out and out[-1] == "take":
            out[-1] = "hold"                           # "took place" says "was held"
        else:
            out.append(ORDINALS.get(t) or ("1th" if t == "inaugural" else stem(t)))
    return out


ORDINAL_NUMBER = re.compile(r"\b(1[0-2]|[1-9])(?:st|nd|rd|th)\b")
WORDS = {v: k for k, v in ORDINALS.items()}


def spell_ordinals(query: str) -> str:
    """'the 8th meeting' -> 'the 8th eighth meeting', so a word index finds "the eighth meeting" too."""
    return ORDINAL_NUMBER.sub(lambda m: f"{m.group()} {WORDS[m.group(1) + 'th']}", query)


ZH_ORDINAL = re.compile(r"第([一二三四五六七八九十]{1,3}|\d{1,3})[次届个座期]|(首)[次届个座期]")
ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def _zh_number(text: str) -> int:
    """'十' -> 10, '十二' -> 12, '二十' -> 20, '8' -> 8."""
    if text.isdigit():
        return int(text)
    if text == "首":                                     # 首届 = the first
        return 1
    if "十" not in text:
        return ZH_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return ZH_DIGITS.get(tens, 1) * 10 + ZH_DIGITS.get(ones, 0)


@dataclass(frozen=True, slots=True)
class Sentence:
    doc_id: str
    start: int
    end: int
    text: str                       # == document.text[start:end]
    lang: str                       # "zh" or "en"
    line: int                       # the line it sits on (0-based, over non-blank lines)
    parallel: tuple[int, int] | None = None   # span of the aligned translation, if any


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_line(text: str, start: int, end: int, zh: bool) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end] (one line)."""
    spans, cursor = [], start
    if zh:
        for m in ZH_END.finditer(text, start, end):
            spans.append((cursor, m.end()))
            cursor = m.end()
    else:
        for m in EN_END.finditer(text, start, end):
            if NO_BREAK.search(text, cursor, m.end()):
                continue
            spans.append((cursor, m.end()))
            cursor = m.end()
    spans.append((cursor, end))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[1] - s[0] > 1]


def split_document(doc_id: str, text: str) -> list[Sentence]:
    """Every sentence of a document, in order; Chinese sentences carry their aligned English span."""
    lines = []
    for n, m in enumerate(LINE.finditer(text)):
        start, end = _trim(text, m.start(), m.end())
        zh = is_chinese(text[start:end])
        lines.append((n, zh, split_line(text, start, end, zh)))
    out: list[Sentence] = []
    i = 0
    while i < len(lines):
        zh = lines[i][1]
        h = i + 1                                  # a run of Chinese lines i..h-1 (usually one) ...
        while zh and h < len(lines) and lines[h][1]:
            h += 1
        j = h                                      # ... then the English lines h..j-1 that translate them
        while zh and j < len(lines) and not lines[j][1]:
            j += 1
        spans = [(lines[k][0], sp) for k in range(i, h) for sp in lines[k][2]]
        english = [list(lines[k][2]) for k in range(h, j)]
        if not english:
            parallels = [None] * len(spans)
        elif h - i == j - h:                       # as many Chinese lines as English ones: line by line
            parallels = [p for k in range(i, h) for p in align(text, lines[k][2], [english[k - i]])]
        else:                                      # else every Chinese sentence over all the English lines
            parallels = align(text, [sp for _, sp in spans], english)
        for (n, (a, b)), par in zip(spans, parallels):
            out.append(Sentence(doc_id, a, b, text[a:b], "zh" if zh else "en", n, par))
        for k in range(h, j):
            for a, b in lines[k][2]:
                out.append(Sentence(doc_id, a, b, text[a:b], "en", lines[k][0]))
        i = j
    return out


def align(text: str, zh: list[tuple[int, int]], english_lines: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """For each Chinese sentence span, the span of the English sentence(s) that translate it: one
    line or one sentence each when the counts agree; else contiguous groups chosen by dynamic
    programming on length ratio, with shared numbers as anchors (more English sentences than Chinese),
    or by relative position (fewer)."""
    flat = [s for line in english_lines for s in line]
    if len(zh) == 1:
        return [(flat[0][0], flat[-1][1])]
    if len(zh) == len(english_lines):
        return [(line[0][0], line[-1][1]) for line in english_lines]
    if len(zh) == len(flat):
        return list(flat)
    if len(flat) > len(zh):
        return _align_groups(text, zh, flat)
    return _align_positions(zh, flat)


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+", text))


def _align_groups(text: str, zh: list[tuple[int, int]], flat: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Split the English sentences into len(zh) contiguous groups at the least cost."""
    ratio = sum(b - a for a, b in flat) / max(1, sum(b - a for a, b in zh))
    n, m = len(zh), len(flat)

    def cost(i: int, j: int, k: int) -> float:          # Chinese i <- English j..k-1
        en = text[flat[j][0]:flat[k - 1][1]]
        nums_zh, nums_en = _numbers(text[zh[i][0]:zh[i][1]]), _numbers(en)
        size = math.log((len(en) + 10) / (ratio * (zh[i][1] - zh[i][0]) + 10))
        return abs(size) - 0.7 * len(nums_zh & nums_en) + 0.3 * len(nums_zh - nums_en)

    inf = float("inf")
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(1, n + 1):
        for k in range(i, m - (n - i) + 1):
            for j in range(i - 1, k):
                value = best[i - 1][j] + cost(i - 1, j, k)
                if value < best[i][k]:
                    best[i][k], back[i][k] = value, j
    out, k = [], m
    for i in range(n, 0, -1):
        j = back[i][k]
        out.append((flat[j][0], flat[k - 1][1]))
        k = j
    return out[::-1]


def _align_positions(zh: list[tuple[int, int]], flat: list[tuple[int, int]]) -> list[tuple[int, int]]:
    zh_total = sum(b - a for a, b in zh)
    en_total = sum(b - a for a, b in flat)
    out, done = [], 0
    mids, acc = [], 0
    for a, b in flat:
        mids.append((acc + (b - a) / 2) / en_total)
        acc += b - a
    for a, b in zh:
        lo, hi = done / zh_total, (done + b - a) / zh_total
        done += b - a
        picked = [k for k, m in enumerate(mids) if lo <= m < hi or (hi == 1.0 and m >= lo)]
        if not picked:
            picked = [min(range(len(mids)), key=lambda k: abs(mids[k] - (lo + hi) / 2))]
        out.append((flat[picked[0]][0], flat[picked[-1]][1]))
    return out


STATEMENT = re.compile(r"[.!?。！？][\"'”’)）]*\s*$")     # a sentence that ends like one


class SentenceTable:
    """All sentences of the corpus, their tokens, and inverse sentence frequencies; body_start:
    where each document's first statement begins (before it: its title, breadcrumbs, byline)."""

    def __init__(self, documents: dict[str, str]):
        self.texts = documents                                   # doc_id -> text
        self.by_doc: dict[str, list[Sentence]] = {}
        self.tokens: dict[tuple[str, int], frozenset[str]] = {}
        df: Counter = Counter()
        for doc_id, text in documents.items():
            sents = split_document(doc_id, text)
            sents.sort(key=lambda s: s.start)
            self.by_doc[doc_id] = sents
            for s in sents:
                toks = frozenset(terms(s.text))
                self.tokens[(doc_id, s.start)] = toks
                df.update(toks)
        self.n = sum(len(v) for v in self.by_doc.values())
        self._df = df
        self._starts = {d: [s.start for s in v] for d, v in self.by_doc.items()}
        self.body_start = {d: next((s.start for s in v if STATEMENT.search(s.text)), 0) for d, v in self.by_doc.items()}
        self.headings = {d: self._headings(d) for d in self.by_doc}

    def is_label(self, s: Sentence) -> bool:
        """A heading, byline or caption line: a whole line of the body that does not end like a
        statement ("Soy Sopheap, Director of DAP Media Center, Cambodia", a news item's headline)."""
        text = self.texts[s.doc_id]
        whole_line = (s.start == 0 or text[s.start - 1] == "\n") and (s.end >= len(text) or text[s.end] in "\r\n")
        return (whole_line and len(s.text) <= 200 and not STATEMENT.search(s.text)
                and s.start >= self.body_start.get(s.doc_id, 0))

    def _headings(self, doc_id: str) -> list[frozenset[str]]:
        """For each sentence of a document, the tokens of the label lines that last came before it
        (one run of adjacent labels: a Chinese byline and its English line), its section's heading;
        a label of fewer than three tokens ("[Read More]", "Share:") does not start a section."""
        out, current, run = [], frozenset(), False
        for s in self.by_doc[doc_id]:
            if self.is_label(s) and len(self.tokens[(doc_id, s.start)]) >= 3:    # not "[Read More]"
                current = (current if run else frozenset()) | self.tokens[(doc_id, s.start)]
                run = True
                out.append(frozenset())
            else:
                run = False
                out.append(current)
        return out

    def heading(self, sentence: Sentence) -> frozenset[str]:
        """Tokens of the heading or byline of the section the sentence stands in (see _headings)."""
        i = bisect.bisect_left(self._starts[sentence.doc_id], sentence.start)
        rows = self.headings.get(sentence.doc_id, [])
        return rows[i] if i < len(rows) else frozenset()

    def idf(self, token: str) -> float:
        return math.log(1 + (self.n + 1) / (self._df.get(token, 0) + 0.5))

    def tokens_of(self, sentence: Sentence) -> frozenset[str]:
        return self.tokens[(sentence.doc_id, sentence.start)]

    def near(self, sentence: Sentence, span: int = 2) -> frozenset[str]:
        """Tokens of the sentences around this one (span either side), itself excluded."""
        sents = self.by_doc[sentence.doc_id]
        i = bisect.bisect_left(self._starts[sentence.doc_id], sentence.start)
        out: set[str] = set()
        for s in sents[max(0, i - span):i + span + 1]:
            if s.start != sentence.start:
                out |= self.tokens[(s.doc_id, s.start)]
        return frozenset(out)

    def within(self, doc_id: str, start: int, end: int) -> list[Sentence]:
        """Sentences lying mostly (over half their length) inside [start, end)."""
        sents = self.by_doc.get(doc_id, [])
        lo = max(0, bisect.bisect_right(self._starts.get(doc_id, []), start) - 1)
        out = []
        for s in sents[lo:]:
            if s.start >= end:
                break
            inside = min(end, s.end) - max(start, s.start)
            if inside * 2 > s.end - s.start:
                out.append(s)
        return out

    def parallel_text(self, sentence: Sentence) -> str:
        if sentence.parallel is None:
            return ""
        a, b = sentence.parallel
        return self.texts[sentence.doc_id][a:b]

    def source_of(self, sentence: Sentence) -> Sentence | None:
        """For an English sentence of a bilingual block, the Chinese sentence aligned to it."""
        if sentence.lang != "en":
            return None
        sents = self.by_doc[sentence.doc_id]
        i = bisect.bisect_left(self._starts[sentence.doc_id], sentence.start)
        for s in reversed(sents[max(0, i - 12):i]):
            if s.parallel and s.parallel[0] <= sentence.start and sentence.end <= s.parallel[1]:
                return s
        return None
