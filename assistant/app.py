"""The chat app: a thin Gradio shell over Assistant.ask.

    build_app(assistant, settings) -> gr.Blocks      launch(demo, host, port)      serve(settings, ...)

The chat step is a plain function, `chat(assistant, question, turns)`, that tests call directly; with a
model answerer (`lmc serve --answerer llm`, or LMC_LLM_URL set) the app gains a switch, and
`app_llm.chat_stream(llm, question, turns)` streams the model's draft until the checked answer replaces it.
Endpoints (gradio_client): /ask (question, k, history -> JSON), /chat (the UI step, stateful),
/open_citation (a ref such as "0:c:1" -> the document viewer's HTML), /evaluate (the Evaluation tab),
/add_documents, /remove_document and /list_documents (the Documents tab, assistant/app_library.py).

What the chat answers from is held in a Live: when the Documents tab finishes indexing, it swaps
in the new Assistant and documents at once, and the next question uses them (no restart).
"""
# No `from __future__ import annotations` here: gr.api reads /ask's type hints as real types.

import logging
import os
import time
from html import escape

from assistant import html as H
from assistant import static
from assistant.inputs import InputError, check_k, clean_question

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
log = logging.getLogger("lmc.app")

EXAMPLES = [
    "Where was the 2025 Lancang-Mekong Local Government Cooperation Forum held?",
    "Which Thai policy for Chinese tourists was announced in September 2023?",
    "关累港口岸是什么时候正式对外开放的?",
    "2025年中泰建交几周年?",
]
LANGS = [("Any language", "any"), ("English", "en"), ("中文", "zh")]
QUEUE_SIZE = 64                    # requests waiting beyond this are refused ("queue is full")


# ---------- plain functions (no Gradio) ----------

def history_of(turns: list[dict]) -> list[dict]:
    """The conversation so far in messages format, as Assistant.ask takes it."""
    out = []
    for turn in turns:
        out.append({"role": "user", "content": turn["question"]})
        out.append({"role": "assistant", "content": turn["answer"].text})
    return out


def chat(assistant, question: str, turns: list[dict] | None = None, *, k=None, doc_ids=None, lang=None):
    """One chat step: ask with the history of `turns`; return (answer, turns + [this turn])."""
    turns = list(turns or [])
    answer = assistant.ask(question, history_of(turns), k=k, doc_ids=doc_ids, lang=lang)
    return answer, [*turns, {"question": question, "answer": answer}]


def messages_of(turns: list[dict], docs: dict) -> list[dict]:
    """Chatbot messages (escaped HTML) for every turn."""
    out = []
    for i, turn in enumerate(turns):
        out.append({"role": "user", "content": H.question_html(turn["question"])})
        out.append({"role": "assistant", "content": H.answer_html(turn["answer"], i, _metas(docs))})
    return out


class Live:
    """The Assistant and documents the app answers from. A request reads `state` once; swap()
    replaces both in one assignment, so a request sees the old pair or the new one, never a mix."""

    def __init__(self, assistant, docs: dict):
        self.state = (assistant, docs)
        self.on_swap: list = []          # called with the new Assistant after each swap

    @property
    def assistant(self):
        return self.state[0]

    @property
    def docs(self) -> dict:
        return self.state[1]

    def swap(self, assistant, docs: dict) -> None:
        self.state = (assistant, docs)
        for call in self.on_swap:
            call(assistant)


