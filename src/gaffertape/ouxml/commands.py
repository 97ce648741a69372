"""CLI for OU-XML: ``gaffertape ouxml ingest|search|glossary|images|links|audit|mindmap|convert``.

Each command is a thin wrapper over :mod:`gaffertape.ouxml.api`: data on stdout (table, CSV or
JSON), progress and summaries on stderr, one-line errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from gaffertape import ui
from gaffertape.errors import UserError
from gaffertape.export import export_table, export_workbook
from gaffertape.ouxml import api, audit, search
from gaffertape.ouxml.ingest import count_sources
from gaffertape.store import Store
from gaffertape.workspace import Workspace

app = typer.Typer(help="OU-XML: course documents as a database (search, glossary, images, "
                  "links, audits, mind maps, authoring).", no_args_is_help=True)

Course = Annotated[str | None, typer.Option("--course", "-c", help="Only this course code.")]
Format = Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")]
Out = Annotated[Path | None, typer.Option("--out", "-o", help="Also write a .csv or .xlsx.")]


def _workspace() -> Workspace:
    from gaffertape.cli.context import current_workspace

    return current_workspace()


def _store() -> Store:
    return _workspace().store


def _show(df: pd.DataFrame, fmt: str, out: Path | None = None,
          table_columns: list[str] | None = None) -> None:
    """Data to stdout (and ``out``). A terminal table shows ``table_columns`` only (the shared
    printer shows ``[brackets]`` in course text and snippets as typed, never as markup)."""
    if fmt not in ("table", "csv", "json"):
        raise UserError(f"--format {fmt!r} is not one of table, csv, json")
    if out is not None:
        export_table(df, out)
        ui.console.print(f"wrote {out}")
    if fmt == "table" and table_columns:
        df = df[table_columns]
    ui.print_dataframe(df, fmt=fmt)


@app.command("ingest")
def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="OU-XML files, folders or zips.")],
) -> None:
    """Ingest documents into the workspace store (re-ingesting a document replaces it)."""
    from gaffertape.ouxml.ingest import ingest

    store = _store()
    total = count_sources(paths)
    if total == 0:
        raise UserError("no .xml documents found", hint="pass OU-XML files, folders or zips")
    with ui.make_progress() as progress:
        task = progress.add_task("Ingesting", total=total, status="")

        def advance(source: str, status: str) -> None:
            progress.update(task, advance=1, status=f"{Path(source).name}: {status}")

        result = ingest(store, paths, on_document=advance)
    for message in result.errors.values():
        ui.console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    ui.print_summary("OU-XML ingest", {"documents": len(result.documents),
                                       "failed": len(result.errors), **result.counts})
    if result.errors:
        raise typer.Exit(1)


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="Words to find (all must match).")],
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", "-k", help=f"Only these kinds: {', '.join(search.KINDS)}.")] = None,
    course: Course = None,
    limit: Annotated[int, typer.Option("--limit", "-n")] = 20,
    raw: Annotated[bool, typer.Option("--raw", help="Query in FTS5 syntax (OR, NEAR, x*).")
                   ] = False,
    topic: Annotated[bool, typer.Option("--topic", help="Topic mode: best of each kind from "
                                        "every course.")] = False,
    fmt: Format = "table",
    out: Out = None,
) -> None:
    """Ranked full-text search with snippets."""
    store = _store()
    found = (search.topic(store, query, raw=raw) if topic else
             search.search(store, query, kind=kind, course=course, limit=limit, raw=raw))
    found = found.drop(columns=["doc_id"]).assign(score=found.score.round(2))
    _show(found, fmt, out, table_columns=["score", "kind", "course", "title", "snippet"])
    ui.console.print(f"{len(found)} result(s) for {query!r}")


@app.command("glossary")
def glossary_command(
    term: Annotated[str | None, typer.Argument(help="One term (any spelling).")] = None,
    course: Course = None, fmt: Format = "table", out: Out = None,
) -> None:
    """The meta-glossary: terms merged across documents, definitions side by side."""
    merged = search.glossary(_store(), term, course=course)
    _show(merged, fmt, out, table_columns=["term", "definition", "course", "variants"])
    ui.console.print(f"{merged.term.nunique() if len(merged) else 0} term(s), "
                     f"{len(merged)} definition(s)")


@app.command("images")
def images_command(
    query: Annotated[str | None, typer.Argument(help="Words in caption, alt text, "
                                                "description or file name.")] = None,
    course: Course = None, fmt: Format = "table", out: Out = None,
) -> None:
    """Find figures to reuse."""
    _show(search.images(_store(), query, course=course), fmt, out,
          table_columns=["course", "image_file", "caption", "alt"])


@app.command("links")
def links_command(
    query: Annotated[str | None, typer.Argument(help="Text in the URL or link label.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="external, olink or crossref.")
                    ] = None,
    course: Course = None,
    check: Annotated[bool, typer.Option("--check", help="Check external links (politely).")
                     ] = False,
    concurrency: Annotated[int, typer.Option(help="Workers in all.")] = 4,
    per_host: Annotated[int, typer.Option(help="At most this many at once per host.")] = 2,
    delay: Annotated[float, typer.Option(help="Seconds between request starts per host.")
                     ] = 0.5,
    fmt: Format = "table", out: Out = None,
) -> None:
    """List links, or check external ones and report broken and redirected."""
    store = _store()
    if not check:
        _show(search.links(store, query, kind=kind, course=course), fmt, out,
              table_columns=["course", "kind", "target", "text"])
        return
    urls = store.query_df("SELECT COUNT(DISTINCT target) AS n FROM ouxml_links l JOIN "
                          "ouxml_documents d USING (doc_id) WHERE l.kind = 'external'"
                          + (" AND d.course_code = ?" if course else ""),
                          [course] if course else []).n[0]
    with ui.make_progress() as progress:
        task = progress.add_task("Checking links", total=int(urls), status="")
        report = audit.check_links(
            store, course=course, concurrency=concurrency, per_host=per_host, delay=delay,
            on_checked=lambda c: progress.update(task, advance=1, status=f"{c.result} {c.url}"))
    problems = report[report.result.isin(["broken", "error", "redirected"])]
    _show(problems, fmt, out, table_columns=["result", "status", "url", "final_url", "course"])
    ui.print_summary("Link check", report.drop_duplicates("url").result.value_counts().to_dict())


@app.command("audit")
def audit_command(
    course: Course = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write every audit to one "
                                             ".xlsx (a sheet each).")] = None,
    fmt: Format = "table",
) -> None:
    """Structure and word counts per course; figures without alt text; media without
    transcripts."""
    store = _store()
    structure = audit.structure_summary(store)
    if course:
        structure = structure[structure.course == course]
    figures = audit.figures_missing_text(store, course)
    media = audit.media_without_transcripts(store, course)
    if out is not None:
        export_workbook({"structure": structure, "figures without alt": figures,
                         "media without transcript": media}, out)
        ui.console.print(f"wrote {out}")
    _show(structure, fmt)
    ui.print_summary("OU-XML audit", {
        "courses": len(structure), "figures without real alt text/description": len(figures),
        "media without transcript": len(media)})


@app.command("mindmap")
def mindmap_command(
    out: Annotated[list[Path], typer.Option("--out", "-o", help="map.html, map.mm and/or "
                                            "map.opml (repeat for several).")],
    course: Course = None,
    topic: Annotated[str | None, typer.Option("--topic", "-t", help="Build the map around "
                                              "a search topic.")] = None,
) -> None:
    """A course (structure, outcomes) or topic (components of many courses) mind map."""
    if (course is None) == (topic is None):
        raise UserError("say what to map", hint="give --course CODE or --topic WORDS")
    written = api.ouxml_mindmap(out, course=course, topic=topic, workspace=_workspace())
    ui.print_summary("Mind map", {"written": ", ".join(str(p) for p in written)})


@app.command("convert")
def convert_command(
    source: Annotated[Path, typer.Argument(help=".md .Rmd .ipynb .docx -> OU-XML; "
                                           ".xml -> .md or .html preview.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file.")],
    course_code: Annotated[str, typer.Option(help="CourseCode for new documents.")] = "DRAFT",
) -> None:
    """Author in Markdown/MyST, R Markdown, Jupyter or Word; publish valid OU-XML 2.0."""
    if not source.is_file():
        raise UserError(f"{source}: no such file")
    if source.suffix.lower() == ".xml":
        if out.suffix.lower() not in (".md", ".html", ".htm"):
            raise UserError(f"{out}: OU-XML converts to .md or .html",
                            hint="name the output file .md or .html")
        api.ouxml_to_file(source, out)
        ui.print_summary("Converted", {"from": source, "to": out})
        return
    if out.suffix.lower() != ".xml":
        raise UserError(f"{out}: the output of a conversion to OU-XML is an .xml file")
    with ui.console.status("Converting and validating against OUIntermediateSchema.xsd"):
        api.convert_to_ouxml(source, out, course_code=course_code)
    ui.print_summary("Converted", {"from": source, "to": out,
                                   "schema": "valid OU-XML 2.0 (OUIntermediateSchema.xsd)"})
