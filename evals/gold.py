"""The gold set: load evals/questions.jsonl, and merge the hand-written parts into it.

Splits are fixed: within each (kind, language) group, questions are shuffled with a fixed seed
and dealt alternately to dev and test, so both splits hold every kind in the same proportion.
A merge keeps the split of every question already in questions.jsonl, so adding questions
never moves an old one between dev and test.
Tune on dev only; report both. evals/holdout.jsonl (split "holdout") was written later, by someone
who never ran the assistant, to measure what test can no longer: test failures were studied while
the answer step was improved (see docs/evaluation.md, "The splits").

    python -m evals.gold merge        # evals/parts/*.jsonl -> evals/questions.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

from index.persist import write_atomic

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "questions.jsonl"
PARTS = HERE / "parts"
HOLDOUT = HERE / "holdout.jsonl"    # written later, blind to the system, after test had been looked at
KINDS = ("factoid", "paraphrase", "numeric", "multi", "crosslingual", "unanswerable")


def load_questions(path: Path | str = QUESTIONS, split: str | None = None) -> list[dict]:
    """The gold questions, optionally only one split ("dev" or "test"; None or "all" for every one).
    split="holdout" reads evals/holdout.jsonl instead (see HOLDOUT)."""
    if split == "holdout":
        path = HOLDOUT if Path(path) == QUESTIONS else path
    items = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if split in (None, "all"):
        return items
    if split not in ("dev", "test", "holdout"):
        raise ValueError(f"split must be dev, test, holdout or all (got {split!r})")
    return [q for q in items if q.get("split") == split]


def assign_splits(items: list[dict], seed: int = 2025, known: dict[str, str] | None = None) -> list[dict]:
    """Deal each (kind, language) group alternately to dev and test, in a fixed shuffled order.
    known: id -> split already given (the current questions.jsonl). Those keep their split, so
    adding questions never moves an old one between dev and test; a new question goes to the split
    its group has fewer of (dev on a tie)."""
    known = known or {}
    groups = defaultdict(list)
    for q in items:
        groups[(q["kind"], q["lang"])].append(q)
    out = []
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda q: q["id"])
        random.Random(f"{seed}:{key}").shuffle(group)
        if not known:
            out.extend(dict(q, split="dev" if i % 2 == 0 else "test") for i, q in enumerate(group))
            continue
        sizes = {"dev": 0, "test": 0}
        for q in group:
            if known.get(q["id"]) in sizes:
                sizes[known[q["id"]]] += 1
        for q in group:
            split = known.get(q["id"])
            if split not in sizes:
                split = "dev" if sizes["dev"] <= sizes["test"] else "test"
                sizes[split] += 1
            out.append(dict(q, split=split))
    return sorted(out, key=lambda q: q["id"])


def merge(parts: Path = PARTS, target: Path = QUESTIONS) -> list[dict]:
    items = []
    for path in sorted(parts.glob("*.jsonl")):
        items.extend(json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip())
    ids = [q["id"] for q in items]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate question ids across parts")
    known = {}
    if target.is_file():
        known = {q["id"]: q.get("split") for q in load_questions(target)}
    items = assign_splits(items, known=known)
    write_atomic(target, "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in items))
    return items


if __name__ == "__main__":
    if sys.argv[1:] != ["merge"]:
        sys.exit("usage: python -m evals.gold merge")
    merged = merge()
    counts = defaultdict(int)
    for q in merged:
        counts[(q["split"], q["kind"], q["lang"])] += 1
    print(f"{len(merged)} questions -> {QUESTIONS}")
    for key in sorted(counts):
        print(" ", *key, counts[key])
