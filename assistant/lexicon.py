"""A small Chinese -> English term lexicon learned from the bilingual document itself.

Each Chinese sentence of the bilingual document is aligned to its English translation
(assistant/sentences.py). Over those pairs, a Chinese bigram z and an English term e are associated
by their Dice coefficient 2*c(z,e) / (c(z) + c(e)); a bigram keeps its best English term(s) when the
pair occurs at least twice and the coefficient reaches a floor. So 主办 -> organizer, 主持 -> chair,
生态 -> ecological: enough for a Chinese question to score the sentences of an English document.
"""

from __future__ import annotations

from collections import Counter

from assistant.sentences import SentenceTable, terms


class Lexicon:
    def __init__(self, table: SentenceTable, min_count: int = 2, min_dice: float = 0.5, keep: int = 2):
        cz, ce, cze = Counter(), Counter(), Counter()
        for sentences in table.by_doc.values():
            for s in sentences:
                if s.lang != "zh" or not s.parallel:
                    continue
                zh = {t for t in table.tokens_of(s) if not t.isascii()}
                en = {t for t in terms(table.parallel_text(s)) if t.isascii() and not t.isdigit()}
                cz.update(zh)
                ce.update(en)
                cze.update((z, e) for z in zh for e in en)
        best: dict[str, list[tuple[float, str]]] = {}
        for (z, e), c in cze.items():
            if c >= min_count:
                dice = 2 * c / (cz[z] + ce[e])
                if dice >= min_dice:
                    best.setdefault(z, []).append((dice, e))
        self.entries = {z: sorted(v, reverse=True)[:keep] for z, v in best.items()}

    def translate(self, tokens) -> dict[str, float]:
        """English term -> confidence (the best Dice over the Chinese tokens that give it).
        ASCII tokens (numbers, Latin names) carry over with confidence 1."""
        out: dict[str, float] = {}
        for t in tokens:
            pairs = [(1.0, t)] if t.isascii() else self.entries.get(t, [])
            for dice, e in pairs:
                out[e] = max(out.get(e, 0.0), dice)
        return out

    def __len__(self) -> int:
        return len(self.entries)
