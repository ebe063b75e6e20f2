"""Follow-up questions become standalone search queries built from the earlier turns.

Only a question that looks like a follow-up is rewritten: it is short, starts with "and"/"what about"/
那/还有, ends with 呢, or leans on a pronoun ("it", "they", 它, 该). Then
- "What about X?" / "And X?" / "那X呢?" substitutes X into the previous question, in place of the
  slot of the same kind (a year for a year, a number for a number), or adds it when there is none;
- otherwise the pronoun gives way to the previous question's topic (its longest run of capitalised
  words and numbers, e.g. "2025 Lancang-Mekong Local Government Cooperation Forum"), or, failing that,
  the previous question's content is put before the follow-up.
History is Gradio's messages format: [{"role": "user" | "assistant", "content": str}, ...].
"""

from __future__ import annotations

import re

from corpus.lang import is_chinese

EN_LEAD = re.compile(r"^\s*(?:and|but|also|so|then|what about|how about|and what about|and how about)\b[\s,]*",
                     re.I)
EN_PRONOUN = re.compile(r"\b(?:it|its|they|them|their|there|that|this|those|these|he|she|his|her|the same)\b",
                        re.I)
EN_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*\??\s*$|^\s*and\s+(?:in|for|on|at)?\s*"
                      r"([^?\s][^?]{0,40}?)\s*\?\s*$", re.I)
ZH_LEAD = re.compile(r"^\s*(?:那么|那|还有|另外|此外|而|以及|再问)")
ZH_PRONOUN = re.compile(r"它|他们|她们|他|她|其|该|这个|那个|这次|那次|此次|上述|这些|那些")
ZH_ABOUT = re.compile(r"^\s*(?:那么|那|还有|另外)?\s*(.+?)\s*(?:又|情况)?(?:怎么样|如何)?\s*呢\s*[?？]?\s*$")
ZH_PREDICATE = re.compile(r"在|是|为|有|于|举行|召开|发布|通过|什么|哪|谁|几|多少|[?？]")   # the topic ends here
WH_WORD = re.compile(r"\b(?:who|what|when|where|which|how|why|whom|whose)\b", re.I)
TOPIC = re.compile(r"(?:\d+(?:st|nd|rd|th)?|[A-Z][\w'’-]*)(?:[\s-]+(?:(?:of|and|on|for|the|in|de)\s+)?"
                   r"(?:\d+(?:st|nd|rd|th)?|[A-Z][\w'’-]*|\([^)]*\)))*")
SLOT_YEAR = re.compile(r"(?:19|20)\d\d年?")
SLOT_NUMBER = re.compile(r"\d+(?:st|nd|rd|th)?|第[一二三四五六七八九十\d]+[次届]")


def previous_question(history) -> str | None:
    """The last user turn before this one, condensed itself if it was a follow-up."""
    users = [m.get("content") for m in history or () if isinstance(m, dict) and m.get("role") == "user"]
    users = [u for u in users if isinstance(u, str) and u.strip()]
    if not users:
        return None
    last = users[-1]
    if len(users) > 1 and looks_like_followup(last):
        return condense(last, [{"role": "user", "content": u} for u in users[:-1]])
    return last


def looks_like_followup(question: str) -> bool:
    if is_chinese(question):
        han = len(re.findall(r"[\u4e00-\u9fff]", question))
        return bool(ZH_LEAD.search(question) or re.search(r"呢\s*[?？]?\s*$", question)
                    or ZH_PRONOUN.search(question) or han <= 6)
    words = re.findall(r"[\w'’-]+", question)
    return bool(EN_LEAD.search(question) or (EN_PRONOUN.search(question) and len(words) <= 10)
                or len(words) <= 3)


def condense(question: str, history=()) -> str:
    """The standalone query for `question` given the earlier turns (the question itself if standalone)."""
    previous = previous_question(history)
    if not previous or not looks_like_followup(question):
        return question
    about = _about(question)
    if about:
        return _substitute(previous, about)
    return _resolve(question, previous)


def _about(question: str) -> str | None:
    """X of 'What about X?', 'And X?', '那X呢?' (None for other follow-ups)."""
    if is_chinese(question):
        m = ZH_ABOUT.match(question)
        return m.group(1).strip() if m and not ZH_PRONOUN.search(m.group(1)) else None
    m = EN_ABOUT.match(question)
    if not m:
        return None
    x = (m.group(1) or m.group(2) or "").strip()
    return x if x and not WH_WORD.search(x) and not EN_PRONOUN.fullmatch(x) else None


def _substitute(previous: str, x: str) -> str:
    for slot in (SLOT_YEAR, SLOT_NUMBER):
        if slot.search(x) and slot.search(previous):
            value = slot.search(x).group()
            return slot.sub(lambda _m: value, previous, count=1)
    body = previous.rstrip(" ?？")
    return f"{body} {x}" + ("?" if previous.rstrip().endswith(("?", "？")) else "")


def _resolve(question: str, previous: str) -> str:
    if is_chinese(question):
        rest = ZH_LEAD.sub("", question)
        topic = ZH_PREDICATE.split(previous, maxsplit=1)[0].strip(" ,，?？") or previous.rstrip("?？")
        return ZH_PRONOUN.sub(topic, rest, count=1) if ZH_PRONOUN.search(rest) else f"{topic} {rest}"
    rest = EN_LEAD.sub("", question).strip()
    rest = rest[:1].upper() + rest[1:]
    topics = sorted(TOPIC.findall(previous), key=len, reverse=True)
    topic = topics[0].strip() if topics and len(topics[0].split()) >= 2 else ""
    if topic and EN_PRONOUN.search(rest):
        def swap(m):
            word = m.group().lower()
            if word in ("its", "their", "his", "her"):
                return f"the {topic}'s"
            return f"at the {topic}" if word == "there" else f"the {topic}"
        return EN_PRONOUN.sub(swap, rest, count=1)
    context = WH_WORD.sub("", previous).strip(" ?")
    return f"{rest.rstrip(' ?')} ({context})?"
