"""Plain checks of what a question asks against what the chosen sentences say.

Each is a signal the refusal model weighs (assistant/model.py), not a rule that refuses on its own:
  day      "on which day", 哪一天 and no sentence gives a day (a year or a month does not)
  unit     "多少米", "what is the length" and no number in that unit
  number   "how many", 多少 and the only numbers are ordinals, years, dates, or counts of something
           else (两国 for 多少人)
  count    "how many projects" and no number counts projects
  level    "which province / state / county / station / port" and no sentence names one
  flow     "how much did it import", 出口额 and only a total of both flows is given
  slot     "what was the theme", "what position does X hold" and no sentence speaks of a theme or a post
  edition  "the first forum", 第五次会议 and every sentence is about another edition
They were written for the LMC questions and are kept only as far as they help on held-out articles
(python -m evals.train answers prints the out-of-fold figures without them beside the model's).
"""

from __future__ import annotations

import re

import numpy as np

from assistant.question import DATE, FOUND, QUESTION_WORDS, Question, plain, unit_missing
from assistant.sentences import terms

CHECKS = ("day", "unit", "number", "count", "level", "flow", "slot", "edition")


COUNTED = re.compile(r"\bhow many\s+((?:[\w’'-]+\s+){0,2}[\w’'-]+)|多少(?:个|名|位|对|座|项|家|条|份|人次|次)?"
                     r"([\u4e00-\u9fff]{2,4})|(?<!哪)几(?:个|名|位|对|座|项|家|条|份)([\u4e00-\u9fff]{2,4})", re.I)
NUMBER_WORD = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|"
                         r"millions?)\b|[一二两三四五六七八九十百千万]", re.I)


ZH_NOUN_END = re.compile(r"[的了是在被得于和与及吗呢]")


def counted_phrase(question: Question) -> str:
    """The words after "how many" / 多少 (what the question counts, as typed); '' for other questions."""
    m = COUNTED.search(question.text)
    return next((g for g in m.groups() if g), "") if m else ""


def counted_zh(question: Question) -> str:
    """What a Chinese "多少X" question counts, up to its first particle (多少家中小微企业获得了贷款 ->
    中小微企业获); '' for other questions."""
    m = re.search(r"(?:多少|(?<!哪)几)(?:个|名|位|对|座|项|家|条|份|部|人次|次)?([\u4e00-\u9fff]{2,10})", question.text)
    return ZH_NOUN_END.split(m.group(1))[0] if m else ""


def counted(question: Question) -> frozenset[str]:
    """What a "how many X" question counts (X's first words, as terms); empty for other questions."""
    return frozenset(t for t in terms(counted_phrase(question)) if t not in QUESTION_WORDS and not t[:1].isdigit())


OTHER_COUNTED = frozenset("国年月日天届期岁")    # 两国, 五年, 第三届: what a Chinese number right before them counts
NOT_A_COUNT = re.compile(r"\d+(?:st|nd|rd|th)|(?:19|20)\d\d|(?:first|second|third|fourth|fifth|sixth|seventh|eighth|"
                         r"ninth|tenth)", re.I)


BREAKS = re.compile(r"\b(?:for|to|in|on|at|by|from|with|into|through|during|after|before|since|per)\b", re.I)


def counts(text: str, nouns: frozenset[str], window: int = 6) -> bool:
    """True when a number stands within `window` terms before one of the counted nouns, with no
    preposition between them ("a five-month visa-free policy for Chinese tourists" counts no tourists)."""
    toks = re.findall(r"[A-Za-z0-9][A-Za-z0-9’'.,-]*|[\u4e00-\u9fff]", plain(text))
    for i, tok in enumerate(toks):
        if NOT_A_COUNT.fullmatch(tok.rstrip(".,")) or (i and toks[i - 1] == "第"):
            continue                                   # "the 7th film week", 第七届, "in 2023" count nothing
        if NUMBER_WORD.match(tok):
            after = toks[i + 1:i + 1 + window]
            if after and after[0] in OTHER_COUNTED and not any(n.startswith(after[0]) for n in nouns):
                continue                                   # 两国妇女, 六国代表: a count of countries, not of women
            ahead = " ".join(BREAKS.split(" ".join(after))[0].split())
            if nouns & set(terms(ahead)) or any(n in ahead.replace(" ", "") for n in nouns if not n.isascii()):
                return True
    return False


