"""The Chinese -> English lexicon learned from aligned lines."""

from __future__ import annotations

from index.translate import Lexicon, aligned_pairs, learn

TEXT = """铁路开通运营。
The railway opened.
铁路客运量增长。
Railway passenger traffic grew.
论坛在大理举行。
The forum was held in Dali.
大理论坛闭幕。
The Dali forum closed.
"""


def test_aligned_pairs_join_each_chinese_line_with_its_english_lines():
    pairs = aligned_pairs([TEXT, "English only text.\nMore English."])
    assert pairs[0] == ("铁路开通运营。", "The railway opened.")
    assert len(pairs) == 4


def test_two_chinese_lines_before_their_two_english_lines_pair_line_by_line():
    text = "铁路开通运营。\n论坛在大理举行。\nThe railway opened.\nThe forum was held in Dali.\n"
    assert aligned_pairs([text]) == [("铁路开通运营。", "The railway opened."),
                                     ("论坛在大理举行。", "The forum was held in Dali.")]
    uneven = "铁路开通运营。\n论坛在大理举行。\nThe railway opened and the forum was held in Dali.\n"
    assert aligned_pairs([uneven]) == [("铁路开通运营。\n论坛在大理举行。",
                                        "The railway opened and the forum was held in Dali.")]


def test_terms_that_co_occur_across_pairs_become_translations():
    table = learn(aligned_pairs([TEXT]))
    assert table["铁路"][0][0] == "railway"
    assert table["大理"][0][0] in {"dali", "forum"} and "dali" in [w for w, _ in table["大理"]]
    assert "opened" not in [w for w, _ in table.get("铁路", [])]      # seen in one pair only


def test_translate_turns_a_chinese_question_into_english_words_and_round_trips(tmp_path):
    lexicon = Lexicon.build([TEXT])
    assert "railway" in lexicon.translate("铁路怎么样?").split()
    assert lexicon.translate("完全无关") == ""
    lexicon.save(tmp_path / "lexicon.json")
    assert Lexicon.load(tmp_path / "lexicon.json").table == lexicon.table


def test_cc_cedict_words_cover_what_the_parallel_text_lacks(tmp_path):
    from index.translate import dictionary_for, segment
    dictionary = dictionary_for({"declaration", "guest", "ecological", "ecology", "corridor", "visa"})
    assert "declaration" in dictionary["宣言"] and "guest" in dictionary["嘉宾"]
    assert all(set(words) <= {"declaration", "guest", "ecological", "ecology", "corridor", "visa"}
               for words in dictionary.values())
    assert segment("通过的宣言", dictionary)[-1] == "宣言"
    lexicon = Lexicon({}, dictionary)
    assert set(lexicon.translate("会议通过的宣言叫什么?").split()) == {"declaration"}
    lexicon.save(tmp_path / "lexicon.json")
    assert Lexicon.load(tmp_path / "lexicon.json").dictionary == dictionary


def test_chinese_names_are_read_in_pinyin_against_the_corpus_names():
    from index.pinyin import english_names, names_in
    names = english_names(["The article was written by Bao Zhipeng in Chongqing.", "Work was vigorously promoted."])
    assert names["baozhipeng"] == {"Bao Zhipeng"} and "chongqing" in names
    found = names_in("鲍志鹏在重庆写了什么?", names)
    assert found["鲍志鹏"] == {"Bao Zhipeng"} and found["重庆"] == {"Chongqing"}
    assert names_in("大力推进合作", english_names(["Dali hosted the forum."])) == {}     # 大力 is a word, not Dali
    assert names_in("大理举办了论坛", english_names(["Dali hosted the forum."]))["大理"] == {"Dali"}
    both = english_names(["Premier Li Qiang visited Lijiang."])              # 强 reads qiáng, rarely jiàng
    assert names_in("李强出席了会议", both) == {"李强": {"Li Qiang"}}


def test_the_learned_table_is_the_same_whatever_the_string_hash_order():
    """Ties in Dice are broken by the English word, so every build learns the same table (before,
    a tie was broken by set order, which changes with PYTHONHASHSEED from one process to the next)."""
    import os
    import subprocess
    import sys
    text = "论坛在大理。\nForum Dali.\n大理论坛闭幕。\nThe Dali forum closed.\n"
    code = ("import json, sys; from index.translate import aligned_pairs, learn; "
            f"print(json.dumps(learn(aligned_pairs([{text!r}]), per_term=1), sort_keys=True))")
    tables = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(6)}
    assert len(tables) == 1
    assert learn(aligned_pairs([text]), per_term=1)["论坛"] == [["dali", 1.0]]     # forum ties at 1.0
