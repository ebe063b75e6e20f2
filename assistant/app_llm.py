"""The chat tab with the model switch: the model's draft streams into the chat (marked unchecked), then
the checked answer, or the extractive one with a note, replaces it.

Used by app.build_app when it is given a model answerer; without one the app is exactly as before.
"""

from __future__ import annotations

import functools
import time

from assistant import html as H
from assistant.app import _chat_layout, _k, _metas, as_gr_error, chat, history_of, messages_of, titles_of, wire_chat
from assistant.inputs import clean_question

DRAFT_EVERY = 0.1                  # seconds between two updates of the streamed draft


def chat_stream(llm, question: str, turns: list[dict] | None = None, *, k=None, doc_ids=None, lang=None):
    """One chat step with the model answerer: yield (draft so far, None, turns) while the model writes,
    then ("", answer, turns + [this turn]) once its sentences are checked (or the fallback is chosen)."""
    turns = list(turns or [])
    draft = ""
    for event in llm.stream(question, history_of(turns), k=k, doc_ids=doc_ids, lang=lang):
        if isinstance(event, str):
            draft += event
            yield draft, None, turns
        else:
            yield "", event, [*turns, {"question": question, "answer": event}]


def chat_tab_with_model(gr, live, llm, settings, turns):
    """The chat tab with the model switch; returns its document filter (as app._chat_tab does)."""
    c = _chat_layout(gr, settings, titles_of(live.docs), model_switch=True)

    @_guarded_stream
    def respond(question, turns, k, doc_ids, lang, use_llm):
        question = clean_question(question, settings)
        assistant, docs = live.state
        kw = dict(k=_k(k, settings), doc_ids=list(doc_ids or ()) or None, lang=None if lang == "any" else lang)
        if not use_llm:
            answer, turns = chat(assistant, question, turns, **kw)
        else:
            shown = 0.0
            for draft, answer, after in chat_stream(llm, question, turns, **kw):
                if answer is None and time.monotonic() - shown >= DRAFT_EVERY:
                    shown = time.monotonic()
                    yield _drafting(turns, question, draft, docs), gr.skip(), gr.skip(), gr.skip(), ""
            turns = after
        yield (messages_of(turns, docs), turns, H.sources_html(answer, len(turns) - 1, docs, settings.closest_shown),
               H.copy_text(answer, _metas(docs)), "")

    return wire_chat(c, respond, [c["question"], turns, c["k"], c["doc_ids"], c["lang"], c["use_llm"]], turns, live)


def _drafting(turns: list[dict], question: str, draft: str, docs: dict) -> list[dict]:
    """The chat so far, the new question, and the model's draft (escaped, no links: not yet checked)."""
    return [*messages_of(turns, docs), {"role": "user", "content": H.question_html(question)},
            {"role": "assistant", "content": H.draft_html(draft)}]


def _guarded_stream(fn):
    """app._guarded for a generator: bad input and failures become gr.Error, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            yield from fn(*args, **kwargs)
        except Exception as exc:                      # noqa: BLE001 - reported, not swallowed
            raise as_gr_error(exc) from None
    return wrapper
