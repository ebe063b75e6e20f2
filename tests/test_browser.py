"""The app in a real browser: Debian chromium driven by Playwright, against the real served app.

Screenshots go to test-artifacts/ (git-ignored). LMC_UPDATE_SCREENSHOT=1 also copies the answer
with its highlighted quote to docs/screenshot.png for the README.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
from pathlib import Path

import pytest

from assistant.app import build_app, launch

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
FORUM_Q = "Where was the 2025 Lancang-Mekong Local Government Cooperation Forum held?"
EVIL_SCRIPT = "<script>window.pwned=1</script>"
EVIL_IMG = '<img src=x onerror="window.pwned=1">'
WAIT = 60_000


def serve(assistant, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = build_app(assistant, settings)
    return demo, launch(demo, "127.0.0.1", port, block=False, quiet=True)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM}; install it with `make browser`")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_url(real_index, real_settings):
    from assistant.answer import Assistant
    demo, url = serve(Assistant(real_index, real_settings), real_settings)
    yield url
    demo.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    yield page
    context.close()


def ask(page, question: str):
    page.locator("#lmc-question textarea").fill(question)
    page.locator("#lmc-send").click()
    page.wait_for_function("(n) => document.querySelectorAll('#lmc-chat .lmc-answer').length >= n",
                           arg=1, timeout=WAIT)
    page.wait_for_function("() => document.querySelector('#lmc-question textarea').value === ''", timeout=WAIT)
    return page.locator("#lmc-chat .lmc-answer").last


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.wait_for_timeout(400)                      # let the "pending" fade of the outputs finish
    page.screenshot(path=str(path))
    return path


def quote_is_visible_in_viewer(page) -> bool:
    return page.evaluate("""() => {
        const m = document.querySelector('#lmc-viewer mark#quote');
        if (!m) return false;
        const r = m.getBoundingClientRect();
        let box = m.parentElement;
        while (box && box.scrollHeight <= box.clientHeight) box = box.parentElement;
        const v = (box || document.documentElement).getBoundingClientRect();
        return r.height > 0 && r.top >= Math.max(v.top, 0) - 1 && r.bottom <= Math.min(v.bottom, innerHeight) + 1;
    }""")


def test_answer_then_click_citation_opens_document_at_the_highlighted_quote(page, app_url):
    page.goto(app_url)
    answer = ask(page, FORUM_Q)
    assert "[1]" in answer.inner_text() and "Dali" in answer.inner_text()
    quote = page.locator("#lmc-sources mark.lmc-quote").first.inner_text()
    answer.locator("a.lmc-cite", has_text="[1]").click()
    mark = page.locator("#lmc-viewer mark#quote")
    mark.wait_for(timeout=WAIT)
    assert mark.inner_text() == quote and page.locator("#lmc-viewer mark#quote").count() == 1
    page.wait_for_timeout(300)
    assert quote_is_visible_in_viewer(page)
    page.evaluate("window.scrollTo(0, 0)")
    path = shot(page, "answer-with-quote.png")
    if os.environ.get("LMC_UPDATE_SCREENSHOT"):
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(path, ROOT / "docs" / "screenshot.png")
    page.locator("#lmc-copy").click()
    copied = page.wait_for_function("() => navigator.clipboard.readText()", timeout=WAIT).json_value()
    assert copied.startswith(answer.locator(".lmc-answer-text").inner_text()[:40]) and f'"{quote}"' in copied


def test_chinese_answer_shows_the_bilingual_document_as_aligned_pairs(page, app_url):
    page.goto(app_url)
    answer = ask(page, "关累港口岸是什么时候正式对外开放的?")
    page.locator("#lmc-sources a.lmc-cite").first.click()          # [1] in the panel opens it too
    page.locator("#lmc-viewer mark#quote").wait_for(timeout=WAIT)
    row = page.locator("#lmc-viewer table.lmc-pairs tr", has=page.locator("mark#quote"))
    assert "2024年12月" in row.locator("td").nth(0).inner_text()
    assert "Guanlei Port" in row.locator("td").nth(1).locator("mark.lmc-parallel").inner_text()
    assert "[1]" in answer.inner_text()
    shot(page, "chinese-bilingual.png")


def test_refusal_is_shown_as_a_refusal(page, app_url):
    page.goto(app_url)
    answer = ask(page, "What is the recipe for chocolate cake?")
    assert "lmc-refusal" in answer.get_attribute("class") and "Not in the documents" in answer.inner_text()
    assert "Closest passages (they do not answer the question)" in page.locator("#lmc-sources").inner_text()
    shot(page, "refusal.png")


@pytest.fixture(scope="module")
def evil_url(tmp_path_factory, real_settings):
    """An app over a one-document corpus whose text and title carry script and onerror payloads."""
    from assistant.answer import Assistant
    from index.store import open_index
    root = tmp_path_factory.mktemp("evil")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "evil.txt").write_text(
        f"The Mekong River Festival {EVIL_SCRIPT} is held every April in Luang Prabang, Laos.\n"
        f"Boats race on the Mekong River {EVIL_IMG} while families gather on the banks.\n", encoding="utf-8")
    (corpus / "manifest.json").write_text(json.dumps({"documents": {"evil.txt": {
        "title": f"Festival {EVIL_IMG}", "publisher": EVIL_SCRIPT, "date": "2025-04"}}}), encoding="utf-8")
    settings = dataclasses.replace(real_settings, corpus_dir=corpus, index_dir=root / "index")
    index = open_index(settings, log=lambda m: None, progress=False)
    demo, url = serve(Assistant(index, settings), settings)
    yield url
    demo.close()


def test_document_markup_is_shown_as_text_and_never_runs(page, evil_url):
    page.goto(evil_url)
    answer = ask(page, f"Where is the Mekong River Festival held? {EVIL_IMG}")
    assert EVIL_IMG in page.locator("#lmc-chat").inner_text()          # the question, shown as typed
    links = answer.locator("a.lmc-cite")
    (links.first if links.count() else page.locator("#lmc-sources a.lmc-cite").first).click()
    viewer = page.locator("#lmc-viewer")
    viewer.locator("mark#quote").wait_for(timeout=WAIT)
    shown = viewer.inner_text()
    assert EVIL_SCRIPT in shown and EVIL_IMG in shown and f"Festival {EVIL_IMG}" in shown
    assert EVIL_IMG in page.locator("#lmc-sources").inner_text()
    assert page.locator("img[src=x]").count() == 0 and page.locator("#lmc-viewer script").count() == 0
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.pwned") == "undefined"
    shot(page, "escaped-document.png")


# ---------- the Documents tab ----------

WATER_EN = "The Seventh Mekong Water Dialogue will be held in Pakse on 9 October 2026."
WATER_ZH = "第七次湄公河水资源对话将于2026年10月9日在老挝巴色举行。"


@pytest.fixture(scope="module")
def library_app(tmp_path_factory, real_index, real_settings):
    """The app over a copy of the real index, so what the browser adds lands in a temporary library."""
    from assistant.answer import Assistant
    from corpus import load_corpus
    from index.store import open_index
    root = tmp_path_factory.mktemp("library-app")
    shutil.copytree(real_settings.index_dir, root / "lmc" / "index")
    settings = dataclasses.replace(real_settings, index_dir=root / "lmc" / "index")
    index = open_index(settings, log=lambda m: None, progress=False)
    demo, url = serve(Assistant(index, settings, load_corpus(settings)), settings)
    yield url
    demo.close()


def test_documents_tab_adds_a_pdf_and_the_chat_cites_it_with_its_page(page, library_app, tmp_path):
    from evals.samples import html_page, print_pdf
    filler = [f"Section {i} of the notice lists the delegations, the agenda and the side events planned for the "
              f"meeting, with the contact points of each of the six countries for the year {2020 + i}." for i in (1, 2, 3)]
    pdf = print_pdf(html_page("Water Dialogue Notice 水资源对话通知", [*filler, WATER_EN, WATER_ZH], "zh",
                              page_breaks={3}), tmp_path / "water-notice.pdf")
    menu = tmp_path / "menu.html"
    menu.write_text("<html><body><nav>" + "".join(f'<a href="/{i}">Home {i}</a>' for i in range(9)) + "</nav></body></html>")
    page.goto(library_app)
    page.get_by_role("tab", name="Documents").click()
    page.locator("#lmc-upload input[type=file]").set_input_files([str(pdf), str(menu)])
    page.locator("#lmc-upload", has_text="menu").wait_for(timeout=WAIT)       # the name shows as "menu" + ".html"
    page.locator("#lmc-add").click()
    result = page.locator("#lmc-add-result li", has_text="added water-notice.pdf")
    result.wait_for(timeout=4 * WAIT)
    assert "2 pages" in result.inner_text()
    refused = page.locator("#lmc-add-result li.lmc-refused").inner_text()
    assert refused.startswith("refused menu.html: no main text")
    page.locator("#lmc-library", has_text="water-notice.pdf").wait_for(timeout=WAIT)
    path = shot(page, "documents-tab.png")
    if os.environ.get("LMC_UPDATE_SCREENSHOT"):
        shutil.copyfile(path, ROOT / "docs" / "documents.png")
    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, "Where will the Seventh Mekong Water Dialogue be held?")
    assert "Pakse" in answer.inner_text()
    assert "p. 2" in page.locator("#lmc-sources .lmc-source").first.inner_text()
    answer.locator("a.lmc-cite", has_text="[1]").click()
    page.locator("#lmc-viewer mark#quote").wait_for(timeout=WAIT)
    on_page = page.locator("#lmc-viewer .lmc-page", has=page.locator("mark#quote"))
    assert on_page.get_attribute("data-page") == "2" and "Pakse" in on_page.inner_text()
    shot(page, "added-pdf-cited.png")
