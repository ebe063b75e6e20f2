"""When to say the documents do not contain the answer, and how to say why.

The decision is the answer model's (assistant/model.py): a calibrated probability that the
retrieved passages answer the question, from question-level signals (how sure the choice is, how
much of the question the best sentence covers, whether the kind of answer asked for is there,
whether the question's numbers and years appear around it...). Below the model's threshold, chosen
on held-out folds for at most 5% false refusals, the question is refused.

A refusal then says why when one of the plain checks among those signals names it, in the user's
language: no sentence holds the kind of answer asked for ("how many" and no number), or the
question's years and numbers appear nowhere near the passages found.
"""

from __future__ import annotations

from assistant.model import REFUSAL

EN_MESSAGE = "The documents do not contain an answer to this question."
ZH_MESSAGE = "文档中没有关于这个问题的答案。"
WHY = {
    "missing": ("The passages found do not mention the year or the number asked about.",
                "找到的段落没有提到所问的年份或数字。"),
    "type": ("No passage found gives the kind of answer asked for.", "找到的段落中没有所问类型的答案。"),
}


def message(lang: str) -> str:
    return ZH_MESSAGE if lang == "zh" else EN_MESSAGE


def reason(q, signals, typed: bool) -> str:
    """The check that names why a refused question was refused ("" when none does)."""
    f = dict(zip(REFUSAL, signals))
    if f["missing"] > 0.5:
        return "missing"
    if q.wants and not typed:
        return "type"
    return ""


def why(code: str, lang: str) -> str:
    """One sentence, in the user's language, for a reason code ('' for none)."""
    return WHY[code][lang == "zh"] if code in WHY else ""
