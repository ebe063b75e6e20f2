"""The documents a question names: "according to the Belt and Road Portal article", 据"一带一路"网.

    named = Sources(index.documents).named("据“一带一路”网的文章, ...")   # {"001_….txt"}

Only the sentence that asks counts (the question's last, or what follows its last semicolon): in
"The Belt and Road Portal article names the competition a flagship. Which edition was held in
2023?" the portal is background, and the answer may come from elsewhere. In a several-part question a part is tied to the documents it
names itself; when no part names one, every part takes the question's.

A document is named when its title, its publisher or one of its manifest aliases appears in the
question, compared without case, spaces, quotes or punctuation (so 《深化澜湄国家地方政府合作倡议》
matches 深化澜湄国家地方政府合作倡议 and "Asia-Pacific" matches "Asia Pacific"). The search adds
Settings.source_weight to the fused score of a named document's passages (Index.rank); the answer
step also searches the named document alone and prefers its sentences (extract.py, feature "source").

years_in(text) gives the years a text names; Sources.title_years, those of each document's title
("Top 10 News of Lancang-Mekong Cooperation in 2025"), which the search and the answer's year clash
read for a passage or sentence that names none.
"""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)|(?<=[。！？；])|(?<=[!?])(?=[\u4e00-\u9fff])")
YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
MIN_CHARS = 4                     # shorter names ("LMC") say too little about which document


def normal(text: str) -> str:
    return _NOT_WORD.sub("", text).lower()


def years_in(text: str) -> frozenset[str]:
    """The years a text names ("2023", 2023年)."""
    return frozenset(YEAR.findall(text))


def publisher_name(publisher: str) -> str:
    """"Belt and Road Portal (yidaiyilu.gov.cn)" -> "Belt and Road Portal"."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", publisher)


class Sources:
    def __init__(self, documents: dict[str, dict]):
        """documents: doc_id -> metadata (title, publisher, aliases), as Index.documents holds it."""
        self.title_years = {doc_id: years_in(meta.get("title") or "") for doc_id, meta in documents.items()}
        self.names: dict[str, set[str]] = {}
        for doc_id, meta in documents.items():
            names = [meta.get("title") or "", publisher_name(meta.get("publisher") or ""),
                     *(meta.get("aliases") or ())]
            for name in names:
                key = normal(name)
                if len(key) >= MIN_CHARS:
                    self.names.setdefault(key, set()).add(doc_id)

    def named(self, text: str) -> frozenset[str]:
        """The documents whose names appear in text (empty when none is named)."""
        flat = normal(text)
        return frozenset(d for key, docs in self.names.items() if key in flat for d in docs)

    def asked(self, question: str, parts: tuple[str, ...] = ()) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
        """The documents named by the question's asking sentence, and by each part's."""
        whole = self.named(last_sentence(question))
        own = tuple(self.named(last_sentence(p)) for p in parts)
        if not any(own):
            own = tuple(whole for _ in parts)
        return whole, own


def last_sentence(text: str) -> str:
    pieces = [p for p in _SENTENCE_END.split(text.strip()) if p.strip()]
    return pieces[-1] if pieces else text
