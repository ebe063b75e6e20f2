"""Assistant.ask on the real corpus with the real models, the citation invariants, and `lmc ask`.

The questions here are written for these tests (not copied from the gold set), except the invariant
test, which runs every dev question.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from assistant.followup import condense, looks_like_followup
from assistant.question import analyse, found
from assistant.refusal import EN_MESSAGE, ZH_MESSAGE
from assistant.sentences import split_document, terms


# ---------- fast unit tests (no models) ----------
def test_sentences_slice_back_to_the_document(documents):
    for doc in documents:
        sentences = split_document(doc.doc_id, doc.text)
        assert sentences
        for s in sentences:
            assert doc.text[s.start:s.end] == s.text
            if s.parallel:
                a, b = s.parallel
                assert s.lang == "zh" and not re.search(r"[\u4e00-\u9fff]{3}", doc.text[a:b])


def test_bilingual_sentences_are_aligned_with_their_translation(documents):
    doc = next(d for d in documents if "zh" in d.languages)
    sentences = split_document(doc.doc_id, doc.text)
    line = next(s for s in sentences if s.text.startswith("2025年4月8日至9日"))
    a, b = line.parallel
    assert doc.text[a:b].startswith("From April 8 to 9, 2025")


def test_two_chinese_lines_before_their_two_english_lines_are_paired_line_by_line(documents):
    text = ("第五座大桥正式通车。\n同时,老挝努力成为“亚洲电池”。\n"
            "The Fifth Bridge officially opened.\nLaos is also working to become the battery of Asia.\n"
            "两国贸易增长。\n贸易额创新高。\nTrade between the two countries grew to a record.\n")
    zh = {s.text: text[s.parallel[0]:s.parallel[1]] if s.parallel else None
          for s in split_document("t.txt", text) if s.lang == "zh"}
    assert zh["第五座大桥正式通车。"] == "The Fifth Bridge officially opened."
    assert zh["同时,老挝努力成为“亚洲电池”。"] == "Laos is also working to become the battery of Asia."
    assert zh["两国贸易增长。"] and zh["贸易额创新高。"]           # two lines, one English line: both within it
    doc = next(d for d in documents if "zh" in d.languages)      # and the real document's such pair
    battery = next(s for s in split_document(doc.doc_id, doc.text) if s.text.startswith("同时,老挝努力成为"))
    assert doc.text[battery.parallel[0]:battery.parallel[1]].startswith("Laos is also working to become")


def test_terms_unify_ordinals_and_inflections():
    assert terms("the eighth meeting") == terms("the 8th meetings")
    assert "10th" in terms("澜湄合作第十次外长会")
    assert "1th" in terms("首届澜湄国家科技创新大赛") and "1th" in terms("the first contest")
    assert set(terms("organized by")) == set(terms("organizer"))


def test_question_analysis_finds_type_and_parts():
    assert analyse("How many projects were signed?").wants[0] == "number"
    assert analyse("Who chaired the meeting?").wants == ("person",)
    assert analyse("What did the leader who spoke in Dali say?").wants == ()
    parts = analyse("Where were the third and the fourth forums held?").parts
    assert parts == ("Where were the third forums held?", "Where were the fourth forums held?")
    assert len(analyse("Where was X issued, and where was Y held?").parts) == 2
    assert len(analyse("What gathering was held in 2023, and at which place was the forum held?").parts) == 2
    assert len(analyse("How many projects were built, and staff from which institute took part?").parts) == 2
    assert len(analyse("China and Laos, which signed the deal, met where?").parts) == 1
    assert len(analyse("2025年论坛结束后,嘉宾体验了哪条廊道?").parts) == 1
    assert analyse("What is the estimated total construction cost of the railway?").wants[0] == "money"
    assert "money" not in analyse("What kind of study funding will be offered?").wants    # a kind, not a sum
    theme = analyse("What was the theme of the forum?")
    assert theme.wants == ("title",) and analyse("论坛的主题是什么?").wants == ("title",)
    assert found("title", 'The theme of this year\'s forum is "Building the Future Together".', theme)
    assert not found("title", "The theme of this forum embodies the spirit of unity.", theme)
    where = analyse("培训是在哪座城市举办的?")
    assert found("place", "a training program in\xa0Phnom Penh\xa0for teachers", where)   # no-break spaces
    who = analyse("Who attended for Laos?")
    assert found("person", "It was attended by Prime\xa0Minister Sonexay Siphandone of Laos.", who)
    assert not found("person", "It was attended by the Prime Minister of Laos.", who)
    areas = analyse("双方在哪些领域开展合作?")
    assert areas.wants == ("list",) and analyse("What are the three goals of the plan?").wants == ("list",)
    assert analyse("What did the plan focus on?").wants == () and analyse("Which city hosted it?").wants == ("place",)
    assert found("list", "The plan covers three goals: trade, tourism and health.", areas)
    assert found("list", "合作涵盖教育、医疗和农业。", areas) and found("list", "合作涵盖教育、医疗、农业等领域。", areas)
    assert not found("list", "The two sides signed a trade agreement in 2024.", areas)


def test_a_chinese_question_focuses_on_what_its_question_word_governs():
    assert analyse("论坛由哪个机构主办?").focus >= {"机构", "主办"}
    assert analyse("论坛的主题是什么?").focus == {"主题"}
    # 怎样的X, 什么样的X ask for X, not for the verb before the question word
    assert analyse("双方构建起了怎样的合作格局?").focus >= {"格局"}
    assert "构建" not in analyse("双方构建起了怎样的合作格局?").focus
    assert analyse("这为合作奠定了怎样的基础?").focus == {"基础"}
    assert analyse("他把澜湄合作定位为一种什么样的机制?").focus == {"机制"}
    assert "发挥" in analyse("倡议鼓励地方政府发挥什么来加强合作?").focus       # 什么来V: what is used to V
    assert "加强" not in analyse("倡议鼓励地方政府发挥什么来加强合作?").focus



def test_checks_count_only_numbers_that_count_what_is_asked():
    from assistant.checks import count_missing, counted, counted_zh, counts, day_missing
    projects = analyse("How many projects were signed?")
    nouns = counted(projects)
    assert counts("By 2025, 47 projects had been signed.", nouns)
    assert not counts("The 7th project forum was held in 2023.", nouns)      # an ordinal and a year count nothing
    tourists = counted(analyse("How many tourists travelled to Laos?"))
    assert counts("It carried 1.2 million foreign tourists.", tourists)
    assert not counts("Thailand introduced a five-month visa-free policy for Chinese tourists.", tourists)
    women = counted(analyse("培训了多少名老挝妇女?"))
    assert counts("培训了30名老挝妇女", women) and not counts("为中老两国妇女互学互鉴搭建平台", women)
    assert counted_zh(analyse("多少家中小微企业获得了贷款?")) == "中小微企业获" and counted_zh(projects) == ""
    assert count_missing(projects, ["The Fifth Friendship Bridge opened in 2023."])
    assert not count_missing(projects, ["47 projects were signed."])
    day = analyse("On which day did the forum open?")
    assert day_missing(day, ["The forum opened in 2025."]) and not day_missing(day, ["It opened on May 5, 2025."])


def test_condense_only_rewrites_followups():
    history = [{"role": "user", "content": "2025年中泰建交几周年?"}, {"role": "assistant", "content": "50周年 [1]"}]
    assert condense("那2023年呢?", history) == "2023年中泰建交几周年?"
    standalone = "Where was the third Lancang-Mekong Water Resources Cooperation Forum held?"
    assert condense(standalone, history) == standalone
    assert condense("And who attended it?", []) == "And who attended it?"
    assert looks_like_followup("And who attended it?") and not looks_like_followup(standalone)
    english = [{"role": "user", "content": "When was the 10th Lancang-Mekong Cooperation Foreign Ministers' Meeting held?"}]
    assert condense("What about the 8th?", english) == \
        "When was the 8th Lancang-Mekong Cooperation Foreign Ministers' Meeting held?"
    assert "10th Lancang-Mekong Cooperation Foreign Ministers' Meeting" in condense("And who co-chaired it?", english)


# ---------- real models on the real corpus ----------
@pytest.fixture(scope="module")
def assistant(real_index, real_settings):
    from assistant.answer import Assistant
    return Assistant(real_index, real_settings)


def verified(answer, assistant) -> None:
    """Every citation is verbatim at its offsets, every [n] names a citation and every citation is marked."""
    for c in answer.citations:
        assert c.quote and assistant.documents[c.doc_id][c.start:c.end] == c.quote
        assert c.chunk_id.startswith(c.doc_id + "#")
        if c.parallel_quote:
            assert assistant.documents[c.doc_id][c.parallel_start:c.parallel_end] == c.parallel_quote
    marked = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert marked == {c.label for c in answer.citations} == set(range(1, len(answer.citations) + 1))


@pytest.mark.model
def test_factoid(assistant):
    a = assistant.ask("Who presided over the opening ceremony of the forum held in Dali in November 2025?")
    assert not a.refused and "Xu Hao" in a.text and a.searched_for == a.question
    assert len(a.text) <= 400
    verified(a, assistant)


@pytest.mark.model
def test_numeric(assistant):
    a = assistant.ask("How many decentralized water supply demonstration projects did the first phase "
                      "of the Sweet Spring Action establish?")
    assert not a.refused and re.search(r"\b54\b", a.text)
    verified(a, assistant)


@pytest.mark.model
def test_several_parts_draw_on_several_documents(assistant):
    a = assistant.ask("Where were the third and the fourth Lancang-Mekong Water Resources Cooperation Forums held?")
    assert not a.refused and "Beijing" in a.text and "Wuhan" in a.text
    assert len({c.doc_id for c in a.citations}) >= 2
    verified(a, assistant)


@pytest.mark.model
def test_chinese_question_gets_a_chinese_quote_with_its_english_translation(assistant):
    a = assistant.ask("第四届澜湄水资源合作论坛在哪里举行?")
    assert not a.refused and a.lang == "zh" and "武汉" in a.text and not a.notes
    first = a.citations[0]
    assert first.lang == "zh" and "Wuhan" in first.parallel_quote
    verified(a, assistant)


@pytest.mark.model
def test_chinese_question_answered_from_an_english_source_says_so(assistant):
    a = assistant.ask("2025年澜湄地方政府合作论坛结束后,外国嘉宾在大理体验了哪条生态廊道?")     # gold a064
    assert not a.refused and "Erhai" in a.text
    assert a.notes == ("来源为英文。",) and a.text.startswith("来源为英文。")
    assert all(c.lang == "en" for c in a.citations)
    verified(a, assistant)


@pytest.mark.model
@pytest.mark.parametrize("question, message", [
    ("Which country will host the fifth Lancang-Mekong Cooperation Leaders' Meeting?", EN_MESSAGE),
    ("水星的沸点是多少摄氏度?", ZH_MESSAGE),              # about nothing the documents hold
    ("What is the boiling point of mercury?", EN_MESSAGE),
    ("a", EN_MESSAGE),                                   # nothing to match: refused, not "III. [1]"
    ("Who won the 1998 FIFA World Cup?", EN_MESSAGE),
])
def test_unanswerable_is_refused_in_the_users_language(assistant, question, message):
    a = assistant.ask(question)
    assert a.refused and a.text == message and a.citations == ()
    assert a.hits, "the closest passages are kept for the renderer"


@pytest.mark.model
def test_a_background_clause_does_not_make_the_question_about_it(assistant):
    a = assistant.ask("The Dali forum was held in 2025; where was it held?")
    assert not a.refused and "Dali" in a.text


@pytest.mark.model
def test_followup_is_searched_as_a_standalone_question(assistant):
    history = [{"role": "user", "content": "When was the 10th Lancang-Mekong Cooperation Foreign Ministers' Meeting held?"},
               {"role": "assistant", "content": "On August 15, 2025. [1]"}]
    a = assistant.ask("And who co-chaired it?", history)
    assert a.searched_for != a.question and "10th" in a.searched_for
    assert not a.refused and "Maris" in a.text
    verified(a, assistant)
    b = assistant.ask("What about the 8th?", history)
    assert "8th" in b.searched_for and "Beijing" in b.text


@pytest.mark.model
def test_every_dev_answer_keeps_the_citation_invariants(assistant):
    from evals.gold import load_questions
    questions = load_questions(split="dev")
    answers = assistant.ask_many([q["question"] for q in questions])
    assert len(answers) == len(questions)
    for q, a in zip(questions, answers):
        verified(a, assistant)
        assert a.refused == (not a.citations)
        assert a.text in (EN_MESSAGE, ZH_MESSAGE) if a.refused else a.text
    assert sum(len(a.citations) for a in answers) > len(questions) // 2


def test_verification_rejects_bad_citations(documents):
    from assistant.types import Citation
    from assistant.verify import problems
    from corpus.types import Chunk
    from index.types import Hit
    doc = next(d for d in documents if d.doc_id.startswith("002"))
    start = doc.text.index("The third Lancang-Mekong Water Resources Cooperation Forum")
    quote = doc.text[start:start + 84]                  # "... took place in Beijing" (with its no-break spaces)
    chunk = Chunk(f"{doc.doc_id}#7", doc.doc_id, doc.text[start - 50:start + 200], start - 50, start + 200)
    hits, texts = [Hit(chunk, 1.0, 1)], {doc.doc_id: doc.text}
    good = Citation(1, doc.doc_id, quote, start, start + len(quote), chunk.chunk_id)
    asked = set(terms("Where was the third water resources forum held?"))
    assert problems(good, quote + " [1]", texts, hits, asked, 0.0, 0.3) == []
    shifted = Citation(1, doc.doc_id, quote, start + 1, start + 1 + len(quote), chunk.chunk_id)
    assert "quote is not verbatim at its offsets" in problems(shifted, quote, texts, hits, asked, 0.0, 0.3)
    elsewhere = Citation(1, doc.doc_id, quote, start, start + len(quote), f"{doc.doc_id}#99")
    assert "quote does not come from a retrieved passage" in problems(elsewhere, quote, texts, hits, asked, 0.0, 0.3)
    assert "the citing sentence does not contain the quote" in problems(good, "Beijing hosted it.", texts, hits,
                                                                         asked, 0.0, 0.3)
    assert "quote shares nothing with the question" in problems(good, quote, texts, hits, {"visa"}, 0.1, 0.3)


@pytest.mark.model
def test_citations_failing_verification_are_dropped_and_the_rest_renumbered(assistant, monkeypatch):
    import assistant.answer as answer_module
    question = "Where were the third and the fourth Lancang-Mekong Water Resources Cooperation Forums held?"
    full = assistant.ask(question)
    dropped = full.citations[0].doc_id
    real = answer_module.problems

    def reject_one_document(citation, *args):
        return ["rejected for the test"] if citation.doc_id == dropped else real(citation, *args)

    monkeypatch.setattr(answer_module, "problems", reject_one_document)
    a = assistant.ask(question)
    assert a.citations and all(c.doc_id != dropped for c in a.citations)
    assert full.citations[0].quote not in a.text
    verified(a, assistant)


# ---------- lmc ask ----------
@pytest.mark.model
def test_cli_ask_json_and_batch(real_settings, tmp_path, capsys):
    from assistant.cli import main
    main(["ask", "--index", str(real_settings.index_dir), "--json", "--k", "5",
          "第四届澜湄水资源合作论坛在哪里举行?"])
    out = json.loads(capsys.readouterr().out)
    assert {"question", "answer", "refused", "searched_for", "citations"} <= set(out)
    assert out["citations"][0]["n"] == 1 and {"doc_id", "title", "start", "end", "quote"} <= set(out["citations"][0])
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "x1", "question": "Which country will host the fifth Lancang-Mekong '
                       'Cooperation Leaders\' Meeting?"}\n{"id": "x2", "question": "2025年中泰建交几周年?"}\n',
                       encoding="utf-8")
    main(["ask", "--index", str(real_settings.index_dir), "--jsonl", "--queries", str(queries)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == ["x1", "x2"]
    assert lines[0]["refused"] and lines[0]["closest"] and not lines[1]["refused"]


@pytest.mark.model
def test_cli_batch_reads_the_history_of_a_followup(real_settings, tmp_path, capsys):
    from assistant.cli import main
    first = "Where was the 2025 Lancang-Mekong Local Government Cooperation Forum held?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": "In Dali. [1]"}]
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": "alone", "question": "Who presided over its opening ceremony?"}) + "\n"
                       + json.dumps({"id": "follow", "question": "Who presided over its opening ceremony?",
                                     "history": history}) + "\n", encoding="utf-8")
    main(["ask", "--index", str(real_settings.index_dir), "--jsonl", "--queries", str(queries)])
    alone, follow = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert alone["searched_for"] == alone["question"]
    assert "Local Government Cooperation Forum" in follow["searched_for"] and "Xu Hao" in follow["answer"]
    main(["search", "--index", str(real_settings.index_dir), "--jsonl", "--queries", str(queries), "--k", "1"])
    alone, follow = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert alone["searched_for"] == alone["question"] and follow["searched_for"] != follow["question"]
    assert "Xu Hao" in follow["hits"][0]["text"]


@pytest.mark.model
def test_cli_ask_text_shows_sources_or_closest_passages(real_settings, capsys):
    from assistant.cli import main
    main(["ask", "--index", str(real_settings.index_dir), "水星的沸点是多少摄氏度?"])
    out = capsys.readouterr().out
    assert out.startswith(ZH_MESSAGE) and "Closest passages" in out


@pytest.mark.parametrize("argv, message", [
    (["ask", ""], "the question is empty"),
    (["ask"], "no question given"),
    (["ask", "--jsonl"], "batch mode needs both"),
])
def test_cli_ask_bad_input_is_one_line_and_nonzero(argv, message, capsys):
    from assistant.cli import main
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and message in err and "\n" not in err and "Traceback" not in err


