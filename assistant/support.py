"""Whether the sentences a model's claim cites support it: Checker(...).problems(claim, units, lang).

A claim may be shown only when all of these hold:
- it cites at least one sentence, and every sentence it cites was shown to the model;
- it states something: it is not a question, and it holds a content term the question does not
  (a reply that echoes the question or a heading of its words answers nothing);
- no cited sentence reads as an instruction to an assistant (grounding.INJECTION);
- it is written in the question's language;
- its numbers and dates (1,200 = 1200; eighth = 8th = 第八次; August = 8月), its names (capitalised
  words the corpus never writes in lower case) and its quotations appear in the cited sentences or
  in their aligned translation in the bilingual document;
- every cited sentence shares a content word with it (each citation is needed, as ALCE asks);
- its content words (stemmed words, Chinese character pairs) are found in what it cites: at least
  min_overlap of them, and at most max_new missing; across languages (a Chinese claim on an English
  sentence), the multilingual cosine reaches min_similarity instead;
- and at least one cited sentence is one the learned answer model reads as answering the question:
  its probability is at least min_score times the best candidate's (Unit.score; skipped when the
  units carry no scores).
Thresholds: Settings.llm_min_overlap, llm_max_new_terms, llm_min_similarity, llm_min_score (dev).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.grounding import Claim, Unit
from assistant.sentences import terms
from corpus.lang import is_chinese

MONTHS = "January February March April May June July August September October November December".split()
MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")\b")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:\s?(?:st|nd|rd|th)\b)?")
QUOTED = re.compile(r"[\"“「『‘]([^\"“”「」『』‘’]{8,})[\"”」』’]")
WORD = r"(?:[A-Z][\w'’-]*[A-Za-z0-9]|[A-Z]\b)"
CAPITALISED = re.compile(rf"\b{WORD}(?:[ ]+{WORD})*")          # a run of capitalised words: one name
COMMON = frozenset("""a an the in on at it its this that these those they he she we i you our their his her
according however also and but as for from by with both each there to of after before during since under
among between yes no some many all while when where which who what how why over about than then thus
further furthermore moreover meanwhile overall finally other another such""".split())


def numbers(text: str) -> set[str]:
    """Numbers a text states: 1,200 -> 1200; 8th, eighth, 第八次 -> 8th; August -> 8 (a month); 12月 -> 12."""
    out = set()
    for m in NUMBER.finditer(text):
        raw = m.group().replace(" ", "")
        digits = re.sub(r"(?<=\d),(?=\d{3}\b)", "", re.sub(r"(?:st|nd|rd|th)$", "", raw))
        out.add(f"{digits}th" if raw[-2:] in ("st", "nd", "rd", "th") else digits)
    out.update(t for t in terms(text) if re.fullmatch(r"\d+th", t))
    out.update(str(MONTHS.index(m) + 1) for m in MONTH.findall(text))
    return out


def _supported_number(n: str, support: set[str]) -> bool:
    return n in support or (n.endswith("th") and n[:-2] in support) or f"{n}th" in support


def lowercase_words(texts) -> frozenset[str]:
    """Words that occur in lower case somewhere in `texts` (so, capitalised, they are not names), with COMMON."""
    return COMMON | frozenset(w for text in texts for w in re.findall(r"\b[a-z][a-z'’-]+\b", text))


@dataclass(frozen=True)
class Checker:
    """The checks a model sentence must pass, with their thresholds (Settings.llm_min_*).

    similarity(a, b) -> the multilingual cosine of two texts, used when a claim and what it cites share
    no language; min_score: the floor of the best cited sentence's Unit.score (the answer model's relevance).
    common: words that, capitalised, are not names (lowercase_words of the corpus)."""
    min_overlap: float = 0.5
    max_new: int | None = None
    min_similarity: float = 0.5
    min_score: float = 0.5
    common: frozenset = COMMON
    similarity: Callable[[str, str], float] | None = None

    @classmethod
    def from_settings(cls, settings, **kw) -> "Checker":
        return cls(settings.llm_min_overlap, settings.llm_max_new_terms, settings.llm_min_similarity,
                   settings.llm_min_score, **kw)

    def names(self, text: str) -> set[str]:
        """The names a text states: each run of capitalised words ("Beijing Capital International Airport",
        "Xu Hao") that holds a name word (one the corpus never writes in lower case, not a month), less
        the sentence-starting function words before it ("The", "According")."""
        out = set()
        for run in CAPITALISED.findall(text):
            words = run.split()
            while words and words[0].lower() in COMMON:
                words.pop(0)
            if any(w.lower() not in self.common and w not in MONTHS for w in words):
                out.add(" ".join(words))
        return out

    def problems(self, claim: Claim, units: dict[int, Unit], lang: str, question: str = "") -> list[str]:
        """Why this claim may not be shown (an empty list when it may). question: what was searched for."""
        if not claim.cited:
            return ["cites no sentence"]
        if claim.text.rstrip().endswith(("?", "？")):
            return ["asks a question instead of answering"]
        mine = set(terms(claim.text))
        if question and mine and mine <= set(terms(question)):
            return ["says nothing the question does not"]
        missing = [n for n in claim.cited if n not in units]
        if missing:
            return [f"cites sentence {missing[0]}, which does not exist"]
        cited = [units[n] for n in claim.cited]
        if any(u.instruction for u in cited):
            return ["cites an instruction found in a document"]
        if is_chinese(claim.text) != (lang == "zh"):
            return ["is not in the question's language"]
        support = "\n".join(u.support for u in cited)
        have, low = numbers(support), support.casefold()
        flat = " ".join(low.split())
        plain = _plain(flat)
        out = [f"states {n}, which the cited sentences do not" for n in sorted(numbers(claim.text))
               if not _supported_number(n, have)]
        out += [f"names {w}, which the cited sentences do not" for w in sorted(self.names(claim.text))
                if _plain(w.casefold()) not in plain]
        out += ["quotes words that the cited sentences do not hold" for q in QUOTED.findall(claim.text)
                if " ".join(q.casefold().split()) not in flat]
        if not out:
            out += self._meaning(claim, cited, support)
        known = [u.score for u in cited if u.score is not None]
        if not out and known and max(known) < self.min_score:
            out.append("cites no sentence the answer model reads as answering the question")
        return out

    def _meaning(self, claim: Claim, cited: list[Unit], support: str) -> list[str]:
        if not terms(claim.text):
            return ["says nothing that can be checked"]
        zh = is_chinese(claim.text)
        same_language = any(is_chinese(line) == zh for line in support.splitlines() if line.strip())
        if not same_language:
            if self.similarity is None:
                return ["is in another language than what it cites"]
            best = max(self.similarity(claim.text, u.support) for u in cited)
            return [] if best >= self.min_similarity else ["shares too little meaning with what it cites"]
        mine = set(terms(claim.text))
        idle = [u.n for u in cited if not mine & set(terms(u.support))]
        if idle:
            return [f"cites sentence {idle[0]}, which shares no word with it"]
        missing = mine - set(terms(support))
        if 1 - len(missing) / len(mine) < self.min_overlap:
            return ["shares too few words with what it cites"]
        if self.max_new is not None and len(missing) > self.max_new:
            return ["adds words that what it cites does not hold"]
        return []


KINDS_OF_PROBLEM = ((re.compile(r"^cites sentence \d+, which shares"), "cites a sentence that shares no word with it"),
                    (re.compile(r"^cites sentence \d+"), "cites a sentence that does not exist"),
                    (re.compile(r"^states "), "states a number or date the cited sentences do not"),
                    (re.compile(r"^names "), "names a name the cited sentences do not"))


def _plain(text: str) -> str:
    """Casefolded text without possessive endings: "China's" is China."""
    return re.sub(r"['’]s\b", "", text)


def kind_of(problem: str) -> str:
    """A problem without its particulars ("states 2031, ..." -> "states a number or date ..."), for counting."""
    return next((kind for pattern, kind in KINDS_OF_PROBLEM if pattern.match(problem)), problem)


def overlap(claim_text: str, support: str) -> float:
    """Share of the claim's content terms (stemmed words, Chinese bigrams) that the support holds."""
    mine = set(terms(claim_text))
    if not mine:
        return 0.0
    return len(mine & set(terms(support))) / len(mine)
