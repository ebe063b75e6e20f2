"""The app's Documents tab: upload files, see each one's result, list the library, remove a document.

add_uploads(live, settings, paths) and remove_document(live, settings, doc_id) are plain functions
(the tab and the /add_documents and /remove_document endpoints call them): they run the same
add_files / remove_documents as `lmc add` / `lmc remove` (assistant/library.py), then swap the new
Assistant into the app's Live, so the chat uses a new document as soon as its indexing finishes.
"""

import logging
from html import escape
from pathlib import Path

log = logging.getLogger("lmc.app")
FILE_TYPES = [".pdf", ".docx", ".html", ".htm", ".md", ".txt"]


def add_uploads(live, settings, paths: list[str], progress=None) -> list:
    """Add uploaded files (Gradio keeps each under its original name); returns the Outcomes."""
    from assistant.library import Upload, add_files
    uploads = [Upload(Path(p).name, Path(p)) for p in paths or []]
    if not uploads:
        from assistant.inputs import InputError
        raise InputError("choose one or more files to add first")
    from assistant.build import loaded_embedders

    def say(message: str) -> None:                 # "[2/3] reading x.pdf", "Indexing 3 new documents…"
        log.info(message)
        if progress is not None:
            progress(None, desc=message)
    say(f"Reading {len(uploads)} file{'s' * (len(uploads) != 1)}")
    outcomes, built = add_files(uploads, settings, progress=True, log=say,
                                embedders=loaded_embedders(live.assistant.index))
    if built is not None:
        live.swap(built.assistant, {d.doc_id: d for d in built.documents})
    return outcomes


def remove_document(live, settings, doc_id: str) -> None:
    from assistant.library import remove_documents
    from assistant.inputs import InputError
    if not doc_id:
        raise InputError("choose a document to remove first")
    from assistant.build import loaded_embedders
    built = remove_documents([doc_id], settings, progress=True, log=log.info,
                             embedders=loaded_embedders(live.assistant.index))
    live.swap(built.assistant, {d.doc_id: d for d in built.documents})


def outcomes_html(outcomes) -> str:
    items = "".join(f'<li class="lmc-{"refused" if o.status == "refused" else "added"}">{escape(o.line())}</li>'
                    for o in outcomes)
    return f'<ul class="lmc-add-result">{items}</ul>'


def library_html(settings) -> str:
    """Every document, newest additions last: id, title, date, pages, chunks, added."""
    from assistant.library import rows
    head = "".join(f"<th>{h}</th>" for h in ("id", "title", "date", "pages", "chunks", "added"))
    body = "".join(
        f'<tr class="{"lmc-added-doc" if r["library"] else "lmc-bundled-doc"}"><td>{escape(r["doc_id"])}</td>'
        f'<td>{escape(r["title"])}</td><td>{escape(r["date"])}</td><td>{r["pages"] or ""}</td>'
        f'<td>{r["chunks"]}</td><td>{escape(r["added"] if r["library"] else "bundled")}</td></tr>'
        for r in rows(settings))
    return f'<table class="lmc-library"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def documents_tab(gr, live, settings, doc_filter) -> None:
    from assistant.app import _guarded, titles_of
    from corpus import library_dir
    from corpus.library import Library

    def added_choices():
        return [(f"{e.get('title') or i} ({i})", i) for i, e in Library(library_dir(settings)).entries().items()]

    gr.Markdown("Add your own documents: **PDF, Word (.docx), web pages (.html), Markdown or text**, in "
                "English or Chinese. Each file is read, checked and indexed; only its own passages are "
                "embedded. The chat uses it as soon as indexing finishes.")
    files = gr.File(label="Files to add", file_count="multiple", file_types=FILE_TYPES, elem_id="lmc-upload")
    add = gr.Button("Add to the library", variant="primary", elem_id="lmc-add")
    result = gr.HTML("", elem_id="lmc-add-result")
    table = gr.HTML(library_html(settings), label="Documents", elem_id="lmc-library")
    with gr.Row():
        choice = gr.Dropdown(added_choices(), value=None, label="Remove an added document", elem_id="lmc-remove-id")
        remove = gr.Button("Remove", variant="stop", elem_id="lmc-remove")

    def refreshed():
        return (library_html(settings), gr.update(choices=added_choices(), value=None),
                gr.update(choices=titles_of(live.docs)))

    @_guarded
    def on_add(paths, progress=gr.Progress(track_tqdm=True)):
        outcomes = add_uploads(live, settings, paths, progress)
        return (outcomes_html(outcomes), None, *refreshed())

    @_guarded
    def on_remove(doc_id, progress=gr.Progress(track_tqdm=True)):
        remove_document(live, settings, doc_id)
        return (f'<ul class="lmc-add-result"><li>removed {escape(doc_id)}</li></ul>', *refreshed())

    add.click(on_add, [files], [result, files, table, choice, doc_filter], api_name="add_documents",
              concurrency_id="library")
    remove.click(on_remove, [choice], [result, table, choice, doc_filter], api_name="remove_document",
                 concurrency_id="library")
    def list_documents() -> str:
        """The documents table (HTML): id, title, date, pages, chunks, added."""
        return library_html(settings)
    gr.api(list_documents, api_name="list_documents")