# "on which day", 哪一天, 几月几日: a year or a month does not answer; the sentence must give a day
DAY_ASKED = re.compile(r"\b(?:what|which) (?:exact |specific )?(?:date|day)\b|\bon what date\b|哪一?天|哪一日|"
                       r"几号(?![\u4e00-\u9fff])|几月几日|具体日期", re.I)
DAY = re.compile(r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
                 r"Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)\s*\d{1,2}\b|\b\d{1,2}\s+(?:January|February|March|"
                 r"April|May|June|July|August|September|October|November|December)|\d{1,2}\s*日|[一二三四五六七八九十]+日|"
                 r"\b(?:19|20)\d\d-\d\d-\d\d\b")
# "which province / state", 哪个省 / 哪个邦: the answer names one ("Yunnan Province", 掸邦)
LEVELS = {"province": (r"\b(?:which|what) province\b|哪(?:个|一个)?省", r"Province\b|省"),
          "state": (r"\b(?:which|what) state\b|哪(?:个|一个)?邦", r"\bState\b|邦"),
          "county": (r"\b(?:which|what) county\b|哪(?:个|一个)?县", r"\bCounty\b|县"),
          "station": (r"\b(?:which|what) (?:railway |train )?station\b|哪(?:个|一个|座)(?:火)?车?站", r"\bStation\b|站"),
          "port": (r"\b(?:which|what) (?:sea|river|land )?port\b|哪(?:个|一个|座)(?:港口|口岸|港)", r"\bPort\b|港|口岸")}
LEVEL_ASKED = {k: re.compile(a, re.I) for k, (a, _) in LEVELS.items()}
LEVEL_SAID = {k: re.compile(b) for k, (_, b) in LEVELS.items()}


def level_missing(q: Question, texts: list[str]) -> bool:
    """True when the question asks for a province, state, county, station or port and no text names one."""
    return any(rx.search(q.text) and not any(LEVEL_SAID[k].search(t) for t in texts) for k, rx in LEVEL_ASKED.items())


def day_missing(q: Question, texts: list[str]) -> bool:
    """True when the question asks for a day (哪一天, "on what date") and no text gives one."""
    return bool(DAY_ASKED.search(q.text)) and not any(DAY.search(plain(t)) for t in texts)


# a trade flow in one direction: a total of both ("import and export value", 进出口) does not give it
FLOW_ASKED = {"import": re.compile(r"\bimport(?:s|ed)?\b(?! and export)|(?<!出)进口", re.I),
              "export": re.compile(r"(?<!import and )\bexport(?:s|ed)?\b|(?<!进)出口(?!额?(?:和|与)进口)", re.I)}
BOTH_FLOWS = re.compile(r"\bimports? and exports?\b|\bexports? and imports?\b|进出口|出口(?:额?(?:和|与))进口", re.I)


def flow_missing(q: Question, texts: list[str]) -> bool:
    """True when the question asks for imports only (or exports only: 出口额, "how much did X export")
    and no text speaks of that flow on its own; a total of both does not say how much went one way."""
    asked = [k for k, rx in FLOW_ASKED.items() if rx.search(q.text)]
    if len(asked) != 1:
        return False
    rx = FLOW_ASKED[asked[0]]
    return not any(rx.search(BOTH_FLOWS.sub(" ", t)) for t in texts)


