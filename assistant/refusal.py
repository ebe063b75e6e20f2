"""When to say the documents do not contain the answer.

Signals (all cheap, all computed from what the answer step already has):
  typed     a question that asks for a number, a sum of money, a date or a person is refused when
            no chosen sentence holds one (a date is not a number; "2023" does not answer "how much";
            a body such as "the China Association for ..." may answer "who"); "how many projects"
            needs a number that counts projects (not an ordinal or a year); "who was the director"
            needs a sentence that says "director" (a role word: ROLES); "under what theme" needs a
            quoted name; "which company/team", 哪家企业 a firm's or team's name; "on which day", 哪一天
            a day, not just a year; "多少米", "what is the length" a number in that unit (UNITS);
            "which city", 哪座城市 a place that is not a country ("in Laos" does not say), "which
            province/state/station/port", 哪个省/邦/车站 a sentence that names one ("Shan State", 掸邦);
            "how much did it import", 出口额 a sentence on that flow alone (a trade total or 进出口 does not say); only
            the chosen sentences that name no other edition, year or country than the question's
            count ("which day did the third forum open?" is not answered by the fourth's date), and
            when a sentence about another edition or year covers more of the question than every
            sentence about the asked one (lex, by more than TOPIC_MARGIN), the documents
            speak of the topic only for another year ("the 2023 programme?" and only the 2025 one); "the
            first (inaugural) patrol", 第五次会议 is refused when every chosen sentence names another
            edition and not that one (other_edition); and a question whose every chosen sentence is
            about another edition, year or Mekong country (the clash feature: a yield in Laos for a
            question on Cambodia) is refused; "how many" is not answered by an ordinal, a year or a
            count of something else ("the Fifth Bridge", 两国 for 多少人); "what was the theme", "what
            position does X hold" need a sentence that speaks of a theme or names a post (SLOTS).
            Signals.reasons names the checks that failed
  missing   the numbers and ordinals of the question's asking sentence ("the fifth Leaders' Meeting",
            "in 2021"; not those of a background sentence or clause before it: "The forum met in
            2025; where was the 2024 edition?" asks about 2024 only) that
            appear neither in the chosen sentences nor around them: when more than half of them
            (Settings.refuse_max_missing) are missing, the sentences are about something else
  coverage  the best sentence covers little of the question's weight (Settings.refuse_min_coverage)
  + focus   and little of its focus words (refuse_min_focus). Off by default: on the dev split it
            caught one more unanswerable question and refused three answerable paraphrases.
The thresholds live in Settings and were chosen on the dev split only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.question import (Question, city_missing, count_missing, counted, counts, day_missing, flow_missing,
                                found, other_edition, slot_missing, unit_missing)
from assistant.sentences import terms
from index.sources import last_sentence

EN_MESSAGE = "The documents do not contain an answer to this question."
ZH_MESSAGE = "文档中没有关于这个问题的答案。"


def message(lang: str) -> str:
    return ZH_MESSAGE if lang == "zh" else EN_MESSAGE


@dataclass(frozen=True)
class Signals:
    coverage: float             # question weight found in and around the best sentence (0..1)
    focus: float                # share of the question's focus words in the best sentence
    missing: float              # share of the question's numbers and ordinals found nowhere near the answer
    cosine: float               # raw multilingual cosine of the best passage
    score: float                # the best sentence's score
    reasons: tuple[str, ...] = ()   # which checks failed ("type", "day", "unit", "clash", ..., "missing")

    @property
    def typed(self) -> bool:
        """A chosen sentence holds the kind of answer asked for: no check but "missing" failed."""
        return all(r == "missing" for r in self.reasons)

    def as_dict(self) -> dict:
        out = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in vars(self).items()}
        return {**out, "typed": self.typed}


YEAR_OR_ORDINAL = re.compile(r"(?:19|20)\d\d|(?:[1-9]|\d\d+)th")    # what an answer's context must mention
ROLES = frozenset(terms("director minister ambassador secretary president premier governor mayor chairman "
                         "chairwoman chairperson envoy") + ["主任", "部长", "主席", "总理", "大使", "书记", "省长",
                                                            "市长", "局长", "院长", "会长", "总统", "首相", "秘书"])
TOPIC_MARGIN = 0.1          # dev: the same figures from 0 to 0.2
# answer types whose absence means refusal
STRICT = {("number",), ("money",), ("date",), ("person",), ("title",), ("company",)}


def measure(q: Question, choices, hits, near: list[set[str]], counted_en: frozenset[str] = frozenset()) -> Signals:
    """The signals of one answer: `choices` are extract.Choice, best first; near[i] holds the tokens
    around choice i (its neighbouring sentences and its passage); counted_en: what a Chinese "how
    many" question counts, in English terms (to check an English sentence)."""
    best = choices[0].candidate.scores
    said: set[str] = set()
    for c, around in zip(choices, near):
        said |= c.candidate.context | around
    asked = set(terms(last_sentence(q.text)))          # not the numbers of a background sentence before it
    numbers = {t for t in q.tokens if YEAR_OR_ORDINAL.fullmatch(t) and t in asked} if len(q.parts) == 1 else set()
    missing = len(numbers - said) / len(numbers) if numbers else 0.0
    cosine = max((h.legs.get("multilingual", 0.0) for h in hits[:3]), default=0.0)
    kinds = ("person", "body") if q.wants[:1] == ("person",) else q.wants[:1]
    edition_free = [c for c in choices if not c.candidate.scores.get("clash")]
    clashing = [c for c in choices if c.candidate.scores.get("clash")]
    other_topic = bool(edition_free and clashing and len(q.parts) == 1 and
                       max(c.candidate.scores.get("lex", 0) for c in clashing) >
                       max(c.candidate.scores.get("lex", 0) for c in edition_free) + TOPIC_MARGIN)
    if edition_free and len(q.parts) == 1:
        choices = edition_free             # a sentence about another edition or year does not give the answer
    reasons = []
    if not (q.wants[:1] not in STRICT or any(found(kind, c.candidate.text, q, strict=False)
                                             for c in choices for kind in kinds)):
        reasons.append("type")             # no chosen sentence holds the kind of answer asked for
    if q.wants[:1] == ("person",) and q.focus & ROLES and not any(c.candidate.scores.get("focus") for c in choices):
        reasons.append("role")             # "who was the director?" and no sentence names a director
    texts = [c.candidate.text for c in choices]
    if day_missing(q, texts):
        reasons.append("day")              # "on which day?" and no sentence gives a day
    if unit_missing(q, texts):
        reasons.append("unit")             # "多少米?" and no sentence gives metres
    if slot_missing(q, texts):
        reasons.append("slot")             # "what was the theme?" and no sentence speaks of a theme
    if count_missing(q, texts):
        reasons.append("number")           # "how many?" and the only numbers are ordinals, years, dates
    if flow_missing(q, texts):
        reasons.append("flow")             # "how much did it import?" and only the total trade is given
    if city_missing(q, texts):
        reasons.append("city")             # "which city?" and no sentence names one (only countries)
    if len(q.parts) == 1 and other_edition(q, [c.candidate.own for c in choices]):
        reasons.append("edition")          # "the first patrol?" and every sentence is about the 160th
    if other_topic:
        reasons.append("topic")            # the question's topic is found only in a sentence about another year
    if not edition_free and len(q.parts) == 1:
        reasons.append("clash")            # every chosen sentence is about another edition, year or country
    nouns = counted(q)
    if nouns and not any(counts(c.candidate.text, nouns) or (counted_en and counts(c.candidate.text, counted_en))
                         for c in choices):
        reasons.append("count")            # "how many projects?" and no number counts projects
    if missing > 0:
        reasons.append("missing")          # (refused only above Settings.refuse_max_missing)
    return Signals(best.get("lex", 0.0), best.get("focus", 0.0), missing, cosine, choices[0].score, tuple(reasons))


