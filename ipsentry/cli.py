"""The ``ipsentry`` command line (Typer + Rich)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ipsentry.config.settings import Settings, get_settings

app = typer.Typer(
    help="ipsentry — 海外知识产权风险监测预警 (overseas IP risk monitoring).", no_args_is_help=True
)
enterprise_app = typer.Typer(help="The enterprise registry.", no_args_is_help=True)
app.add_typer(enterprise_app, name="enterprise")

console = Console()
err = Console(stderr=True)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log progress")] = False) -> None:
    _setup_logging(verbose)


def _context(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    from ipsentry.service.context import build_context

    return build_context(settings or get_settings())


@app.command()
def init() -> None:
    """Create the data directory and database (idempotent) and, the first time, an admin
    user whose API key is printed once."""
    from sqlalchemy import select

    from ipsentry.core.db import transaction
    from ipsentry.core.models import User
    from ipsentry.core.users import create_user, issue_api_key

    context = _context()
    with transaction(context.session_factory) as session:
        if session.scalar(select(User).where(User.role == "admin")) is not None:
            console.print("[green]数据库已就绪 / database ready[/] (an admin exists already)")
            return
        admin = create_user(session, username="admin", role="admin")
        key = issue_api_key(session, admin, name="initial")
    console.print(f"[green]数据库已创建 / database created[/] at {context.settings.resolved_database_url}")
    console.print(f"admin API key (shown once, keep it safe): [bold]{key}[/]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    scheduler: Annotated[bool, typer.Option(help="also run the crawl and delivery jobs")] = True,
) -> None:
    """Run the API (and the scheduler: crawls and deliveries)."""
    import uvicorn

    from ipsentry.api.app import create_app
    from ipsentry.service.scheduler import build_scheduler

    context = _context()
    # The subscriptions table is the record: a fresh cluster index gets every saved search.
    context.sync_saved_searches()
    jobs = build_scheduler(context) if scheduler else None
    if jobs:
        jobs.start()
    try:
        uvicorn.run(create_app(context), host=host, port=port)
    finally:
        if jobs:
            jobs.shutdown(wait=False)
        context.close()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(context: typer.Context) -> None:
    """Run a delivery worker until SIGTERM (options: --lease-seconds, --idle-seconds, --batch, --once)."""
    from ipsentry.service.worker import main as worker_main

    raise typer.Exit(worker_main(context.args))


@app.command()
def crawl(
    source: Annotated[str, typer.Argument(help="source name, e.g. federal_register")],
    since: Annotated[str | None, typer.Option(help="first publication date, YYYY-MM-DD")] = None,
) -> None:
    """Crawl one source now and ingest what it returns."""
    from ipsentry.service.crawl import crawl_source

    context = _context()
    report = crawl_source(context, source, since=date.fromisoformat(since) if since else None)
    console.print(
        f"{source}: fetched {report.fetched}, new {len(report.ingest.created)}, "
        f"updated {len(report.ingest.updated)}, alerts {report.ingest.alerts}, errors {report.errors}"
    )
    for sample in report.error_samples[:5]:
        err.print(f"  [yellow]problem:[/] {sample}")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="query language, e.g. 'exclusion AND kind:itc337'")],
    limit: Annotated[int, typer.Option(help="how many")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False,
) -> None:
    """Search the stored documents."""
    from ipsentry.search.index import QueryError, SearchRequest

    context = _context()
    try:
        result = context.index.search(SearchRequest(query=query, limit=limit, highlight=False))
    except QueryError as error:
        err.print(f"[red]query error:[/] {error}")
        raise typer.Exit(2) from error
    if as_json:
        for hit in result.hits:
            print(hit.document.model_dump_json(exclude={"text"}))
        return
    table = Table(title=f"{result.total} documents")
    for column in ("published", "id", "stage", "title"):
        table.add_column(column)
    for hit in result.hits:
        document = hit.document
        table.add_row(str(document.published or ""), document.id, document.stage, document.title[:90])
    console.print(table)


@app.command()
def parse(
    source: Annotated[str, typer.Argument(help="parser name (federal-register, pacer-rss, uspto-daily, …)")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a captured response")],
) -> None:
    """Print the documents parsed from a captured response as JSON lines; problems go to stderr."""
    from ipsentry.crawlers.parsers.registry import UnknownParser, get_parser

    try:
        parser = get_parser(source)
    except UnknownParser as error:
        err.print(f"[red]{error.args[0]}[/]")
        raise typer.Exit(2) from error
    result = parser(file.read_bytes(), url=file.resolve().as_uri())
    for document in result.documents:
        sys.stdout.write(document.model_dump_json() + "\n")
    for problem in result.problems:
        err.print(f"[yellow]problem[/] {problem.record}: {problem.reason}")
    err.print(f"{len(result.documents)} documents, {len(result.problems)} problems")


@app.command()
def reindex(
    delete_old: Annotated[bool, typer.Option(help="delete the previous index version afterwards")] = False,
    from_index: Annotated[
        Path | None,
        typer.Option(
            "--from-index",
            help="copy every document of this embedded index (a SQLite file or a tantivy directory) "
            "into the configured index: how to move to tantivy or to a cluster",
        ),
    ] = None,
) -> None:
    """Rebuild the cluster index (Elasticsearch/OpenSearch) after a mapping change and move the
    alias to it in one step; or, with --from-index, fill the configured index from another."""
    settings = get_settings()
    if from_index is not None:
        _copy_index(settings, from_index)
    elif settings.search_backend in ("sqlite", "tantivy"):
        err.print(
            f"the embedded index needs no reindex (IPSENTRY_SEARCH_BACKEND is {settings.search_backend}); "
            "--from-index copies another index into it"
        )
        raise typer.Exit(2)
    else:
        from ipsentry.search.reindex import reindex as reindex_cluster

        console.print(f"now serving from {reindex_cluster(settings, delete_old=delete_old)}")
    # The saved-search registrations are completed from the subscriptions table (the record).
    context = _context(settings)
    try:
        report = context.sync_saved_searches()
    finally:
        context.close()
    console.print(
        f"saved searches: {len(report.registered)} registered, {len(report.removed)} removed, "
        f"{len(report.refused)} refused"
    )


def _copy_index(settings: Settings, source_path: Path) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ipsentry.search.factory import open_index
    from ipsentry.search.reindex import copy_documents, open_embedded_index

    target_path = settings.resolved_index_path
    if settings.search_backend in ("sqlite", "tantivy") and source_path.resolve() == target_path.resolve():
        err.print(f"{source_path} is the configured index itself; name the one to copy from", soft_wrap=True)
        raise typer.Exit(2)
    try:
        source = open_embedded_index(source_path)
    except (FileNotFoundError, ValueError) as error:
        err.print(f"[red]cannot copy from {source_path}: {error}[/]", soft_wrap=True)
        raise typer.Exit(2) from error
    target = open_index(settings)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err) as progress:
            task = progress.add_task(f"copying into {settings.search_backend}", total=source.count())
            result = copy_documents(
                source,
                target,
                on_batch=lambda batch: progress.advance(
                    task, len(batch.created) + len(batch.updated) + len(batch.unchanged)
                ),
            )
    finally:
        source.close()
        target.close()
    console.print(
        f"copied from {source_path}: {len(result.created)} created, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged",
        soft_wrap=True,  # a path is long: Rich would break the line where a script reads it
    )


@enterprise_app.command("import")
def enterprise_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON, CSV or XLSX")],
) -> None:
    """Import or update enterprises; invalid rows are reported with their row number."""
    from ipsentry.core.db import transaction
    from ipsentry.core.registry_io import read_registry_file
    from ipsentry.core.registry_store import upsert_records
    from ipsentry.service.retro import retro_match

    records, problems = read_registry_file(file)
    context = _context()
    with transaction(context.session_factory) as session:
        created, updated = upsert_records(session, records)
    console.print(f"created {len(created)}, updated {len(updated)}, rejected {len(problems)}")
    for problem in problems:
        err.print(f"  [yellow]row {problem.row}:[/] {problem.reason}")
    if created or updated:
        changed = retro_match(context, created + updated)
        console.print(f"retro-matching: {changed} stored documents changed")


@enterprise_app.command("list")
def enterprise_list() -> None:
    """List the registry."""
    from sqlalchemy import select

    from ipsentry.core.models import Enterprise

    context = _context()
    table = Table()
    for column in ("id", "external id", "名称", "English", "region"):
        table.add_column(column)
    with context.session_factory() as session:
        for row in session.scalars(select(Enterprise).order_by(Enterprise.id)):
            region = "/".join(filter(None, (row.region_province, row.region_city)))
            table.add_row(str(row.id), row.external_id, row.name_zh or "", "; ".join(row.names_en), region)
    console.print(table)


@app.command()
def demo(
    once: Annotated[bool, typer.Option("--once", help="run the flow and exit instead of serving")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object of counts")] = False,
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve on")] = 8000,
) -> None:
    """Offline demo on the embedded default: real recorded Federal Register documents replayed
    through the real spider, tagged against a sample registry, alerted, delivered, served."""
    from ipsentry.service.demo import run_demo

    settings = get_settings()
    if not settings.samples_dir.is_dir():
        err.print(f"[red]samples not found at {settings.samples_dir}[/] (set IPSENTRY_SAMPLES_DIR)")
        raise typer.Exit(2)
    if not as_json:
        console.print(
            "[bold]ipsentry 演示 / demo[/] — replaying recorded Federal Register responses offline…"
        )
    report, context, server = run_demo(settings)
    try:
        if as_json:
            print(
                json.dumps(
                    {"documents": report.documents, "matches": report.matches, "alerts": report.alerts}
                )
            )
        else:
            _print_demo(report, context.settings)
        if once:
            return
        _serve_demo(context, host, port, report)
    finally:
        server.stop()
        context.close()


def _print_demo(report, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    crawl = report.crawl
    console.print(
        f"抓取 crawled: {crawl.fetched} documents in {crawl.requests} requests "
        f"({len(crawl.ingest.created)} new, {len(crawl.ingest.updated)} updated, {crawl.errors} problems)"
    )
    console.print(f"索引 indexed: {report.documents} documents · 匹配 matches: {report.matches}")
    console.print(f"预警 alerts: {report.alerts} · 已投递 delivered: {report.delivered}")
    for line in report.respondent_alerts[:10]:
        console.print(f"  [red]●[/] {line}")
    console.print(f"数据 data: {settings.resolved_database_url} and {settings.resolved_index_path}")


def _serve_demo(context, host: str, port: int, report) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from ipsentry.api.app import create_app
    from ipsentry.service.demo import DEMO_ADMIN

    base = f"http://{host}:{port}"
    # soft_wrap: never break a password, key or command over lines (a pipe is 80 columns wide).
    console.print(
        f"\n控制台 console: {base}/login  user [bold]{DEMO_ADMIN}[/]  password [bold]{report.password}[/]",
        soft_wrap=True,
    )
    console.print(f"API: {base}/openapi.json  key (shown once): [bold]{report.api_key}[/]", soft_wrap=True)
    console.print(
        f"try: curl -H 'Authorization: Bearer {report.api_key}' '{base}/api/v1/documents?q=exclusion'",
        soft_wrap=True,
    )
    console.print("Ctrl-C to stop.")
    uvicorn.run(create_app(context), host=host, port=port, log_level="warning")


def _register_subcommands() -> None:
    """Commands kept in their own modules (each about one job)."""
    from ipsentry.cli_backfill import backfill as backfill_command
    from ipsentry.cli_tag import tag as tag_command
    from ipsentry.cli_trademark import app as trademark_app
    from ipsentry.cli_user import app as user_app

    app.command(name="backfill")(backfill_command)
    app.command(name="tag")(tag_command)
    app.add_typer(trademark_app, name="trademark")
    app.add_typer(user_app, name="user")


_register_subcommands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
