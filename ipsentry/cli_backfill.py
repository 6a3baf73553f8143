"""``ipsentry backfill KIND --since DATE [--until DATE]``: the backfill command with a Rich
progress bar (kinds: ``itc337``, ``trademark``).

The lead registers it in :mod:`ipsentry.cli`: ``app.command()(backfill)``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from ipsentry.core.documents import Document
    from ipsentry.service.backfill import StepReport

console = Console()
err = Console(stderr=True)


class RichBackfillProgress:
    """One bar per source: months done for the dated sources (Federal Register, USPTO daily
    files, EUIPO), one step for the others; the documents received so far are counted as they
    stream in."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.documents: dict[str, int] = {}

    def plan(self, source: str, steps: int) -> None:
        self.documents[source] = 0
        self.tasks[source] = self.progress.add_task(source, total=steps, documents=0, window="")

    def step_started(self, source: str, window: tuple[date, date] | None) -> None:
        label = f"{window[0]:%Y-%m}" if window else "snapshot"
        self.progress.update(self.tasks[source], window=label)

    def document(self, source: str, document: Document) -> None:
        self.documents[source] += 1
        self.progress.update(self.tasks[source], documents=self.documents[source])

    def step_done(self, step: StepReport) -> None:
        self.progress.advance(self.tasks[step.source])
        if not step.ok or step.errors:
            mark = "[red]failed[/]" if not step.ok else "[yellow]problems[/]"
            self.progress.console.print(f"  {step.source} {step.label}: {mark} ({step.errors} errors)")
            for sample in step.error_samples[:3]:
                self.progress.console.print(f"    {sample}")


def backfill(
    kind: Annotated[str, typer.Argument(help="risk kind: itc337 or trademark")],
    since: Annotated[
        str, typer.Option(help="first date, YYYY-MM-DD (publication, daily file or application date)")
    ],
    until: Annotated[str | None, typer.Option(help="last date, YYYY-MM-DD (default today)")] = None,
) -> None:
    """Crawl every source of a risk kind from DATE (dated sources month by month: the Federal
    Register; USPTO's daily files and EUIPO's applications) and ingest what it returns."""
    # Imported here so that `ipsentry --help` does not load the crawl and ingest machinery.
    from ipsentry.config.settings import get_settings
    from ipsentry.service.backfill import KIND_SOURCES
    from ipsentry.service.backfill import backfill as run_backfill
    from ipsentry.service.context import build_context

    try:
        first = date.fromisoformat(since)
        last = date.fromisoformat(until) if until else None
    except ValueError as error:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {error}") from None
    if last is not None and first > last:
        raise typer.BadParameter(f"--since {first} is after --until {last}")
    if kind not in KIND_SOURCES:
        raise typer.BadParameter(f"unknown risk kind {kind!r}; known: {', '.join(sorted(KIND_SOURCES))}")
    context = build_context(get_settings())
    columns = (
        TextColumn("[bold]{task.description}[/] {task.fields[window]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[documents]} documents"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            report = run_backfill(
                context, kind, since=first, until=last, observer=RichBackfillProgress(progress)
            )
    finally:
        context.close()
    table = Table(title=f"backfill {kind} {report.since} … {report.until}")
    for column in ("source", "window", "fetched", "new", "updated", "alerts", "errors", "ok"):
        table.add_column(column)
    for step in report.steps:
        table.add_row(
            step.source,
            step.label,
            str(step.fetched),
            str(step.created),
            str(step.updated),
            str(step.alerts),
            str(step.errors),
            "yes" if step.ok else "[red]no[/]",
        )
    console.print(table)
    if not report.ok:
        err.print("[red]some sources did not answer; run the backfill again to retry them[/]")
        raise typer.Exit(1)
