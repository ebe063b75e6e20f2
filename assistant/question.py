"""What a question asks for: its language, content tokens, expected answer type, and its parts.

Answer types: "number" (how many/多少/几), "date" (when/何时), "place" (where/哪里), "person" (who/谁),
"often" (how often/几年一次), "title" (what was the theme/name, 主题是什么: answered by a quoted name),
"list" (which areas, 哪些领域: answered by an enumeration, "A, B and C", A、B和C).
found(kind, text, question) says whether a text holds an entity of that kind that the question
itself does not already name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.lang import is_chinese
from assistant.sentences import terms

ASKS = {
    "money": re.compile(r"\bhow much (?:money|funding|investment|did \S+ (?:contribute|invest|allocate|spend))|"
                        r"\b(?:the|its|total|planned|amount of) (?:[\w-]+ ){0,3}?(?:investment|funding|cost|budget)\b|"
                        r"多少钱|多少资金|资金|总投资|投资额|投入了多少|耗资", re.I),
    "often": re.compile(r"\bhow often\b|\bhow frequently\b|几年一次|几年开一次|多久|多长时间一次|每隔", re.I),
    "date": re.compile(r"\bwhen\b|\bwhat (?:date|day|month|year|time)\b|\b(?:in|on) (?:what|which) "
                       r"(?:date|day|month|year)\b|\bwhich (?:date|day|month|year)s?\b|何时|什么时候|哪一?年|哪一?天|"
                       r"几月|几号(?![\u4e00-\u9fff])|哪个月|日期|时间", re.I),
    "number": re.compile(r"\bhow (?:many|much|long|far|large|big|high|fast)\b|\bwhat (?:(?:is|was|were|are) )?"
                         r"(?:the )?(?:total |planned )?(?:percentage|share|number|amount|proportion|value|magnitude|"
                         r"total|length|size|volume|rate)\b|\bwhich anniversary\b|\bwhich "
                         r"(?:numbered|edition)\b|\bby how much\b|多少|(?<!哪)几|百分之|多大|多长|多高|多远|第几", re.I),
    "place": re.compile(r"\bwhere\b|\b(?:in|at) (?:which|what) (?:city|county|country|province|place|venue|"
                        r"town|village|school)\b(?![’'])|\bwhich (?:city|county|country|province|venue)\b(?![’'])|哪里|在哪(?![些个位家种类项几一])|"
                        r"何地|哪个(?:城市|国家|省|县|地方)|哪座|哪儿", re.I),
    "company": re.compile(r"\b(?:which|what) (?:[\w’']+ )?(?:company|companies|firms?|enterprises?|contractors?|"
                          r"teams?|corporations?)\b|哪(?:一|几)?家(?:企业|公司)?|哪(?:个|些)(?:企业|公司|团队|队伍)", re.I),
    "title": re.compile(r"\bwhat (?:is|was|were|are) (?:the|its|their) (?:theme|name|title|slogan|motto)s?\b|"
                       r"\bunder what (?:name|theme|title)\b|\bwhat (?:theme|name|title|slogan)\b|"
                       r"主题是什么|什么主题|叫什么|名称是什么|什么名称|口号", re.I),
    "person": re.compile(r"(?:^|[,;:]\s*|\band\s+|\bwith\s+)(?:who|whom|whose)\b|\bwhich (?:official|minister|"
                         r"leader|person|president|premier|king|figure|diplomat|envoy)\b|谁|哪位", re.I),
    # "which areas", "what are the three pillars", 哪些领域, 哪几个方面: answered by an enumeration
    "list": re.compile(r"\b(?:which|what)\s+(?:(?:are|were)\s+)?(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:areas|fields|"
                       r"domains|sectors|aspects|pillars|priorities|activities|events|forms|kinds|types|measures|"
                       r"documents|topics|issues|crimes|programs|programmes|initiatives|outcomes|achievements|"
                       r"proposals|suggestions|goals|tasks|elements|ways)\b|哪些|哪几(?:个|项|类|种|大)?(?:方面|领域|"
                       r"方式|形式|类|种|活动|措施|文件|支柱)", re.I),
}
MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
         r"Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)")
NAME = r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+){1,3}"
TITLE = (r"(?:President|Premier|Minister|Governor|Secretary|Director|Chairman|Chairwoman|Ambassador|Mayor|"
         r"King|Queen|Councilor|Counselor|Chair|Leader|leader|minister|president|premier|secretary|governor|"
         r"chairman|director|ambassador|mayor|counselor)")
TITLE_NEAR = re.compile(TITLE + r"|\b(?:Mr|Ms|Mrs|Dr|H\.E)\b|\b(?:said|stated|noted|speech|spoke)\b|参赞")
NOT_PLACE = re.compile(MONTH + r"|\b(?:The|This|That|Chinese|China's)\b")
DATE = re.compile(MONTH + r"\s*\d{1,2}(?:st|nd|rd|th)?(?:\s*(?:to|-|–)\s*\d{1,2}(?:st|nd|rd|th)?)?|"
                  r"\b\d{1,2}\s+" + MONTH + r"|\b(?:19|20)\d\d\b(?![,.]\d)|\d{1,2}月\d{1,2}日|\d{4}年|\d{1,2}月")
FOUND = {
    "money": re.compile(r"(?:US)?\$\s?\d|\d[\d,.]*\s*(?:million |billion |trillion )?(?:yuan|dollars|U\.S\. dollars|"
                        r"USD|RMB)|\d[\d,.]*\s*(?:万|亿)?(?:美元|元|人民币)", re.I),
    "often": re.compile(r"\bevery (?:\w+ )?(?:years?|months?)\b|\bannual(?:ly)?\b|\bonce a\b|\beach year\b|"
                        r"\bbiennial\b|每年|每两年|一年一次|两年一次|每届", re.I),
    "date": re.compile(MONTH + r"(?: \d{1,2})?|\b(?:19|20)\d\d\b|\d+\s*[年月日]|[一二三四五六七八九十]+月"),
    "number": re.compile(r"\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                         r"thirty|forty|fifty|hundreds?|thousands?|millions?|billions?|dozens?|first|second|"
                         r"third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b|第?[一二两三四五六七八九十百千万亿]+"
                         r"(?=[多余几]?[个名位人次届项座所对份条家国倍栋])",
                         re.I),
    "place": re.compile(r"\b(?:in|at|to) (?:the )?(?P<v>[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*)|在(?P<v2>[\u4e00-\u9fff]"
                        r"{2,8}?)(?:举行|召开|举办|启动|开幕|成立)|(?P<v3>[\u4e00-\u9fff]{2,6}(?:省|市|县|州|村|镇|港|"
                        r"小学|学校))"),
    "person": re.compile(r"(?P<v>" + NAME + r")|(?:主席|总理|部长|书记|省长|大使|国王|外长|总统|首相|主任|司长|领导人|"
                         r"总书记|副总理|委员长|院长|会长)(?P<v3>[\u4e00-\u9fff]{2,4})"),
    "title": re.compile(r"[\"“「《](?P<v>[^\"”」》\n]{4,120})[\"”」》]"),      # a theme or name is quoted
    # "which company / team": a firm's or a team's name (or a body, below)
    "company": re.compile(r"(?P<v>(?:[A-Z][\w&'’-]*\s+){1,6}(?:Co\.|Company|Corporation|Group|Ltd|Limited|Inc|Team|"
                          r"Bank))|(?P<v3>[\u4e00-\u9fff]{2,12}(?:公司|集团|企业|团队|银行))"),
    # an enumeration: "A, B and C", "areas: A, B, C", A、B和C
    "list": re.compile(r"[^,;:.]{1,60},\s*[^,;:.]{1,60},?\s+(?:and|or|as well as)\s+\w|:\s*[^,;:.]{1,60}(?:,\s*[^,;:.]"
                       r"{1,60}){2,}|[^、，。；\s]{1,20}(?:、[^、，。；\s]{1,20}){2,}|[^、，。；\s]{1,20}、[^、，。；\s]{1,20}"
                       r"(?:和|及|以及|与)[^、，。；\s]{1,20}"),
    # who answered by a body: "organized by the China Association ...", 中国外文局亚太传播中心
    "body": re.compile(r"(?P<v>(?:[A-Z][\w'’-]*\s+(?:of\s+|for\s+|and\s+|the\s+)*){1,6}(?:Association|Center|Centre|"
                       r"Ministry|Department|Committee|Council|Government|Group|Institute|University|Bureau|"
                       r"Commission|Office|Agency|Foundation|Company|Corporation))|(?P<v3>[\u4e00-\u9fff]{2,12}"
                       r"(?:中心|协会|部|局|委员会|政府|集团|大学|学院|研究院|基金会|公司|电台|电视台))"),
}
QUESTION_WORDS = frozenset("""many much long often far larg big high how which what when where who whom whose
accord name nam kind typ total numb did does whos among between within about after before during under
over per via such also other more most than then there each both either""".split())
ZH_QUESTION = re.compile(r"什么|多少|哪里|哪些|哪个|哪位|哪一|哪|谁|几|吗|呢|是否|如何|怎么|怎样|一共|分别")
PART_SPLIT_EN = re.compile(r"(?:,? and|,) (?=(?:how|what|which|where|when|who|whose|by how|roughly|whether|"
                           r"(?:in|on|at|from|for|to|with|under|by) (?:which|what))\b)|, and (?=(?:[\w-]+ ){1,3}?"
                           r"(?:from|of|in|at|by|for) (?:which|what)\b)|;\s+|\?\s+(?=\S)", re.I)
PART_SPLIT_ZH = re.compile(r"[，,；;]\s*(?:以及|还有|并且|而且|另外)|；|以及|[？?]\s*(?=\S)")
ASKING = re.compile(r"\b(?:how|what|which|where|when|who|whom|whose)\b|什么|多少|哪|谁|几|如何|怎", re.I)
ORD = (r"(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)"
       r"(?:\s*\((?:19|20)\d\d\))?")
ENUMS = (
    re.compile(rf"(?:the\s+)?{ORD}(?:\s*,\s*(?:the\s+)?{ORD})*\s*,?\s+and\s+(?:the\s+)?{ORD}", re.I),
    re.compile(r"(?:in\s+)?(?:19|20)\d\d(?:\s*,\s*(?:in\s+)?(?:19|20)\d\d)*\s*,?\s+and\s+(?:in\s+)?(?:19|20)\d\d"),
    re.compile(r"第[一二三四五六七八九十\d]+[届次](?:[、和与及]第[一二三四五六七八九十\d]+[届次])+"),
    re.compile(r"(?:19|20)\d\d年(?:[、和与及](?:19|20)\d\d年)+"),
)
TOPIC = re.compile(r"(?:\d[\d,.]*(?:st|nd|rd|th)?|[A-Z][\w'’.-]*)(?:[\s-]+(?:(?:of|and|on|for|the|in|de)\s+)*"
                   r"(?:\d[\d,.]*(?:st|nd|rd|th)?|[A-Z][\w'’.-]*|\([^)]*\)))*")
FIRST = re.compile(r"(?:Which|Who|Whom|Whose|How|What|When|Where|Why|In|On|At|According|Per|Beyond|To|By|As|The|"
                   r"Did|Does|Do|Is|Are|Was|Were|From|For|After|Before|During|Besides)")
ITEM = re.compile(ORD + r"|(?:19|20)\d\d年?|第[一二三四五六七八九十\d]+[届次]", re.I)


@dataclass(frozen=True)
class Question:
    text: str
    lang: str                       # "zh" or "en"
    tokens: tuple[str, ...]         # content tokens (question words dropped), in order, unique
    wants: tuple[str, ...]          # expected answer types, most specific first
    parts: tuple[str, ...]          # sub-questions of a question with several parts (else just one)
    numbers: frozenset[str]         # numbers the question already names
    focus: frozenset[str] = frozenset()   # what the answer sentence itself must say (not the topic's name)
    english: tuple = ()             # a Chinese question's terms in English: ((term, confidence), ...)
    english_focus: frozenset[str] = frozenset()
    untranslated: tuple = ()        # its Chinese terms that found no English at all
    sources: frozenset[str] = frozenset()  # the documents the question names (assistant/sources.py)
    part_sources: tuple = ()               # ... and each of its parts


def content_tokens(text: str) -> tuple[str, ...]:
    out = []
    for t in terms(ZH_QUESTION.sub(" ", text)):
        if t not in QUESTION_WORDS and t not in out:
            out.append(t)
    return tuple(out)


def focus_tokens(text: str, lang: str) -> frozenset[str]:
    """English: the content words outside the names (capitalised runs, numbers) of the question.
    Chinese: the words the question word governs: those after it (哪个机构主办 -> 机构, 主办), or
    when it ends the question, those before it (主题是什么 -> 主题)."""
    if lang == "zh":
        out: set[str] = set()
        for m in ZH_QUESTION.finditer(text):
            rest = re.sub(r"^(?:么样|样)?的", "", text[m.end():])     # 怎样的X, 什么样的X: X is asked
            after = re.match(r"[\u4e00-\u9fff]{0,5}", rest).group()
            after = re.split(r"[的了吗呢]", after)[0]
            if after[:1] in ("来", "去"):             # 发挥什么来加强合作: what is used, not what it is for
                after = ""
            window = after if len(after) >= 2 else re.sub(r"[是为了的在]+$", "", text[:m.start()])[-3:]
            out |= {t for t in content_tokens(window) if not t.isascii()}
        return frozenset(out)
    names = " ".join(m.group() for m in TOPIC.finditer(text) if not FIRST.fullmatch(m.group()))
    return frozenset(content_tokens(text)) - frozenset(content_tokens(names))


def answer_types(text: str) -> tuple[str, ...]:
    return tuple(kind for kind, rx in ASKS.items() if rx.search(text))


def split_parts(text: str, lang: str) -> tuple[str, ...]:
    """Sub-questions: 'Where was X issued, and where was Y held?' -> two; 'the third and the fourth
    forums' and '2023年和2025年' -> one per item. A question with one part gives (text,)."""
    rx = PART_SPLIT_ZH if lang == "zh" else PART_SPLIT_EN
    parts = [p.strip() for p in rx.split(text) if p and p.strip()]
    parts = [p for p in parts if ASKING.search(p) and content_tokens(p)]
    if len(parts) < 2:
        parts = [text]
    out = []
    for part in parts:
        out.extend(_enumerated(part))
    return tuple(out) if len(out) > 1 else (text,)