def open_ref(ref: str, turns: list[dict], docs: dict) -> str:
    """The viewer's HTML for a ref: "T:c:N" (citation N of turn T) or "T:p:R" (passage ranked R)."""
    try:
        turn_s, kind, n_s = str(ref).strip().split(":")
        answer, n = turns[int(turn_s)]["answer"], int(n_s)
    except (ValueError, IndexError, KeyError, TypeError):
        raise InputError(f"no such citation: {ref!r}") from None
    if kind == "c":
        c = next((c for c in answer.citations if c.label == n), None)
        if c is None or c.doc_id not in docs:
            raise InputError(f"no such citation: {ref!r}")
        from assistant.render import page_label
        page = page_label(docs[c.doc_id].meta(), c.start)
        caption = (f"[{n}] highlighted{' on ' + page if page else ''}"
                   + ("; its translation is marked in blue" if c.parallel_quote else ""))
        return H.viewer_html(docs[c.doc_id], H.citation_spans(c), caption)
    hit = next((h for h in answer.hits if h.rank == n), None) if kind == "p" else None
    if hit is None or hit.chunk.doc_id not in docs:
        raise InputError(f"no such passage: {ref!r}")
    spans = [(hit.chunk.start, hit.chunk.end, "lmc-quote")]
    return H.viewer_html(docs[hit.chunk.doc_id], spans, f"Passage #{n} highlighted (it does not answer the question)")


def answer_json(answer, docs: dict) -> dict:
    """What /ask returns: the answer text with [n] markers, the refusal flag and the citations."""
    from assistant.render import answer_dict
    return answer_dict(answer, _metas(docs))


def _metas(docs: dict) -> dict:
    return {doc_id: d.meta() for doc_id, d in docs.items()}


def _load_docs(settings) -> dict:
    from corpus import load_corpus
    return {d.doc_id: d for d in load_corpus(settings)}


# ---------- the Gradio app ----------

def as_gr_error(exc: Exception):
    """The gr.Error the UI and the API show for a failed request (bad input: its one-line message)."""
    import gradio as gr
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, (InputError, ValueError)):
        return gr.Error(escape(str(exc)), print_exception=False)
    log.exception("request failed")
    return gr.Error(escape(f"unexpected {type(exc).__name__}: {exc}"), print_exception=False)


def _guarded(fn):
    """Bad input becomes a clear message in the UI and the API (gr.Error), never a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:                      # noqa: BLE001 - reported, not swallowed
            raise as_gr_error(exc) from None
    return wrapper


def build_app(assistant, settings, docs: dict | None = None, llm=None):
    """The chat, the sources panel, the document viewer, the Documents tab and the Evaluation tab.

    llm: the model answerer (assistant.llm_answer.LLMAssistant) or None; with one, a switch chooses it,
    on at start when settings.answerer is "llm", and /ask uses it then."""
    import gradio as gr
    live = Live(assistant, docs if docs is not None else _load_docs(settings))
    with gr.Blocks(title="LMC assistant", analytics_enabled=False) as demo:
        turns = gr.State([])
        gr.Markdown("## LMC assistant — Lancang-Mekong Cooperation documents, quoted and cited")
        with gr.Tab("Chat"):
            if llm is None:
                doc_filter = _chat_tab(gr, live, settings, turns)
            else:
                from assistant.app_llm import chat_tab_with_model
                live.on_swap.append(llm.rebind)           # a document added: the model answers from it too
                doc_filter = chat_tab_with_model(gr, live, llm, settings, turns)
        with gr.Tab("Documents"):
            from assistant.app_library import documents_tab
            documents_tab(gr, live, settings, doc_filter)
        with gr.Tab("Evaluation"):
            from assistant.app_eval import evaluation_tab
            evaluation_tab(gr, lambda: _index_of(live.assistant, settings), settings)

        @_guarded
        def ask(question: str, k: int = settings.k, history: list[dict] | None = None) -> dict:
            """Answer one question: {"text" with [n] markers, "refused", "searched_for", "citations"}."""
            question = clean_question(question, settings)
            assistant, docs = live.state
            answerer = llm if llm is not None and settings.answerer == "llm" else assistant
            answer = answerer.ask(question, _clean_history(history), k=_k(k, settings))
            return answer_json(answer, docs)
        gr.api(ask, api_name="ask", concurrency_id="assistant")
    return demo


def _index_of(assistant, settings):
    """The Assistant's own index (the Evaluation tab searches the index the chat uses)."""
    index = getattr(assistant, "index", None)
    if index is None:
        from index.store import open_index
        index = open_index(settings, build_if_needed=False, log=log.info)
    return index


