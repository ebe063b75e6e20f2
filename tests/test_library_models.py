"""The library with the real models: `lmc add` of a PDF, a DOCX and a web page in Chinese and
English, then `lmc ask` cites each (the PDF with its page); the incremental index embeds only the
new chunks and searches exactly as a rebuild from scratch does."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evals.samples import chromium, html_page, print_pdf, write_docx

pytestmark = pytest.mark.model

LMC = str(Path(sys.executable).parent / "lmc")
FILLER = [f"Section {i} of the river report describes the soil, the rainfall and the markets of the valley "
          f"in the year {2015 + i}, with notes on training, on irrigation and on the exchange of seedlings."
          for i in range(1, 5)]
PDF_EN = "The Seventh Mekong Water Dialogue will be held in Pakse on 9 October 2026."
PDF_ZH = "第七次湄公河水资源对话将于2026年10月9日在老挝巴色举行。"
DOCX_EN = "The Lancang-Mekong Bamboo Weaving Academy opened in Xishuangbanna with 85 apprentices."
DOCX_ZH = "澜湄竹编学院在西双版纳开学，首批招收了85名学徒。"
HTML_EN = "The Mekong Lantern Festival drew 30,000 visitors to Chiang Khong in February 2026."
HTML_ZH = "湄公河灯笼节于2026年2月在清孔吸引了30000名游客。"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    if chromium() is None:
        pytest.skip("Chromium is not installed (make browser)")
    root = tmp_path_factory.mktemp("files")
    pdf = print_pdf(html_page("Water Dialogue Notice 水资源对话通知", [*FILLER[:3], PDF_EN, PDF_ZH, FILLER[3]], "zh",
                              page_breaks={3}), root / "water-notice.pdf")
    docx = write_docx(root / "bamboo.docx", "Bamboo Academy 竹编学院", [FILLER[0], DOCX_ZH, DOCX_EN, FILLER[1]],
                      date="2026-01-12")
    page = root / "lanterns.html"
    page.write_text(html_page("Lantern Festival 灯笼节", [FILLER[2], HTML_EN, HTML_ZH], "zh", site=True,
                              date="2026-02-20"), encoding="utf-8")
    return {"pdf": pdf, "docx": docx, "html": page}


@pytest.fixture()
def copied_index(tmp_path, real_index, real_settings):
    """A copy of the session's real index (so adding does not re-embed the bundled corpus)."""
    target = tmp_path / "lmc" / "index"
    shutil.copytree(real_settings.index_dir, target)
    return dataclasses.replace(real_settings, index_dir=target)


def test_lmc_add_then_ask_cites_each_new_document(files, copied_index, tmp_path):
    env = dict(os.environ, LMC_INDEX=str(copied_index.index_dir))
    added = subprocess.run([LMC, "add", str(files["pdf"]), str(files["docx"]), str(files["html"])],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert added.returncode == 0, added.stderr
    lines = added.stdout.splitlines()
    assert lines[0].startswith("added water-notice.pdf as water-notice.pdf: 2 pages, ")
    assert lines[1].startswith("added bamboo.docx as bamboo.docx: ") and lines[2].startswith("added lanterns.html")
    queries = tmp_path / "q.jsonl"
    asked = {"pdf": "Where will the Seventh Mekong Water Dialogue be held?",
             "pdf_zh": "第七次湄公河水资源对话将在哪里举行?",
             "docx": "How many apprentices did the Bamboo Weaving Academy take?",
             "docx_zh": "澜湄竹编学院首批招收了多少学徒?",
             "html": "How many visitors did the Mekong Lantern Festival draw?",
             "html_zh": "湄公河灯笼节吸引了多少游客?"}
    queries.write_text("".join(json.dumps({"id": k, "question": q}, ensure_ascii=False) + "\n"
                               for k, q in asked.items()), encoding="utf-8")
    done = subprocess.run([LMC, "ask", "--jsonl", "--queries", str(queries)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    answers = {a["id"]: a for a in map(json.loads, done.stdout.splitlines())}
    texts = {p.parent.name: p.read_text(encoding="utf-8")
             for p in (tmp_path / "lmc" / "library" / "items").glob("*/text.txt")}
    for key, doc_id in [("pdf", "water-notice.pdf"), ("pdf_zh", "water-notice.pdf"), ("docx", "bamboo.docx"),
                        ("docx_zh", "bamboo.docx"), ("html", "lanterns.html"), ("html_zh", "lanterns.html")]:
        a = answers[key]
        assert not a["refused"] and a["citations"], a
        c = a["citations"][0]
        assert c["doc_id"] == doc_id, (key, a)
        assert any(t[c["start"]:c["end"]] == c["quote"] for t in texts.values())
        assert c["page"] == (2 if key.startswith("pdf") else None)
    assert "Pakse" in answers["pdf"]["answer"] and "85" in answers["docx"]["answer"]


def test_incremental_add_embeds_only_the_new_chunks_and_matches_a_rebuild(files, copied_index, tmp_path):
    from assistant.library import Upload, add_files
    from corpus import library_dir, load_corpus
    from index.store import Index, fusion_for
    outcomes, built = add_files([Upload("water-notice.pdf", files["pdf"]), Upload("bamboo.docx", files["docx"])],
                                copied_index, progress=False, log=lambda m: None)
    new = sum(c.doc_id in ("water-notice.pdf", "bamboo.docx") for c in built.index.chunks)
    assert built.index.meta["embedded"]["dense"] == {"new": new, "reused": len(built.index.chunks) - new}
    assert built.index.meta["embedded"]["multilingual"]["new"] == new

    fresh = dataclasses.replace(copied_index, index_dir=tmp_path / "fresh" / "index",
                                library_dir=library_dir(copied_index))
    rebuilt = Index.build(load_corpus(fresh), fresh, progress=False)            # every chunk embedded again
    assert rebuilt.meta["embedded"]["dense"]["reused"] == 0 and rebuilt.chunks == built.index.chunks
    weights = fusion_for(copied_index)
    for q in ["Where will the Seventh Mekong Water Dialogue be held?", "澜湄竹编学院首批招收了多少学徒?",
              "Where was the 2025 Lancang-Mekong Local Government Cooperation Forum held?", "关累港口岸是什么时候正式对外开放的?"]:
        a, b = (ix.search(q, 10, weights=weights, candidates=copied_index.candidates) for ix in (built.index, rebuilt))
        assert [h.chunk.chunk_id for h in a] == [h.chunk.chunk_id for h in b], q
        assert all(abs(x.score - y.score) < 1e-4 for x, y in zip(a, b)), q