def _enumerated(part: str) -> list[str]:
    for rx in ENUMS:
        m = rx.search(part)
        if m:
            items = ITEM.findall(m.group())
            if len(items) > 1:
                head, tail = part[:m.start()], part[m.end():]
                lead = "the " if m.group().lower().startswith("the ") else ""
                return [f"{head}{lead}{item}{tail}" for item in items]
    return [part]


def analyse(text: str) -> Question:
    lang = "zh" if is_chinese(text) else "en"
    return Question(text=text, lang=lang, tokens=content_tokens(text), wants=answer_types(text),
                    parts=split_parts(text, lang), numbers=frozenset(re.findall(r"\d+", text)),
                    focus=focus_tokens(text, lang))


SPACE = re.compile(r"[^\S\n]")
LEADING_TITLES = re.compile(r"^(?:(?:Prime|Deputy|Vice|Senior|General|Foreign|State|" + TITLE[3:-1] + r")\s+)+")


def plain(text: str) -> str:
    """Every space as " " (a document's no-break spaces, "in\xa0Phnom Penh", would hide names from
    the patterns here); the same length, so offsets hold."""
    return SPACE.sub(" ", text)


def found(kind: str, text: str, question: Question, strict: bool = True, besides: re.Pattern | None = None) -> bool:
    """True when `text` holds an entity of this kind that is not already in the question.
    strict=False accepts any capitalised name as a person's (for refusing, where a miss costs more);
    besides: values that do not count (COUNTRY_NAMES: a country is not a city)."""
    text = plain(text)
    asked = question.text.lower()
    for m in FOUND[kind].finditer(text):
        named = [v for k, v in m.groupdict().items() if v] if m.groupdict() else []
        value = named[0] if named else m.group()
        if kind == "place" and NOT_PLACE.match(value):
            continue
        if besides is not None and besides.match(value):
            continue
        if kind == "person" and m.group("v"):
            value = LEADING_TITLES.sub("", value)          # "Prime Minister Hun Manet" -> "Hun Manet"
            if " " not in value:
                continue
        if strict and kind == "person" and m.group("v") and not TITLE_NEAR.search(text, max(0, m.start() - 60),
                                                                     min(len(text), m.end() + 60)):
            continue                                       # a name is a person's when a title is near
        if kind == "number" and any(d.start() <= m.start() < d.end() for d in DATE.finditer(text)):
            continue                                       # a date is not the answer to "how many"
        digits = re.findall(r"\d+", value)
        if digits and all(d in question.numbers for d in digits):
            continue
        if not digits and value.lower() in asked:
            continue
        return True
    return False


