"""Assistant.ask on the real corpus with the real models, the citation invariants, and `lmc ask`.

The questions here are written for these tests (not copied from the gold set), except the invariant
test, which runs every dev question.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from assistant.extract import countries
from assistant.followup import condense, looks_like_followup
from assistant.question import analyse, counted, counted_zh, counts, found
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


def test_how_many_needs_a_count_of_what_is_asked():
    projects = analyse("How many projects were signed?")
    nouns = counted(projects)
    assert counts("By 2025, 47 projects had been signed.", nouns)
    assert not counts("The 7th project forum was held in 2023.", nouns)      # an ordinal and a year count nothing
    assert not counts("In 2023 projects were signed.", nouns)
    tourists = counted(analyse("How many tourists travelled to Laos?"))
    assert counts("It carried 1.2 million foreign tourists.", tourists)
    assert not counts("Thailand introduced a five-month visa-free policy for Chinese tourists.", tourists)
    films = analyse("第七届澜湄国际电影周一共展映了多少部影片?")
    assert not counts("第七届澜湄国际电影周吸引了代表", counted(films))
    women = counted(analyse("培训了多少名老挝妇女?"))
    assert counts("培训了30名老挝妇女", women)
    assert not counts("为中老两国妇女互学互鉴搭建平台", women)      # 两国 counts countries, not women
    assert counted_zh(analyse("多少家中小微企业获得了贷款?")) == "中小微企业获"
    assert counted_zh(projects) == ""


def test_refusal_rules_for_days_units_editions_and_firms():
    from assistant.question import city_missing, day_missing, flow_missing, other_edition, unit_missing
    day = analyse("中老双方是在哪一天签署协议的?")
    assert day_missing(day, ["2025年,中老双方签署协议。"])                     # a year is not a day
    assert not day_missing(day, ["12月3日,中老双方签署协议。"])
    assert not day_missing(day, ["Date: 2025-04-01"])
    assert not day_missing(analyse("2025年4月建成的是几号公路?"), ["71C号国家公路通车"])   # 几号公路: a road's number
    metres = analyse("大桥全长多少米?")
    assert unit_missing(metres, ["2025年12月,第五座大桥正式通车。"])
    assert not unit_missing(metres, ["大桥全长1,170米。"])
    length = analyse("What is the planned total length of the railway?")
    assert unit_missing(length, ["The designed speed is 160 km/h."])              # a speed is not a length
    assert not unit_missing(length, ["The main line is over 390 km long."])
    assert not unit_missing(analyse("How many projects were signed?"), ["No number here."])   # no unit asked
    city = analyse("In which city is the centre based?")
    assert city_missing(city, ["The centre serves users in Laos, Cambodia and Myanmar."])     # countries only
    assert not city_missing(city, ["The centre opened in Vientiane in 2023."])
    assert city_missing(analyse("该中心位于哪座城市?"), ["该中心服务老挝、柬埔寨。"])
    assert not city_missing(analyse("该中心位于哪座城市?"), ["该中心在昆明市成立。"])
    assert not city_missing(analyse("Where is the centre based?"), ["It serves Laos."])     # "where" may be a country
    assert city_missing(analyse("妙瓦底属于缅甸哪个邦?"), ["妙瓦底地区的园区被清查。"])
    assert not city_missing(analyse("妙瓦底属于缅甸哪个邦?"), ["妙瓦底位于缅甸克伦邦。"])
    assert not city_missing(analyse("Which province hosted it?"), ["It was held in Yunnan Province."])
    station = analyse("中老铁路“一地两检”将在哪个车站实施?")
    assert city_missing(station, ["双方正式签署中老铁路“一地两检”政府间协议。"])
    assert not city_missing(station, ["“一地两检”将在万象站实施。"])
    assert not city_missing(analyse("At which station did the train arrive?"), ["It reached Vientiane Station."])
    exports = analyse("2025年柬埔寨对中国的出口额是多少亿美元?")
    assert flow_missing(exports, ["2025年双边贸易额达222.8亿美元。"])              # a trade total, not exports
    assert flow_missing(exports, ["2025年进出口值同比增长6.3%。"])                 # both flows together
    assert not flow_missing(exports, ["2025年柬埔寨对华出口额达30亿美元。"])
    imports = analyse("How much did China import from Laos?")
    assert flow_missing(imports, ["The import and export value between the two rose 6.3%."])
    assert not flow_missing(imports, ["China imported 2 million tons of cassava from Laos."])
    assert not flow_missing(analyse("云南对五国进出口值增长多少?"), ["进出口值同比增长6.3%。"])   # the total is asked
    first = analyse("When was the first joint patrol carried out?")
    assert other_edition(first, [frozenset(terms("the 160th joint patrol concluded"))])
    assert not other_edition(first, [frozenset(terms("the first joint patrol set off in 2011"))])
    assert not other_edition(first, [frozenset(terms("the joint patrol set off in 2011"))])     # no edition named
    assert not other_edition(analyse("When was the joint patrol?"), [frozenset(terms("the 160th patrol"))])
    assert other_edition(analyse("Where was the inaugural forum held?"), [frozenset(terms("the third forum"))])
    assert not other_edition(analyse("第十次外长会在哪里举行?"),
                             [frozenset(terms("the 10th meeting was held for the first time in Anning"))])
    firm = analyse("越南铁路项目由哪家企业负责承建?")
    assert firm.wants[0] == "company" and analyse("Which country's team won the open?").wants[0] == "company"
    assert found("company", "由中国铁建股份有限公司承建", firm)
    assert found("company", "It was built by China Railway Group Limited.", firm)
    assert not found("company", "越南北部老街省举行开工仪式", firm)
    assert analyse("具体涉及哪几个方面?").wants == ("list",) and counted(analyse("具体涉及哪几个方面?")) == frozenset()


def test_chinese_how_many_is_checked_against_english_sentences(assistant):
    """多少个X asks for a count of X; an English sentence answers when a number counts X's translation."""
    english = assistant._counted_english(analyse("建成了多少个分散式供水工程?"))
    assert "project" in english or "engineer" in english
    assert counts("It built 54 decentralized water supply projects.", english)
    assert not counts("It was built in 2023 by the 7th team.", english)