def _k(value, settings) -> int:
    """k from a slider or a script: a whole number (2.0 is 2), checked against Settings.max_k."""
    if value is None:
        return settings.k
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return check_k(value, settings)


def _clean_history(history) -> list[dict]:
    if not history:
        return []
    if not isinstance(history, list) or not all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
            for m in history):
        raise InputError('history must be a list of {"role": "user"|"assistant", "content": text}')
    return [{"role": m["role"], "content": m["content"]} for m in history]


def _chat_layout(gr, settings, titles, model_switch: bool = False) -> dict:
    """The chat tab's components: chat and controls on the left, sources and viewer on the right."""
    c = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            c["chatbot"] = gr.Chatbot(label="Chat", height=520, render_markdown=False, sanitize_html=True,
                                      latex_delimiters=[], buttons=[], elem_id="lmc-chat",
                                      placeholder="Ask about Lancang-Mekong Cooperation, in English or 中文.")
            with gr.Row():
                c["question"] = gr.Textbox(show_label=False, placeholder="Your question", scale=5,
                                           elem_id="lmc-question", max_lines=4)
                c["send"] = gr.Button("Ask", variant="primary", scale=1, elem_id="lmc-send")
            with gr.Row():
                c["k"] = gr.Slider(1, min(30, settings.max_k), value=settings.k, step=1, label="Passages (k)")
                c["lang"] = gr.Radio(LANGS, value="any", label="Language of passages")
            c["doc_ids"] = gr.Dropdown(titles, multiselect=True, value=[], label="Only these documents (empty: all)")
            if model_switch:
                c["use_llm"] = gr.Checkbox(value=settings.answerer == "llm", elem_id="lmc-llm",
                                           label="Model answer (each sentence checked against the sentences it cites)")
            gr.Examples(EXAMPLES, inputs=[c["question"]], label="Examples (English and 中文)")
            with gr.Row():
                c["copy"] = gr.Button("Copy answer with sources", elem_id="lmc-copy", size="sm")
                c["clear"] = gr.Button("New conversation", size="sm")
            c["copy_box"] = gr.Textbox(label="Answer with sources (plain text)", lines=6, interactive=False,
                                       buttons=["copy"], elem_id="lmc-copy-text")
        with gr.Column(scale=4):
            c["sources"] = gr.HTML(H.SOURCES_EMPTY, label="Sources", elem_id="lmc-sources", max_height=420,
                                   js_on_load=None)
            c["viewer"] = gr.HTML(H.VIEWER_EMPTY, label="Document", elem_id="lmc-viewer", max_height=560,
                                  js_on_load=static.SCROLL_JS)
    c["ref"] = gr.Textbox(visible="hidden", elem_id="lmc-ref")
    c["open"] = gr.Button("open", visible="hidden", elem_id="lmc-open-btn")
    return c


def titles_of(docs: dict) -> list[tuple[str, str]]:
    """The document filter's choices: (title, doc_id), by id."""
    return [(d.title, doc_id) for doc_id, d in sorted(docs.items())]


def _chat_tab(gr, live, settings, turns):
    """The chat tab; returns its document filter (the Documents tab updates its choices)."""
    c = _chat_layout(gr, settings, titles_of(live.docs))

    @_guarded
    def respond(question, turns, k, doc_ids, lang):
        question = clean_question(question, settings)
        assistant, docs = live.state
        answer, turns = chat(assistant, question, turns, k=_k(k, settings),
                             doc_ids=list(doc_ids or ()) or None, lang=None if lang == "any" else lang)
        return (messages_of(turns, docs), turns,
                H.sources_html(answer, len(turns) - 1, docs, settings.closest_shown),
                H.copy_text(answer, _metas(docs)), "")

    return wire_chat(c, respond, [c["question"], turns, c["k"], c["doc_ids"], c["lang"]], turns, live)