# "多少米", "how many kilometres": the answer is a number in that unit (or its other-language name)
UNITS = {"length": (r"米|公里|千米|meters?|metres?|kilomet(?:er|re)s?|km",
                   r"(?<![千平])米|公里|千米|meters?|metres?|kilomet(?:er|re)s?|km\b"),
         "weight": (r"吨|万吨|tons?|tonnes?", r"吨|tons?\b|tonnes?"),
         "area": (r"公顷|亩|平方米|平方公里|hectares?|square (?:meters?|kilomet(?:er|re)s?)",
                  r"公顷|亩|平方|hectares?|square"),
         "power": (r"千瓦|兆瓦|kilowatts?|megawatts?|MW|kW", r"千瓦|兆瓦|瓦|watts?|MW\b|kW\b|GW\b")}
UNIT_ASKED = {k: re.compile(r"(?:多少|几)(?:" + a + r")|\bhow many (?:" + a + r")\b", re.I)
              for k, (a, _) in UNITS.items()}
UNIT_ASKED["length"] = re.compile(UNIT_ASKED["length"].pattern + r"|\blength\b|\bhow far\b|全长|长度|多远|多长距离",
                                  re.I)                  # not "how long": that may ask for a time
UNIT_SAID = {k: re.compile(r"\d[\d,.]*\s*(?:多|余|多万|余万|万)?\s*(?:" + b + r")(?!\s*/\s*h|/小时|每小时)", re.I)
             for k, (_, b) in UNITS.items()}


def unit_missing(q: Question, texts: list[str]) -> bool:
    """True when the question asks for an amount in a unit (多少米) that no text gives."""
    return any(rx.search(q.text) and not any(UNIT_SAID[k].search(plain(t)) for t in texts)
               for k, rx in UNIT_ASKED.items())
