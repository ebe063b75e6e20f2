"""The model switch in a real browser: the model's draft streams into the chat, then the checked answer
replaces it; killing the model server mid-answer gives the extractive answer and a note.

The model here is the scripted server (tests/fake_llm.py), slow on purpose so that "mid-answer" is a
moment a test can see; in the kill test it runs in a process of its own, killed with SIGKILL.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys

import pytest

from assistant.app import build_app, launch
from assistant.llm_answer import LLMAssistant
from tests.fake_llm import FakeLLM
from tests.fakes import free_port
from tests.test_browser import WAIT, browser, page, shot  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.model]
FORUM_Q = "Where was the 2025 Lancang-Mekong Local Government Cooperation Forum held?"
DRAFT = "#lmc-chat .lmc-draft"


def serve_with_model(assistant, settings, url):
    settings = dataclasses.replace(settings, llm_url=url, answerer="llm", llm_timeout=60.0)
    demo = build_app(assistant, settings, llm=LLMAssistant(assistant, settings))
    return demo, launch(demo, "127.0.0.1", free_port(), block=False, quiet=True)


def test_the_model_draft_streams_then_the_checked_answer_replaces_it(page, assistant, real_settings):  # noqa: F811
    reply = (lambda a: f"The 2025 forum and the dialogue on historical and cultural cities were held in Dali "
                       f"from November 18th to 19th. [{a.find('November 18th')}] It was held in Dali. [999]")
    with FakeLLM(reply, piece_delay=0.2) as server:
        demo, url = serve_with_model(assistant, real_settings, server.url)
        try:
            page.goto(url)
            assert page.locator("#lmc-llm input[type=checkbox]").is_checked()
            page.locator("#lmc-question textarea").fill(FORUM_Q)
            page.locator("#lmc-send").click()
            page.wait_for_function(f"() => (document.querySelector('{DRAFT}') || {{}}).innerText?.includes('Dali')",
                                   timeout=WAIT)
            assert "not checked yet" in page.locator(DRAFT).inner_text()
            shot(page, "model-draft.png")
            answer = ask_done(page)
            text = answer.locator(".lmc-answer-text").inner_text()
            assert text == ("The 2025 forum and the dialogue on historical and cultural cities were held in Dali from "
                            "November 18th to 19th. [1]")
            assert "[999]" not in text and page.locator(DRAFT).count() == 0
            assert "1 of the model's 2 sentences were left out" in answer.inner_text()
            assert "held in Dali" in page.locator("#lmc-sources mark.lmc-quote").first.inner_text()
            shot(page, "model-answer.png")
        finally:
            demo.close()


def ask_done(page):
    page.wait_for_function("() => document.querySelectorAll('#lmc-chat .lmc-answer').length >= 1", timeout=WAIT)
    return page.locator("#lmc-chat .lmc-answer").last


def test_killing_the_model_server_mid_answer_shows_the_extractive_answer_and_a_note(page, assistant,  # noqa: F811
                                                                                     real_settings):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tests.fake_llm", "--port", str(port), "--piece-delay", "0.3"],
                              stdout=subprocess.PIPE, text=True)
    demo = None
    try:
        assert server.stdout.readline().strip() == "ready"
        demo, url = serve_with_model(assistant, real_settings, f"http://127.0.0.1:{port}/v1")
        page.goto(url)
        page.locator("#lmc-question textarea").fill(FORUM_Q)
        page.locator("#lmc-send").click()
        page.wait_for_function(f"() => (document.querySelector('{DRAFT}') || {{}}).innerText?.includes('slowly')",
                               timeout=WAIT)                                   # the model is mid-answer
        os.kill(server.pid, signal.SIGKILL)
        answer = ask_done(page)
        assert "Dali" in answer.inner_text() and answer.locator("a.lmc-cite").count() >= 1
        assert "The model's answer stopped midway, so the extractive step answered." in answer.inner_text()
        assert page.locator(DRAFT).count() == 0 and "slowly" not in page.locator("#lmc-chat").inner_text()
        shot(page, "model-killed.png")
    finally:
        server.kill()
        server.wait()
        if demo is not None:
            demo.close()
