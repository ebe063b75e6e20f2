"""lmc add / docs / remove: the document library from the command line (assistant/library.py).

Registered on the `lmc` group at the end of assistant/cli.py. Heavy imports stay inside the commands.
"""

from __future__ import annotations

import json
import sys

import click

from assistant.cli import _log, _settings, corpus_option, index_option


@click.command("add")
@click.argument("paths", nargs=-1, required=True)
@click.option("--title", default=None, help="Title (default: the file's metadata or first heading).")
@click.option("--date", default=None, help="Date, YYYY[-MM[-DD]] (default: the file's metadata).")
@click.option("--publisher", default=None, help="Publisher or outlet (default: the page's site name).")
@click.option("--url", default=None, help="Where the original is published (default: the page's canonical URL).")
@click.option("--id", "doc_id", default=None, help="Document id (default: made from the file name).")
@corpus_option
@index_option
def add_cmd(paths, title, date, publisher, url, doc_id, corpus, index_dir):
    """Add PDF, Word (.docx), web page (.html), Markdown or text files (or web addresses), and update the index.

    Only the new files are embedded; the other documents' vectors come from the index's cache.
    The text, the original file and a manifest entry are kept in the library beside the index
    (.lmc/library). A file that cannot be added gets one line saying why; the others go on.

    \b
    Examples:
      lmc add statement.pdf report.docx page.html
      lmc add https://example.org/news/joint-statement.html
      lmc add --title "Joint Statement" --date 2025-08-14 statement.pdf
    """
    from assistant.library import Upload, add_files
    settings = _settings(corpus, index_dir)
    outcomes, built = add_files([Upload.of(p) for p in paths], settings, title=title, date=date,
                                publisher=publisher, url=url, doc_id=doc_id, progress=True, log=_log)
    for out in outcomes:
        click.echo(out.line(), err=out.status == "refused")
    if built is not None:
        click.echo(f"Index updated in {built.seconds:.1f} s: {len(built.documents)} documents, "
                   f"{len(built.index.chunks)} chunks.")
    if any(out.status == "refused" for out in outcomes):
        sys.exit(1)


@click.command("docs")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines, one per document.")
@corpus_option
@index_option
def docs_cmd(as_json, corpus, index_dir):
    """List the documents: id, title, date, pages, chunks, and when each was added.

    \b
    Example:
      lmc docs
    """
    from assistant.library import rows
    from assistant.render import terminal_safe
    table = rows(_settings(corpus, index_dir))
    if as_json:
        for row in table:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    click.echo(f"{'id':34} {'date':10} {'pages':>5} {'chunks':>6}  {'added':20}  title")
    for r in table:
        added = r["added"] if r["library"] else "bundled"
        click.echo(terminal_safe(f"{r['doc_id'][:34]:34} {r['date'][:10]:10} {r['pages'] or '':>5} {r['chunks']:>6}  "
                                 f"{added:20}  {r['title'][:70]}"))


@click.command("remove")
@click.argument("doc_ids", nargs=-1, required=True)
@corpus_option
@index_option
def remove_cmd(doc_ids, corpus, index_dir):
    """Remove added documents (ids from `lmc docs`) and update the index.

    \b
    Example:
      lmc remove statement.pdf
    """
    from assistant.library import remove_documents
    built = remove_documents(list(doc_ids), _settings(corpus, index_dir), progress=True, log=_log)
    click.echo(f"Removed {', '.join(doc_ids)}. Index updated in {built.seconds:.1f} s: "
               f"{len(built.documents)} documents, {len(built.index.chunks)} chunks.")