def wire_chat(c: dict, respond, inputs: list, turns, live):
    """The chat tab's events: ask (button and Enter), open a citation, copy, clear."""
    @_guarded
    def open_citation(ref, turns):
        return open_ref(ref, turns, live.docs)

    outputs = [c["chatbot"], turns, c["sources"], c["copy_box"], c["question"]]
    c["send"].click(respond, inputs, outputs, api_name="chat", concurrency_id="assistant")
    c["question"].submit(respond, inputs, outputs, api_name="chat_submit", api_visibility="undocumented",
                         concurrency_id="assistant")
    c["open"].click(open_citation, [c["ref"], turns], [c["viewer"]], js=static.OPEN_JS, api_name="open_citation")
    c["copy"].click(None, [c["copy_box"]], None, js=static.COPY_JS, api_name="copy_answer",
                    api_visibility="private")
    c["clear"].click(lambda: ([], [], H.SOURCES_EMPTY, H.VIEWER_EMPTY, ""), None,
                     [c["chatbot"], turns, c["sources"], c["viewer"], c["copy_box"]],
                     api_name="clear", api_visibility="private")
    return c["doc_ids"]


def launch(demo, host: str = "127.0.0.1", port: int | None = 7860, *, block: bool = True, quiet: bool = False):
    """Serve the app (127.0.0.1 unless told otherwise); returns the URL when block is False.

    One request at a time per event (the models already use both cores; 2 at once measured no
    faster, see docs/robustness.md), and at most QUEUE_SIZE waiting: beyond that a
    client is told at once that the queue is full instead of waiting without end.
    """
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_SIZE)
    _, url, _ = demo.launch(server_name=host, server_port=port, css=static.CSS, head=static.HEAD,
                            prevent_thread_lock=not block, quiet=quiet, show_error=True,
                            footer_links=["api"])
    return url


def warm(assistant) -> float:
    """Load the models and ask the example questions (English and Chinese), so the first real question
    is fast and the examples are instant; returns the seconds taken."""
    started = time.perf_counter()
    for question in EXAMPLES:
        assistant.ask(question)
    return time.perf_counter() - started


def warm_http(url: str) -> None:
    """One /ask through the served stack: Gradio's first request pays ~1 s of lazy set-up otherwise."""
    try:
        from gradio_client import Client
        Client(url, verbose=False).predict(EXAMPLES[0], api_name="/ask")
    except Exception as exc:                          # noqa: BLE001 - serving matters more than warming
        log.warning("warm-up request failed: %s", exc)


def check_address(host: str, port: int) -> None:
    """Fail early, in one line, when the port is taken; warn when the app would leave the loopback."""
    import socket
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise InputError(f"cannot serve on {host}:{port} ({exc.strerror}); try another --port") from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s: the app is reachable from other machines", host)


def serve(settings, host: str = "127.0.0.1", port: int = 7860, log_fn=print) -> None:
    """Open the index, warm the models, then announce the URL and serve until interrupted (with the model
    switch when settings.answerer is "llm" or a model URL is configured)."""
    from assistant.answer import Assistant
    from corpus import load_corpus
    from index.store import open_index
    check_address(host, port)
    started = time.perf_counter()
    index = open_index(settings, log=log_fn)
    documents = load_corpus(settings)
    assistant = Assistant(index, settings, documents)
    warm(assistant)
    llm = None
    if settings.answerer == "llm" or settings.llm_url:
        from assistant.llm_answer import LLMAssistant
        llm = LLMAssistant(assistant, settings)
    demo = build_app(assistant, settings, {d.doc_id: d for d in documents}, llm=llm)
    url = launch(demo, host, port, block=False, quiet=True)
    warm_http(url)
    log_fn(f"Ready in {time.perf_counter() - started:.1f} s: {url} (Ctrl+C to stop)")
    demo.block_thread()
