"""The app, served for real on a free loopback port, through gradio_client; and the chat function.

The real index, the real models and the real Assistant: the questions are ones whose answers the
documents hold (or plainly do not), and the checks are on meaning and on offsets.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.fakes import free_port

from assistant.app import build_app, chat, history_of, launch
from corpus import DEFAULT_CORPUS, load_documents

pytestmark = pytest.mark.model

FORUM_Q = "Where was the 2025 Lancang-Mekong Local Government Cooperation Forum held?"
FOLLOW_UP = "Who presided over its opening ceremony?"
REFUSE_Q = "What is the recipe for chocolate cake?"
ZH_Q = "关累港口岸是什么时候正式对外开放的?"
TEXTS = {d.doc_id: d.text for d in load_documents(DEFAULT_CORPUS)}


@pytest.fixture(scope="module")
def served(assistant, real_settings):
    demo = build_app(assistant, real_settings)
    url = launch(demo, "127.0.0.1", free_port(), block=False, quiet=True)
    yield demo, url
    demo.close()


@pytest.fixture()
def client(served):
    from gradio_client import Client
    return Client(served[1], verbose=False)


def marks(markup: str) -> list[str]:
    """The text inside each <mark class="lmc-quote"> of some HTML, joined per id-less run."""
    class P(HTMLParser):
        out, inside = [], False

        def handle_starttag(self, tag, attrs):
            if tag == "mark" and ("class", "lmc-quote") in attrs:
                self.inside = True
                self.out.append("")

        def handle_endtag(self, tag):
            self.inside = self.inside and tag != "mark"

        def handle_data(self, data):
            if self.inside:
                self.out[-1] += data
    p = P()
    p.out = []
    p.feed(markup)
    return p.out


def message_text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def assert_verbatim(citations):
    for c in citations:
        assert TEXTS[c["doc_id"]][c["start"]:c["end"]] == c["quote"]


def test_ask_answers_with_numbered_verbatim_citations(client):
    r = client.predict(FORUM_Q, api_name="/ask")
    assert not r["refused"] and "[1]" in r["text"] and "Dali" in r["text"]
    assert [c["n"] for c in r["citations"]] == list(range(1, len(r["citations"]) + 1))
    assert r["citations"][0]["title"].startswith("2025 Lancang-Mekong Local Government Cooperation Forum")
    assert_verbatim(r["citations"])
    assert len(client.predict(FORUM_Q, 3, api_name="/ask")["hits"]) == 3


def test_follow_up_is_searched_as_a_standalone_question(client):
    first = client.predict(FORUM_Q, api_name="/ask")
    history = [{"role": "user", "content": FORUM_Q}, {"role": "assistant", "content": first["text"]}]
    r = client.predict(FOLLOW_UP, 10, history, api_name="/ask")
    assert r["searched_for"] != FOLLOW_UP and "Forum" in r["searched_for"]
    assert not r["refused"] and "Xu Hao" in r["text"]
    assert_verbatim(r["citations"])


def test_chat_endpoint_keeps_history_and_shows_what_was_searched(client):
    client.predict(FORUM_Q, api_name="/chat")
    messages, sources, copied, box = client.predict(FOLLOW_UP, api_name="/chat")
    assert [m["role"] for m in messages] == ["user", "assistant"] * 2 and box == ""
    assert "Searched for:" in message_text(messages[-1]) and 'href="#ref-1:c:1"' in message_text(messages[-1])
    assert "Xu Hao" in "".join(marks(sources)) and "Sources:" in copied
    viewer = client.predict("1:c:1", api_name="/open_citation")
    assert 'id="quote"' in viewer and marks(viewer)[0] in copied


def test_document_and_language_filters_reach_the_search(client):
    titles = {d.doc_id: d.title for d in load_documents(DEFAULT_CORPUS)}
    initiative, bilingual = "004_85bdbe627ba72a52.txt", "003_f1e44591df7b45bd.txt"
    for args, allowed in (((FORUM_Q, 5, [initiative], "any"), initiative), ((FORUM_Q, 5, [], "zh"), bilingual)):
        _, sources, _, _ = client.predict(*args, api_name="/chat")
        shown = {doc_id for doc_id, title in titles.items() if escape(title) in sources}
        assert shown == {allowed}


def test_refusal_is_a_refusal_with_closest_passages_labelled(client):
    r = client.predict(REFUSE_Q, api_name="/ask")
    assert r["refused"] and r["citations"] == [] and "[1]" not in r["text"]
    messages, sources, _, _ = client.predict(REFUSE_Q, api_name="/chat")
    assert "lmc-refusal" in message_text(messages[-1])
    assert "Closest passages (they do not answer the question)" in sources


def test_chinese_question_is_answered_from_the_bilingual_report(client):
    r = client.predict(ZH_Q, api_name="/ask")
    assert not r["refused"] and r["lang"] == "zh" and "[1]" in r["text"]
    assert r["citations"][0]["doc_id"].startswith("003_") and "2024年12月" in r["citations"][0]["quote"]
    assert r["citations"][0]["parallel_quote"].startswith("Guanlei Port")
    assert_verbatim(r["citations"])


def test_bad_input_is_a_clear_error_not_a_traceback(client):
    from gradio_client.exceptions import AppError
    for args, words in ((("   ",), "empty"), ((FORUM_Q, 0), "k must be"), (("x" * 3000,), "limit"),
                        ((FORUM_Q, 5, [{"role": "robot"}]), "history must be")):
        with pytest.raises(AppError, match=words) as info:
            client.predict(*args, api_name="/ask")
        assert "Traceback" not in str(info.value)
    with pytest.raises(AppError, match="no such citation"):
        client.predict("9:c:1", api_name="/open_citation")


def test_evaluation_endpoint_reports_metrics_and_a_chart(client):
    table, figures, chart, failures = client.predict("dev", False, api_name="/evaluate")
    rows = {row[0]: row for row in table["data"]}
    assert table["headers"][:3] == ["group", "n", "Success@1"]
    assert rows["all"][1] > 20 and all(0.0 <= float(x) <= 1.0 for x in rows["all"][2:])
    assert Path(chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert failures["headers"][0] == "id"


def test_served_on_loopback_without_analytics(served):
    demo, url = served
    assert url.startswith("http://127.0.0.1:") and demo.server_name == "127.0.0.1"
    assert demo.analytics_enabled is False


def test_chat_function_called_directly_carries_history(assistant):
    answer, turns = chat(assistant, FORUM_Q, [])
    assert "Dali" in answer.text and len(turns) == 1
    follow, turns = chat(assistant, FOLLOW_UP, turns)
    assert history_of(turns[:1]) == [{"role": "user", "content": FORUM_Q},
                                     {"role": "assistant", "content": answer.text}]
    assert follow.searched_for != FOLLOW_UP and not follow.refused and len(turns) == 2


def test_lmc_serve_answers_as_soon_as_it_says_ready(real_index, real_settings, tmp_path):
    import queue
    import re
    import threading

    from gradio_client import Client
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "lmc"), "serve", "--port", str(port),
                             "--index", str(real_settings.index_dir)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=tmp_path)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True).start()
    try:
        line = ""
        while not line.startswith("Ready in"):
            line = lines.get(timeout=300)
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        assert url == f"http://127.0.0.1:{port}/"
        r = Client(url, verbose=False).predict(ZH_Q, api_name="/ask")
        assert not r["refused"] and "2024年12月" in r["text"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_lmc_serve_refuses_a_busy_port_in_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([str(Path(sys.executable).parent / "lmc"), "serve", "--port", str(port)],
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2 and f"127.0.0.1:{port}" in done.stderr and "another --port" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_refusal_says_why_when_a_check_knows(client):
    from assistant.refusal import WHY
    question = "Which country will host the fifth Lancang-Mekong Cooperation Leaders' Meeting?"  # no fifth
    r = client.predict(question, api_name="/ask")
    assert r["refused"] and r["citations"] == [] and r["notes"] == [WHY["missing"][0]]
    messages, _, _, _ = client.predict(question, api_name="/chat")
    assert WHY["missing"][0] in message_text(messages[-1])