def test_countries_are_named_in_both_languages_and_other_places_are_not_countries():
    assert countries("2025年中缅双边贸易额是多少?") == {"myanmar"}
    assert countries("柬、中、老、缅、泰、越六国执法部门") == {"cambodia", "laos", "myanmar", "thailand", "vietnam"}
    assert countries("the China-Laos Railway and Thai tourists") == {"laos", "thailand"}
    assert countries("老街—河内—海防铁路, Lao Cai station, 越来越多") == frozenset()


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
    a = assistant.ask("2025年大理澜湄地方政府合作论坛结束后,外国嘉宾参观了哪条生态廊道?")
    assert not a.refused and "Erhai" in a.text
    assert a.notes == ("来源为英文。",) and a.text.startswith("来源为英文。")
    assert all(c.lang == "en" for c in a.citations)
    verified(a, assistant)


@pytest.mark.model
@pytest.mark.parametrize("question, message", [
    ("Which country will host the fifth Lancang-Mekong Cooperation Leaders' Meeting?", EN_MESSAGE),
    ("澜湄青年天体科学研究中心的首任主任是谁?", ZH_MESSAGE),
    ("How much money did the fund spend on the Dali forum?", EN_MESSAGE),
    ("a", EN_MESSAGE),                                   # nothing to match: refused, not "III. [1]"
    ("The Dali forum was held in 2025; where was the 2022 forum held?", EN_MESSAGE),   # 2025 is background
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
    main(["ask", "--index", str(real_settings.index_dir), "澜湄青年天体科学研究中心的首任主任是谁?"])
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


def test_sentence_features_see_other_years_editions_and_the_named_source():
    from assistant.extract import candidates, score_table
    from assistant.sentences import SentenceTable
    from corpus.types import Chunk
    from index.types import Hit
    docs = {"a.txt": "Home / News\n\nIn 2023 the countries held a media summit. In 2025 they held a film week. "
                     "The 8th meeting was held in Beijing.",
            "b.txt": "In 2023 the countries also held a trade fair.",
            "c.txt": "The countries held a film week."}
    table = SentenceTable(docs)
    hits = [Hit(Chunk(f"{d}#0", d, t, 0, len(t)), 1.0, i + 1) for i, (d, t) in enumerate(docs.items())]
    q = analyse("Which event was held in 2023 according to the portal?")
    q = dataclasses.replace(q, sources=frozenset({"a.txt"}))
    title_years = {"c.txt": frozenset({"2025"}), "b.txt": frozenset({"2024"})}     # "Top 10 News of 2025"
    rows = score_table(cands := candidates(table, hits, q, years=title_years), q, table, 0.6).whole
    row = {c.sentence.text: f for c, f in zip(cands, rows)}
    assert row["In 2025 they held a film week."]["clash"] == 1.0           # only another year
    assert row["In 2023 the countries held a media summit."]["clash"] == 0.0
    assert row["The 8th meeting was held in Beijing."]["clash"] == 0.0     # no year: no clash
    assert row["The countries held a film week."]["clash"] == 1.0          # no year: its title's, 2025
    assert row["In 2023 the countries also held a trade fair."]["clash"] == 0.0   # its own year first
    assert row["In 2023 the countries held a media summit."]["source"] == 1.0
    assert row["In 2023 the countries also held a trade fair."]["source"] == 0.0   # another document
    assert row["Home / News"]["source"] == 0.0                              # before the first statement


def _answered_signals(text: str, question: str):
    """The refusal signals of `question` over one document holding `text`, wholly retrieved, with
    the sentences the answer step chooses."""
    from assistant import refusal
    from assistant.answer import Tuning
    from assistant.config import Settings
    from assistant.extract import candidates, select
    from assistant.sentences import SentenceTable
    from corpus.types import Chunk
    from index.types import Hit
    table = SentenceTable({"w.txt": text})
    hits = [Hit(Chunk("w.txt#0", "w.txt", text, 0, len(text)), 1.0, 1)]
    q = analyse(question)
    choices = select(candidates(table, hits, q), q, table, Tuning.from_settings(Settings()))
    assert choices
    near = [table.near(c.candidate.sentence, 6) | set(terms(c.candidate.hit.chunk.text)) for c in choices]
    return refusal.measure(q, choices, hits, near)


def test_a_date_of_another_edition_does_not_answer_which_day():
    from assistant import refusal
    from assistant.config import Settings
    text = ("The 4th water forum opened on September 24 in Wuhan. The 3rd water forum was held in Beijing "
            "to deepen water cooperation. Experts from six countries attended the 3rd water forum.")

    def typed(question):
        signals = _answered_signals(text, question)
        return not refusal.should_refuse(signals, Settings()) and signals.typed
    assert not typed("On which day did the 3rd water forum open?")      # only the 4th's day is given
    assert typed("On which day did the 4th water forum open?")
    assert "day" in _answered_signals(text, "On which day did the 3rd water forum open?").reasons
    assert _answered_signals(text, "On which day did the 4th water forum open?").reasons == ()


def test_a_topic_found_only_for_another_year_is_refused():
    from assistant import refusal
    from assistant.config import Settings
    from assistant.extract import Choice, candidates, score_table
    from assistant.sentences import SentenceTable
    from corpus.types import Chunk
    from index.types import Hit
    text = ("In 2025 the Future Diplomats Program was held in Dalian and Haikou. "
            "In 2023 the Belt and Road Forum took place in Beijing.")
    table = SentenceTable({"w.txt": text})
    hits = [Hit(Chunk("w.txt#0", "w.txt", text, 0, len(text)), 1.0, 1)]

    def refused(question):                          # both sentences chosen: the refusal rule alone decides
        q = analyse(question)
        cands = candidates(table, hits, q)
        for c, f in zip(cands, score_table(cands, q, table, 0.6).whole):
            c.scores = f
        choices = [Choice(c, c.sentence.start, c.sentence.end, 1.0) for c in cands]
        near = [set(terms(text)) for _ in choices]
        return refusal.should_refuse(refusal.measure(q, choices, hits, near), Settings())
    assert refused("In which city was the 2023 Future Diplomats Program held?")   # only the 2025 one is told
    assert not refused("In which city was the 2025 Future Diplomats Program held?")


def test_an_answer_only_about_another_country_or_year_is_refused():
    from assistant import refusal
    from assistant.config import Settings
    text = ("The rice yield pilot project in Laos raised rice yields per unit by 47.4 percent. "
            "In 2025 the fair drew 300 exhibitors.")

    def refused(question):
        return refusal.should_refuse(_answered_signals(text, question), Settings())
    assert refused("By what percentage did the rice yield pilot project raise rice yields in Cambodia?")
    assert not refused("By what percentage did the rice yield pilot project raise rice yields in Laos?")
    assert refused("How many exhibitors did the fair draw in 2024?")
    assert not refused("How many exhibitors did the fair draw in 2025?")


@pytest.mark.model
def test_chinese_words_the_learned_lexicon_lacks_come_from_the_dictionary_trusted_less(assistant):
    q = assistant._translate(analyse("六国如何增进相互了解,提升通关便利化?"))
    english = dict(q.english)
    assert "相互" not in assistant.lexicon.entries and "通关" in assistant.lexicon.entries
    assert english["mutual"] == assistant.settings.answer_dictionary_confidence        # CC-CEDICT: 相互
    assert english["clearanc"] > assistant.settings.answer_dictionary_confidence       # learned: 通关


def test_a_sentence_knows_the_heading_or_byline_of_its_section():
    from assistant.sentences import SentenceTable, terms
    text = ("Top news of the year\nThe forum opened in Dali.\n"
            "Soy Sopheap, Director of DAP Media Center, Cambodia\n"
            "The region needs better ways to manage disputes. Trust must deepen.\n[Read More]\n"
            "Trade grew fast.\nKatai Manosa, News Anchor at Lao National Radio\nTrains carry durians.\n")
    table = SentenceTable({"d.txt": text})
    by_text = {s.text: s for s in table.by_doc["d.txt"]}
    byline = set(terms("Soy Sopheap, Director of DAP Media Center, Cambodia"))
    assert table.is_label(by_text["Soy Sopheap, Director of DAP Media Center, Cambodia"])
    assert not table.is_label(by_text["Top news of the year"])               # before the first statement
    assert table.heading(by_text["The forum opened in Dali."]) == frozenset()
    assert table.heading(by_text["Trust must deepen."]) == byline
    assert table.heading(by_text["Trade grew fast."]) == byline                 # "[Read More]" starts no section
    assert "katai" in table.heading(by_text["Trains carry durians."]) and "sopheap" not in table.heading(
        by_text["Trains carry durians."])


def test_a_count_is_not_answered_by_an_ordinal_a_year_or_a_count_of_countries():
    from assistant.question import analyse, count_missing
    en = analyse("How many volunteers joined the clinic in Vientiane?")
    assert count_missing(en, ["In December 2025, the Fifth Friendship Bridge officially opened."])
    assert not count_missing(en, ["Some 120 volunteers joined the clinic."])
    assert not count_missing(en, ["Twelve volunteers joined."])
    zh = analyse("参加义诊活动的中国医疗志愿者一共有多少人?")
    assert count_missing(zh, ["活动汇聚中老两国优质医疗资源,为患儿送去希望。"])
    assert not count_missing(zh, ["共有30名志愿者参加义诊。"])
    assert not count_missing(analyse("Which edition of the forum was it?"), ["the fifth forum"])   # not a count


def test_a_theme_or_a_post_asked_must_be_stated():
    from assistant.question import analyse, slot_missing
    theme = analyse("What was the theme of the fourth Leaders' Meeting?")
    assert slot_missing(theme, ['The meeting adopted the "Naypyidaw Declaration".'])
    assert not slot_missing(theme, ['The meeting was held under the theme "Peace and Prosperity".'])
    assert not slot_missing(analyse("澜湄合作第十次外长会的主题是什么?"), ["主题为“金色10年”的第十次外长会在安宁举行。"])
    post = analyse("What official position does Chen Xiao hold?")
    assert slot_missing(post, ["Translated by Chen Xiao"])
    assert not slot_missing(post, ["Chen Xiao, Deputy Director of the Center"])
    assert not slot_missing(analyse("Who translated the article?"), ["Translated by Chen Xiao"])   # no slot asked


def test_a_sentence_restating_the_question_brings_the_next_one_of_its_paragraph():
    import dataclasses
    from assistant.answer import Tuning
    from assistant.config import Settings
    from assistant.extract import candidates, follow_on, select
    from assistant.question import analyse
    from assistant.sentences import SentenceTable
    from index.types import Chunk, Hit
    text = ("The railway opened in 2021 and carries passengers every day.\n"
            "Now the railway runs regular dedicated trains for farm products. "
            "Exports of beef and durians to China have risen sharply.\n"
            "Tourism in Laos is growing fast as well.\n")
    table = SentenceTable({"r.txt": text})
    hits = [Hit(Chunk("r.txt#0", "r.txt", text, 0, len(text)), 1.0, 1)]
    q = analyse("Which goods now go to China in bulk, now that the railway runs regular dedicated trains for farm products?")
    tuning = Tuning.from_settings(Settings())
    pool = candidates(table, hits, q)
    chosen = select(pool, q, table, tuning)
    assert [c.candidate.sentence.text for c in chosen] == ["Now the railway runs regular dedicated trains for farm products."]
    quotes = [text[c.start:c.end] for c in follow_on(pool, chosen, q, table, tuning)]
    assert quotes == ["Now the railway runs regular dedicated trains for farm products.",
                      "Exports of beef and durians to China have risen sharply."]
    assert follow_on(pool, chosen, q, table, dataclasses.replace(tuning, restated=0.0)) == chosen


def test_why_a_refusal_refused_names_the_most_specific_failed_check():
    from assistant.config import Settings
    from assistant.refusal import WHY, Signals, why
    def signals(*reasons, missing=0.0):
        return Signals(0.5, 0.5, missing, 0.4, 1.0, reasons)
    assert why(signals("type", "flow"), "zh", Settings()) == WHY["flow"][1]
    assert why(signals("type", "flow"), "en", Settings()) == WHY["flow"][0]
    assert why(signals("missing", missing=0.4), "en", Settings()) == ""      # under refuse_max_missing: no refusal
    assert why(signals("missing", missing=1.0), "en", Settings()) == WHY["missing"][0]
    assert why(signals(), "en", Settings()) == ""


@pytest.mark.model
def test_a_refusal_on_imports_says_the_documents_give_only_total_trade(assistant):
    from assistant.refusal import WHY
    a = assistant.ask("2025年中国从湄公河五国的进口额是多少亿美元?")
    assert a.refused and a.text == ZH_MESSAGE and a.notes == (WHY["flow"][1],)
