"""Commands of the index stage: index, reindex, search."""

from __future__ import annotations

import shutil
import sys
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from calanque.cli.common import STATE, console, out, plain_text, print_json, safe_text
from calanque.cli.spaces import SPACE_OPTION_HELP, within_space
from calanque.index.filters import build_filters
from calanque.index.snippets import snippet
from calanque.index.status import index_status
from calanque.index.sync import SyncReport
from calanque.index.sync import catch_up as catch_up_index
from calanque.index.sync import rebuild as rebuild_index
from calanque.views import hit_json

DENSE_CHOICES = ("now", "later")
DENSE_HELP = (
    "now: embed the new chunks before returning (dense search complete); later: index them "
    "lexically only, searchable at once, and leave the embedding to `calanque index` "
    "(or to `calanque serve`, which does it in the background)."
)


def dense_choice(value: str) -> bool:
    """``--dense now|later`` → embed now?"""
    if value not in DENSE_CHOICES:
        raise typer.BadParameter(f"{value!r} is not one of: now, later", param_hint="--dense")
    return value == "now"


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not sys.stderr.isatty(),
    )


def _run(rebuild: bool, quiet: bool, dense: bool = True) -> SyncReport:
    settings, catalog = STATE.settings, STATE.catalog
    if rebuild and settings.index_dir.exists():
        for child in settings.index_dir.iterdir():
            if not child.name.startswith(
                ("embeddings", "sentences")
            ):  # keep the content-hash caches
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    runtime = STATE.runtime
    embedder, index = runtime.embedder, runtime.index
    progress = _progress(quiet)
    task = progress.add_task(
        "index", total=catalog.last_seq(), completed=index.position(), unit="catalog changes"
    )
    dense_task: list[Any] = []

    def update(position: int, head: int) -> None:
        progress.update(task, completed=position, total=head)

    def update_dense(done: int, todo: int) -> None:  # a bar of its own, once the dense pass starts
        if not dense_task:
            dense_task.append(progress.add_task("dense", total=todo, unit="chunks embedded"))
        progress.update(dense_task[0], completed=done, total=todo)

    words_task: list[Any] = []

    def update_words(done: int, todo: int) -> None:  # the pages' words (words.py), before it
        if not words_task:
            words_task.append(progress.add_task("words", total=todo, unit="words embedded"))
        progress.update(words_task[0], completed=done, total=todo)

    try:
        with progress:
            sentences, forget = _sentence_hooks(settings, embedder)
            if rebuild:
                return rebuild_index(
                    catalog,
                    index,
                    embedder,
                    progress=update,
                    after_batch=sentences,
                    dense_progress=update_dense,
                    words_progress=update_words,
                )
            return catch_up_index(
                catalog,
                index,
                embedder,
                progress=update,
                dense_progress=update_dense,
                words_progress=update_words,
                after_batch=sentences,
                forget=forget,
                dense=dense,
            )
    finally:
        runtime.close_search()


def _sentence_hooks(settings: Any, embedder: Any) -> tuple[Any, Any]:
    """The extractive writer scores sentences: embed them at index time, not at question
    time (when ``index.precompute_sentences``), and forget those of deleted chunks."""
    from calanque.answer.vectors import SentenceVectorStore, precompute_sentence_vectors

    store = SentenceVectorStore.in_folder(settings.index_dir)

    def forget(texts: list[str], keep: list[str]) -> None:
        store.forget(texts, keep, embedder.name)

    if not settings.index.precompute_sentences:
        return None, forget
    return (lambda chunks: precompute_sentence_vectors(chunks, embedder, store)), forget


def catch_up(quiet: bool = False, dense: bool = True) -> dict[str, Any]:
    """Used by `calanque crawl` after crawling."""
    return _run(rebuild=False, quiet=quiet, dense=dense).to_dict()