# "what was the theme", 主题是什么: the answer says "theme" (主题); "what position does X hold",
# 担任什么职务: it names a post. The slot asked is stated in words by any sentence that answers.
SLOTS = {"theme": (r"\b(?:what|which) (?:was |is |were |are )?(?:the )?(?:main |central |official |overall )?"
                   r"theme\b|\bunder what theme\b|主题是什么|什么主题|主题为何|以什么为主题|主题是哪",
                   r"\bthemed?\b|\bthemes\b|主题"),
         "post": (r"\bwhat (?:official |military |job |government )?(?:position|post|title|rank)s?\b|"
                  r"担任(?:什么|何种|哪个|哪一)(?:职务|职位)|什么职务|什么职位|什么头衔|什么官职",
                  r"\b(?:director|minister|ambassador|secretary|president|premier|governor|mayor|chair\w*|envoy|"
                  r"general|deputy|head|chief|editor|anchor|reporter|manager|counsell?or|commander|officer|vice|"
                  r"member|spokes\w+|leader|king|prime)\b|主任|部长|主席|总理|大使|书记|省长|市长|局长|院长|会长|"
                  r"总统|首相|秘书|社长|主编|记者|经理|参赞|司长|委员|主播|将军")}
SLOT_ASKED = {k: re.compile(a, re.I) for k, (a, _) in SLOTS.items()}
SLOT_SAID = {k: re.compile(b, re.I) for k, (_, b) in SLOTS.items()}


def slot_missing(q: Question, texts: list[str]) -> bool:
    """True when the question asks for a theme or a post (SLOTS) and no text says one."""
    return any(SLOT_ASKED[k].search(q.text) and not any(SLOT_SAID[k].search(t) for t in texts) for k in SLOTS)


# "how many", 多少, 几 (not 第几 "which edition", 几月几日 "which day"): an ordinal, a year or a count of
# something else (两国 "two countries" for 多少人) is not the number asked
COUNT_ASKED = re.compile(r"\bhow many\b|多少|(?<!第)几(?![月日号点时])", re.I)
COUNT_ASKED_ZH = re.compile(r"(?:多少|(?<!第)几)([\u4e00-\u9fff])")


def count_missing(q: Question, texts: list[str]) -> bool:
    """True when the question asks how many and no text holds a number that could count it: every
    number is a date, a year, an ordinal ("the Fifth Friendship Bridge", 第五), one the question
    already names, or counts what the question does not ask about (两国, 五年 for 多少人)."""
    if q.wants[:1] != ("number",) or not COUNT_ASKED.search(q.text):
        return False
    unit = {m.group(1) for m in COUNT_ASKED_ZH.finditer(q.text)}
    for text in map(plain, texts):
        dates = [d.span() for d in DATE.finditer(text)]
        for m in FOUND["number"].finditer(text):
            value = m.group()
            if NOT_A_COUNT.fullmatch(value.rstrip(".,")) or text[max(0, m.start() - 1):m.start()] == "第":
                continue
            if value.startswith("第") or any(a <= m.start() < b for a, b in dates):
                continue
            digits = re.findall(r"\d+", value)
            if digits and all(d in q.numbers for d in digits):
                continue
            rest = text[m.end():m.end() + 2].lstrip("多余几")
            if rest[:1] in OTHER_COUNTED and rest[:1] not in unit:
                continue
            return False
    return True


EDITION = re.compile(r"\d+th")


def other_edition(q: Question, sentences: list[frozenset[str]]) -> bool:
    """True when the question asks about an edition ("the first forum", 第五次会议) and every chosen
    sentence names another edition and not that one. "First" said by a sentence proves nothing
    ("for the first time"), so only an asked "first" counts."""
    asked = {t for t in q.tokens if EDITION.fullmatch(t)}
    if not asked:
        return False
    for tokens in sentences:
        said = {t for t in tokens if EDITION.fullmatch(t)}
        if asked & said or not said - {"1th"}:
            return False
    return True


def checks(q: Question, texts: list[str], sentence_terms: list[frozenset[str]]) -> np.ndarray:
    """CHECKS as 0/1 for a question and the texts of its chosen sentences (and their terms)."""
    nouns = counted(q)
    return np.array([day_missing(q, texts), unit_missing(q, texts), count_missing(q, texts),
                     bool(nouns) and not any(counts(t, nouns) for t in texts), level_missing(q, texts),
                     flow_missing(q, texts), slot_missing(q, texts), other_edition(q, sentence_terms)], float)
