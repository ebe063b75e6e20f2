"""The document library: add, ask, remove; duplicates and clashes; bad files, failures and SIGKILL
leave the library and the index exactly as they were; uploaded names never become paths.

The index here is BM25 only (the models are not the point); tests/test_library_models.py runs the
same path with the real models and compares the incremental index with a rebuild.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.library import Upload, add_files, remove_documents, rows
from assistant.render import citation_dict
from corpus import load_corpus
from corpus.library import Library, library_dir
from evals.samples import chromium, html_page, print_pdf, write_docx

ROOT = Path(__file__).resolve().parent.parent
EN_KEY = "The Friendship Orchard Initiative was signed in Luang Namtha by the six agriculture ministers."
ZH_KEY = "根据友谊果园倡议，各国每年将在河岸种植一千二百棵果树，并设立联合苗圃。"
ZH_WEB = "友谊果园新闻：琅南塔联合苗圃每年培育三万株果苗，供六国河岸种植。"
FILLER = [f"Section {i} of the orchard report describes the soil, the rainfall and the markets of the "
          f"river valley in the year {2015 + i}, with notes on training and on the exchange of seedlings."
          for i in range(1, 5)]
QUESTION = "Where was the Friendship Orchard Initiative signed?"


def settings_for(root: Path, **over) -> Settings:
    corpus = root / "corpus"
    if not corpus.exists():
        corpus.mkdir(parents=True)
        (corpus / "a.txt").write_text("The Lancang River flows into the Mekong at the Golden Triangle.\n")
        (corpus / "b.txt").write_text("澜湄合作第十次外长会在云南安宁举行。\n")
    base = Settings(corpus_dir=corpus, index_dir=root / "lmc" / "index", dense_model=None, multilingual_model=None)
    return dataclasses.replace(base, **over)


def digest(*folders: Path) -> dict[str, str]:
    """sha256 of every file under the folders: equal digests mean byte-identical."""
    return {p.as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def ask(settings, question: str):
    from assistant.answer import Assistant
    from index.store import open_index
    index = open_index(settings, log=lambda m: None, progress=False)
    return Assistant(index, settings, load_corpus(settings)).ask(question), index


def quiet(_message) -> None:
    pass


@pytest.fixture()
def docx_file(tmp_path) -> Path:
    return write_docx(tmp_path / "orchard.docx", "Orchard Report 果园报告", [*FILLER[:2], EN_KEY, ZH_KEY, *FILLER[2:]],
                      date="2025-03-20")


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory) -> Path:
    if chromium() is None:
        pytest.skip("Chromium is not installed (make browser)")
    root = tmp_path_factory.mktemp("pdf")
    page = html_page("Orchard Statement 果园声明", [*FILLER[:2], EN_KEY, ZH_KEY, *FILLER[2:]], "zh", page_breaks={2})
    return print_pdf(page, root / "statement.pdf")


def test_added_pdf_is_cited_with_its_page_then_removed(tmp_path, pdf_file):
    settings = settings_for(tmp_path)
    outcomes, built = add_files([Upload("statement.pdf", pdf_file)], settings, progress=False, log=quiet)
    n = sum(c.doc_id == "statement.pdf" for c in built.index.chunks)
    assert [o.line() for o in outcomes] == [f"added statement.pdf as statement.pdf: 2 pages, {n} chunks"]
    answer, index = ask(settings, QUESTION)
    assert not answer.refused and answer.citations
    c = answer.citations[0]
    doc = {d.doc_id: d for d in load_corpus(settings)}[c.doc_id]
    assert c.doc_id == "statement.pdf" and doc.text[c.start:c.end] == c.quote and "Luang Namtha" in c.quote
    assert citation_dict(c, index.documents)["page"] == 2
    row = next(r for r in rows(settings) if r["doc_id"] == "statement.pdf")
    assert (row["pages"], row["title"], row["library"]) == (2, "Orchard Statement 果园声明", True)

    remove_documents(["statement.pdf"], settings, progress=False, log=quiet)
    again, index = ask(settings, QUESTION)
    assert "statement.pdf" not in index.documents
    assert again.refused or all(c.doc_id != "statement.pdf" for c in again.citations)
    assert list((library_dir(settings) / "items").iterdir()) == []


def test_docx_and_web_page_answer_in_english_and_chinese(tmp_path, docx_file):
    settings = settings_for(tmp_path)
    page = tmp_path / "orchard.html"
    page.write_text(html_page("Orchard news 果园新闻", [FILLER[0], ZH_WEB, FILLER[3]], "zh",
                              site=True, date="2025-04-01"), encoding="utf-8")
    outcomes, _ = add_files([Upload("orchard.docx", docx_file), Upload("orchard.html", page)], settings,
                            progress=False, log=quiet)
    assert [o.status for o in outcomes] == ["added", "added"]
    answer, _ = ask(settings, QUESTION)
    assert answer.citations[0].doc_id == "orchard.docx"
    answer, _ = ask(settings, "琅南塔联合苗圃每年培育多少株果苗？")          # only the web page says
    assert not answer.refused and answer.citations[0].doc_id == "orchard.html"
    assert "三万株" in answer.citations[0].quote
    entry = Library(library_dir(settings)).entries()["orchard.html"]
    assert (entry["date"], entry["kind"], entry["languages"], entry["source"]) == ("2025-04-01", "html", ["zh", "en"],
                                                                                    "orchard.html")


def test_same_content_twice_says_already_added_and_changes_nothing(tmp_path, docx_file):
    settings = settings_for(tmp_path)
    add_files([Upload("orchard.docx", docx_file)], settings, progress=False, log=quiet)
    before = digest(settings.index_dir, library_dir(settings))
    copy = tmp_path / "copy of the report.docx"
    copy.write_bytes(docx_file.read_bytes())
    outcomes, built = add_files([Upload(copy.name, copy)], settings, progress=False, log=quiet)
    assert built is None and outcomes[0].line() == "copy of the report.docx: already added as orchard.docx; nothing changed"
    same_text = tmp_path / "a.txt"
    same_text.write_text("The Lancang River flows into the Mekong at the Golden Triangle.\n")
    assert add_files([Upload("other.txt", same_text)], settings, progress=False, log=quiet)[0][0].doc_id == "a.txt"
    assert digest(settings.index_dir, library_dir(settings)) == before


def test_bad_files_and_name_clashes_get_one_line_and_change_nothing(tmp_path, docx_file, pdf_file):
    import io
    from pypdf import PdfReader, PdfWriter
    from tests.test_formats import _image_page, _zip
    settings = settings_for(tmp_path, max_upload_bytes=200_000)
    add_files([Upload("orchard.docx", docx_file)], settings, progress=False, log=quiet)
    before = digest(settings.index_dir, library_dir(settings))
    locked, writer = io.BytesIO(), PdfWriter(clone_from=PdfReader(pdf_file))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    writer.write(locked)
    bad = {"cut.pdf": b"%PDF-1.7\n1 0 obj", "menu.html": b"<html><body><nav><a href=/>Home</a></nav></body></html>",
           "sheet.xlsx": b"PK\x03\x04", "huge.txt": b"x" * 300_000, "orchard.docx": b"Different words entirely.",
           "a.txt": b"Another text named like a corpus document.", "locked.pdf": locked.getvalue(),
           "scan.pdf": print_pdf(_image_page(), tmp_path / "scan.pdf").read_bytes(),
           "bomb.docx": _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * 60_000_000})}
    uploads = []
    for name, data in bad.items():
        path = tmp_path / "bad" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        uploads.append(Upload(name, path))
    outcomes, built = add_files(uploads, settings, progress=False, log=quiet)
    lines = [o.line() for o in outcomes]
    assert built is None and all(o.status == "refused" and "\n" not in o.line() for o in outcomes), lines
    assert lines[0].startswith("refused cut.pdf: truncated PDF")
    assert lines[1].startswith("refused menu.html: no main text")
    assert lines[2].startswith("refused sheet.xlsx: unsupported file type '.xlsx'")
    assert lines[3].startswith("refused huge.txt: the file is 300 KB, over the 200 KB limit")
    assert lines[4].startswith("refused orchard.docx: damaged DOCX") or "is taken" in lines[4]
    assert lines[5] == ("refused a.txt: the id a.txt is taken by another document; rename the file or give "
                        "another id (lmc add --id NEW)")
    assert lines[6].startswith("refused locked.pdf: encrypted PDF: it needs a password")
    assert lines[7].startswith("refused scan.pdf: scanned PDF: its 1 page(s) are images with no text layer")
    assert lines[8].startswith("refused bomb.docx: refused as a zip bomb")
    assert digest(settings.index_dir, library_dir(settings)) == before


def test_a_failure_part_way_leaves_library_and_index_as_they_were(tmp_path, docx_file, monkeypatch):
    settings = settings_for(tmp_path)
    add_files([Upload("orchard.docx", docx_file)], settings, progress=False, log=quiet)
    before = digest(settings.index_dir, library_dir(settings))
    note = tmp_path / "note.md"
    note.write_text("# Note\n\nThe orchard nursery opened in Pakse in May 2025, with 40 staff.\n")
    from index import persist
    real_swap = persist._swap

    def full_disk(tmp, directory):                # the library is committed by now; the index is not
        assert json.loads((library_dir(settings) / "library.json").read_text())["documents"].get("note.md")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(persist, "_swap", full_disk)
    with pytest.raises(OSError, match="No space left"):
        add_files([Upload("note.md", note)], settings, progress=False, log=quiet)
    assert digest(settings.index_dir, library_dir(settings)) == before
    monkeypatch.setattr(persist, "_swap", real_swap)
    outcomes, _ = add_files([Upload("note.md", note)], settings, progress=False, log=quiet)
    assert outcomes[0].status == "added"


def test_uploaded_names_never_become_paths(tmp_path):
    settings = settings_for(tmp_path / "work")
    source = tmp_path / "upload.bin"
    source.write_text("The orchard nursery employs forty gardeners from six countries.\n")
    hostile = ["../../escaped.txt", "/etc/cron.d/x.txt", "..\\..\\win.txt", "a/../../b.txt"]
    for name in hostile:
        outcomes, _ = add_files([Upload(name, source)], settings, progress=False, log=quiet)
        assert outcomes[0].status in ("added", "exists")
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(w.startswith(("work/", "upload.bin")) for w in written), written
    assert {p.parent.parent.name for p in library_dir(settings).rglob("text.txt")} == {"items"}
    assert list(Library(library_dir(settings)).entries()) == ["escaped.txt"]


CHILD = r"""
import os, sys, time, dataclasses
from pathlib import Path
sys.path.insert(0, {root!r})
real = os.replace
count = [0]
def slow_replace(a, b):
    count[0] += 1
    print(f"replace {{count[0]}}", flush=True)
    time.sleep(0.4)
    real(a, b)
    print(f"done {{count[0]}}", flush=True)