# why a question was refused, for the user: the first failed check of Signals.reasons in this order
# (the most specific first), in English and in Chinese
WHY = {
    "flow": ("The passages found give a trade total, not the imports or the exports alone.",
             "找到的段落只给出贸易总额,没有单独的进口额或出口额。"),
    "day": ("The passages found give no day for it.", "找到的段落没有给出具体是哪一天。"),
    "unit": ("No passage found gives a figure in the unit asked for.", "找到的段落中没有所问单位的数字。"),
    "city": ("No passage found names a place of the kind asked for.", "找到的段落没有提到所问的那一级地点。"),
    "slot": ("No passage found states the theme or the post asked for.", "找到的段落没有提到所问的主题或职务。"),
    "role": ("No passage found names someone in that post.", "找到的段落没有提到担任该职务的人。"),
    "count": ("No number in the passages found counts what is asked.", "找到的段落中没有统计所问对象的数字。"),
    "number": ("The only numbers in the passages found are ordinals, years, dates or counts of something else.",
               "找到的段落中的数字只是序数、年份、日期或别的数量。"),
    "edition": ("The passages found are about another edition.", "找到的段落说的是另一届或另一次。"),
    "topic": ("The passages found speak of this only for another year.", "找到的段落只谈到其他年份的情况。"),
    "clash": ("The passages found are about another edition, year or country.",
              "找到的段落说的是另一届、另一年份或另一个国家。"),
    "missing": ("The passages found do not mention the year or the edition asked about.",
                "找到的段落没有提到所问的年份或届次。"),
    "type": ("No passage found gives the kind of answer asked for.", "找到的段落中没有所问类型的答案。"),
}


def why(s: Signals, lang: str, settings) -> str:
    """One sentence, in the user's language, on why the signals refuse ('' when no check names it)."""
    failed = set(s.reasons) - ({"missing"} if s.missing <= settings.refuse_max_missing else set())
    reason = next((r for r in WHY if r in failed), None)
    return WHY[reason][lang == "zh"] if reason else ""


def should_refuse(s: Signals, settings) -> bool:
    """True when the signals say nothing retrieved supports an answer."""
    if not s.typed or s.missing > settings.refuse_max_missing:
        return True
    return s.coverage < settings.refuse_min_coverage and s.focus < settings.refuse_min_focus