def index(
    dense: str = typer.Option("now", "--dense", help=DENSE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Bring the index up to date with the catalog (new, changed and deleted chunks), then
    embed every chunk still waiting for its vector."""
    report = _run(rebuild=False, quiet=as_json, dense=dense_choice(dense))
    _show(report, as_json)


def reindex(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Rebuild the index from the catalog (after changing the embedder or the backend)."""
    report = _run(rebuild=True, quiet=as_json)
    _show(report, as_json)


def _show(report: SyncReport, as_json: bool) -> None:
    if as_json:
        print_json(report.to_dict())
        return
    out.print(index_line(report.to_dict()), soft_wrap=True)
    if report.dense_pending:
        out.print(pending_note(report.dense_pending))


def index_line(report: dict[str, Any]) -> str:
    """What an index pass did, in words (``calanque index`` and after ``calanque crawl``)."""
    words = report.get("words_embedded") or 0
    return (
        f"index at catalog position {report['position']}: {report['applied']} chunks indexed, "
        f"{report['embedded']} embedded, {report['deleted']} removed"
        + (f", {words} words of the pages embedded" if words else "")
        + f" in {float(report['elapsed_s']):.1f}s"
    )


def pending_note(pending: int) -> str:
    return (
        f"{pending} chunks are searchable lexically but not yet embedded: answers use them "
        "already; run `calanque index` to finish the dense pass."
    )


def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """How much is stored and indexed: chunks in the catalog, searchable lexically,
    embedded (dense), and waiting."""
    runtime = STATE.runtime
    try:
        data = index_status(runtime.catalog, runtime.index)
    finally:
        runtime.close_search()
    if as_json:
        print_json(data)
        return
    table = Table("", "count", show_header=False)
    for label, key in (
        ("pages stored", "pages"),
        ("chunks stored", "chunks"),
        ("indexed lexically", "lexical"),
        ("indexed densely", "dense"),
        ("waiting for vectors", "dense_pending"),
        ("catalog changes not yet indexed", "changes_pending"),
    ):
        table.add_row(label, str(data[key]))
    if "words" in data:
        words = data["words"]
        table.add_row("words of the pages (fr / en)", f"{words['fr']} / {words['en']}")
        table.add_row("words waiting for vectors", str(words["waiting"]))
    out.print(table)
    if data["changes_pending"] or data["dense_pending"]:
        out.print("run `calanque index` to finish indexing")


def search(
    query: str = typer.Argument(..., help="What to look for, in French or English."),
    k: int = typer.Option(10, "--k", min=1, max=100, help="How many hits."),
    site: list[str] = typer.Option([], "--site", help="Only this site (repeatable)."),
    exclude_site: list[str] = typer.Option(
        [], "--exclude-site", help="Never this site (repeatable)."
    ),
    lang: list[str] = typer.Option([], "--lang", help="Only this language, e.g. fr (repeatable)."),
    since: str = typer.Option("", "--since", help="YYYY-MM-DD, or day / week / month / year."),
    source: list[int] = typer.Option([], "--source", help="Only this source id (repeatable)."),
    mode: str = typer.Option("", "--mode", help="lexical, dense, hybrid or hybrid+rescore."),
    per_page: int | None = typer.Option(
        None,
        "--per-page",
        min=0,
        help="At most this many hits of one page while other pages have some "
        "(default: index.results_per_page; 0: no limit).",
    ),
    space: str | None = typer.Option(None, "--space", help=SPACE_OPTION_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search the index (hybrid lexical + dense, fused), each page once by default."""
    overrides = {"mode": mode} if mode else {}
    filters = within_space(space, build_filters(site, exclude_site, lang, since, source)).filters
    retriever = STATE.runtime.retriever_with(**overrides)
    if per_page is None:
        per_page = STATE.settings.index.results_per_page
    hits = retriever.search(query, k=k, filters=filters, per_page=per_page)
    if as_json:
        print_json({"hits": [hit_json(h) for h in hits]})
        return
    table = Table("#", "title", "url", "heading", "score", "snippet", show_lines=True)
    for n, hit in enumerate(hits, 1):
        marked = snippet(plain_text(hit.text), query)
        table.add_row(
            str(n),
            safe_text(hit.title),
            safe_text(hit.url),
            safe_text(hit.heading),
            f"{hit.score:.3f}",
            marked.markup("\x00", "\x01")
            .replace("[", r"\[")
            .replace("\x00", "[bold yellow]")
            .replace("\x01", "[/bold yellow]"),
        )
    out.print(table)


def check(
    repair: bool = typer.Option(False, "--repair", help="Fix the index where it disagrees."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check the catalog's integrity and that the index agrees with it (and repair it)."""
    from calanque.index.drift import check as run_check

    runtime = STATE.runtime
    try:
        report = run_check(runtime.catalog, runtime.index, runtime.embedder, repair=repair)
    finally:
        runtime.close_search()
    if as_json:
        print_json(report.to_dict())
    else:
        verdict = "[green]ok" if report.ok else "[red]problems found"
        out.print(
            f"{verdict}[/]: index at {report.index_position} of {report.catalog_head}; "
            f"{report.missing_in_index} chunks missing, {report.stray_in_index} stray, "
            f"{report.components_disagree} only half-indexed, "
            f"{report.dense_pending} waiting for vectors"
            + ("; repaired" if report.repaired else "")
        )
        for problem in report.problems:
            out.print(f"  catalog: {escape(problem)}")
    if not report.ok and not report.repaired:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(check)
    app.command()(index)
    app.command()(reindex)
    app.command()(search)
    app.command()(status)