os.replace = slow_replace
from tests.test_library import settings_for, Upload, add_files
add_files([Upload("note.md", Path({note!r}))], settings_for(Path({work!r})), progress=False, log=lambda m: None)
print("finished", flush=True)
"""


def test_sigkill_while_adding_leaves_a_consistent_library(tmp_path):
    """Kill `add` just before and just after each rename it makes (the item folder, library.json, the
    index swap): the library always reads back whole, and the next command brings the index in step."""
    note = tmp_path / "note.md"
    note.write_text("# Nursery\n\nThe orchard nursery opened in Pakse in May 2025, with 40 staff.\n")
    kills, point = 0, 0
    while True:
        point += 1
        work = tmp_path / f"run{point}"
        settings = settings_for(work)
        from index.store import open_index
        open_index(settings, log=quiet, progress=False)                 # an index to start from
        child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT), note=str(note), work=str(work))],
                                 stdout=subprocess.PIPE, text=True, cwd=tmp_path)
        target, finished = f"replace {point // 2 + 1}" if point % 2 else f"done {point // 2}", False
        for line in child.stdout:
            if line.strip() == target:
                child.send_signal(signal.SIGKILL)
                kills += 1
                break
            finished = finished or line.strip() == "finished"
        child.wait(timeout=60)
        docs = {d.doc_id: d for d in load_corpus(settings)}          # reads back whole (raises if damaged)
        assert set(docs) in ({"a.txt", "b.txt"}, {"a.txt", "b.txt", "note.md"})
        index = open_index(settings, log=quiet, progress=False)     # rebuilt when out of step
        assert set(index.documents) == set(docs)
        assert all(docs[c.doc_id].text[c.start:c.end] == c.text for c in index.chunks)
        outcomes, _ = add_files([Upload("note.md", note)], settings, progress=False, log=quiet)
        assert outcomes[0].status in ("added", "exists")
        assert sorted(p.name for p in (library_dir(settings) / "items").iterdir()) == \
            sorted(e["key"] for e in Library(library_dir(settings)).entries().values())
        if child.returncode == 0 or point > 12:
            break
    assert kills >= 5


def test_cli_add_remove_and_docs_give_one_line_errors(tmp_path):
    env = dict(os.environ, LMC_INDEX=str(tmp_path / "lmc" / "index"))
    lmc = [sys.executable, "-c", "from assistant.cli import main; main()"]

    def run(*args):
        return subprocess.run([*lmc, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    (tmp_path / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    done = run("add", "sheet.xlsx", "missing.pdf")
    assert done.returncode == 1 and [x for x in done.stderr.splitlines() if not x.startswith("[")] == [
        "refused sheet.xlsx: unsupported file type '.xlsx'; supported: .docx, .htm, .html, .markdown, .md, "
        ".pdf, .text, .txt, .xhtml", "refused missing.pdf: cannot read it (No such file or directory)"]
    done = run("add", "--date", "14 May", "sheet.xlsx")
    assert done.returncode == 2 and done.stderr.strip() == "Error: --date must be YYYY, YYYY-MM or YYYY-MM-DD (got '14 May')"
    done = run("remove", "nope.pdf")
    assert done.returncode == 2 and done.stderr.strip() == "Error: no added document has the id 'nope.pdf'; see the ids with: lmc docs"
    done = run("remove", "003_f1e44591df7b45bd.txt")
    assert done.returncode == 2 and "belongs to the corpus folder" in done.stderr and len(done.stderr.splitlines()) == 1
    done = run("docs")
    assert done.returncode == 0 and done.stdout.count("bundled") == 5 and done.stdout.startswith("id ")
    assert not (tmp_path / "lmc").exists()                          # nothing was written


def test_the_app_answers_from_a_new_document_once_indexing_finishes(tmp_path, docx_file):
    """The Documents tab's plain functions: the chat's Assistant is swapped, with no restart."""
    from assistant.answer import Assistant
    from assistant.app import Live, chat
    from assistant.app_library import add_uploads, library_html, outcomes_html, remove_document
    from index.store import open_index
    settings = settings_for(tmp_path)
    docs = load_corpus(settings)
    live = Live(Assistant(open_index(settings, log=quiet, progress=False), settings, docs), {d.doc_id: d for d in docs})
    before = live.assistant
    assert all(c.doc_id != "orchard.docx" for c in chat(before, QUESTION)[0].citations)
    outcomes = add_uploads(live, settings, [str(docx_file)])
    assert "added orchard.docx as orchard.docx" in outcomes_html(outcomes)
    assert live.assistant is not before and "orchard.docx" in live.docs
    answer, _ = chat(live.assistant, QUESTION)
    assert answer.citations[0].doc_id == "orchard.docx"
    assert "Orchard Report 果园报告" in library_html(settings)
    remove_document(live, settings, "orchard.docx")
    assert "orchard.docx" not in live.docs and "orchard.docx" not in live.assistant.index.documents


def test_a_web_address_is_fetched_and_kept_with_its_source(tmp_path):
    """lmc add https://...: a page served on the loopback interface, and one that is missing."""
    import functools
    import threading
    from http.server import HTTPServer, SimpleHTTPRequestHandler
    site = tmp_path / "site"
    site.mkdir()
    (site / "orchard.html").write_text(html_page("Orchard news 果园新闻", [FILLER[0], EN_KEY, ZH_KEY], "zh", site=True),
                                       encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        settings = settings_for(tmp_path)
        outcomes, _ = add_files([Upload.of(f"{base}/orchard.html"), Upload.of(f"{base}/gone.html")], settings,
                                progress=False, log=quiet)
    finally:
        server.shutdown()
    assert outcomes[0].line().startswith(f"added {base}/orchard.html as orchard.html: ")
    assert outcomes[1].line() == f"refused {base}/gone.html: the server answered 404 File not found"
    entry = Library(library_dir(settings)).entries()["orchard.html"]
    assert entry["source"] == entry["url"] == f"{base}/orchard.html" and entry["title"] == "Orchard news 果园新闻"
    answer, _ = ask(settings, QUESTION)
    assert answer.citations[0].doc_id == "orchard.html"
