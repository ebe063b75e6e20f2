"""The CJK-aware tokenizer and the BM25 leg."""

from __future__ import annotations

import numpy as np

from index.lexical import LexicalIndex, tokenize


def test_han_runs_become_character_bigrams():
    assert tokenize("澜湄合作") == ["澜湄", "湄合", "合作"]


def test_a_lone_han_character_stays_a_unigram():
    assert tokenize("a参赞 Zaw温") == ["参赞", "zaw", "温"]


def test_question_words_break_han_runs():
    assert tokenize("活动在哪里启动") == ["活动", "动在", "启动"]


def test_words_are_lowercased_and_split_at_case_and_digit_boundaries():
    assert tokenize("As of December 2023ChinaLaosMyanmar") == ["december", "2023", "china", "laos", "myanmar"]


def test_non_breaking_and_full_width_characters_are_normalised():
    assert tokenize("Lancang\u00a0Mekong ２０２５") == ["lancang", "mekong", "2025"]
    assert tokenize("Lancang\u00a0Mekong") == tokenize("Lancang Mekong")


def test_mixed_text_keeps_order_and_drops_stop_words():
    assert tokenize("The LMC 2.0 与 澜湄") == ["lmc", "2.0", "与", "澜湄"]


def test_bm25_finds_chinese_text_by_bigrams_and_scores_no_overlap_as_zero():
    texts = ["澜沧江流域生态保护活动在杂多县启动", "中老铁路开通运营", "The Mekong River Commission"]
    index = LexicalIndex.build(texts)
    scores = index.scores("杂多县的生态保护")
    assert int(np.argmax(scores)) == 0 and scores[0] > 0
    assert scores[1] == 0 and scores[2] == 0
    assert index.scores("mekong commission").argmax() == 2
    assert not index.scores("？？？").any()


def test_bm25_save_and_load_give_identical_scores(tmp_path):
    index = LexicalIndex.build(["中老铁路 railway", "Mekong river patrols", "澜湄 water"])
    index.save(tmp_path / "bm25")
    again = LexicalIndex.load(tmp_path / "bm25")
    for q in ["railway", "澜湄水资源", "joint patrols on the Mekong"]:
        assert np.array_equal(index.scores(q), again.scores(q))


def test_two_builds_write_the_same_files_and_score_as_plain_bm25s(tmp_path):
    """The vocabulary is sorted, so a build does not depend on the process's string hashing; the
    scores are those of bm25s indexing the same tokens itself."""
    import os
    import subprocess
    import sys

    import bm25s

    texts = ["The China-Laos Railway carried 50 million passengers.", "澜湄合作第十次外长会在安宁举行。",
             "Dali hosted the forum on cultural cities.", ""]
    code = ("import sys; from index.lexical import LexicalIndex; "
            f"LexicalIndex.build({texts!r}).save(__import__('pathlib').Path(sys.argv[1]))")
    for seed in (1, 2):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / f"b{seed}")], check=True,
                       env={**os.environ, "PYTHONHASHSEED": str(seed)})
    names = sorted(p.name for p in (tmp_path / "b1").iterdir())
    assert names and names == sorted(p.name for p in (tmp_path / "b2").iterdir())
    assert all((tmp_path / "b1" / n).read_bytes() == (tmp_path / "b2" / n).read_bytes() for n in names)
    plain = bm25s.BM25()
    plain.index([tokenize(t) or [""] for t in texts], show_progress=False)
    ours = LexicalIndex.load(tmp_path / "b1")
    for query in ("railway passengers", "外长会在哪里举行", "forum Dali", "nothing matches"):
        assert np.allclose(ours.scores(query), plain.get_scores(tokenize(query)) if tokenize(query) else 0)
