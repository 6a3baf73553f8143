"""``ipsentry trademark screen --registry FILE FILE.xml|.zip|.json …``: screen trademark filings
against a registry file, without a database, and print the squatting candidates as JSON lines.

The lead registers the sub-app in :mod:`ipsentry.cli`:
``app.add_typer(trademark_app, name="trademark")`` with
``from ipsentry.cli_trademark import app as trademark_app``.

Filings: a USPTO daily file (``apcYYMMDD.zip`` or its XML, or bare ``<case-file>`` records) read
as a stream, or an EUIPO search response (``.json``).  Each candidate line holds the mark,
serial, applicant and applicant country, the matched enterprise (the registry file's ``id`` as
``enterprise_external_id``) and brand, the variant and measure, the score, the reasons and the
opposition deadline (``deadline``, null until the mark is published; ``opposition`` says which
window will open)::

    {"file": "apc240925.zip", "serial": "98763166", "mark": "SUVENEER", "applicant": "…",
     "enterprise_external_id": "cn-0001", "brand": "SOUVENEER", "score": 0.9412,
     "reasons": ["mark 'SUVENEER' vs brand 'SOUVENEER' …"], "deadline": null, …}

Filings are screened in batches, so a day's file of any size is read in bounded memory; records
that cannot be read are reported on stderr and skipped.  Exit code 2: the registry cannot be
read or holds no enterprise; 1: a filings file could not be read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ipsentry.cli_tag import registry_or_exit
from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.base import ParseProblem
from ipsentry.crawlers.parsers.euipo import parse_search
from ipsentry.crawlers.parsers.uspto_daily import iter_case_files, merge_same_serial
from ipsentry.tagging.trademark_screen import DEFAULT_THRESHOLD, TrademarkScreen

app = typer.Typer(help="Trademark squatting: screen filings against registered brands.", no_args_is_help=True)
err = Console(stderr=True)

BATCH = 5_000  # filings screened at a time


@app.callback()
def trademark() -> None:
    """Trademark squatting: screen filings against registered brands."""
    # A callback makes ``screen`` a subcommand even when this app runs on its own.


@app.command()
def screen(
    registry: Annotated[
        Path, typer.Option("--registry", exists=True, dir_okay=False, help="registry file: JSON, CSV or XLSX")
    ],
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, help="USPTO daily .zip/.xml or EUIPO search .json"),
    ],
    threshold: Annotated[
        float, typer.Option(min=0.5, max=1.0, help="similarity a mark must reach (rapidfuzz ratio)")
    ] = DEFAULT_THRESHOLD,
    new_only: Annotated[
        bool, typer.Option("--new-only", help="only new applications (USPTO action NA / status 630, 638)")
    ] = False,
) -> None:
    """Print the squatting candidates of trademark filings as JSON lines."""
    records = registry_or_exit(registry)
    screener = TrademarkScreen.build(records, threshold=threshold)
    failed = False
    for path in files:
        try:
            for batch in _batches(path, new_only=new_only):
                for candidate in screener.screen(batch):
                    print(json.dumps({"file": path.name, **candidate.as_dict()}, ensure_ascii=False))
        except (OSError, ValueError) as error:
            err.print(f"[red]{path.name}:[/] {error}")
            failed = True
    if failed:
        raise typer.Exit(1)


def _batches(path: Path, *, new_only: bool) -> Iterator[list[Document]]:
    """The filings of one file, a batch at a time; a serial listed twice within a batch is
    screened once, in its later state."""
    batch: dict[str, Document] = {}
    for item in _filings(path):
        if isinstance(item, ParseProblem):
            err.print(f"[yellow]{path.name} {item.record}:[/] {item.reason}")
            continue
        earlier = batch.pop(item.id, None)
        if earlier is not None and "action_keys" in item.extra:
            item = merge_same_serial(earlier, item)
        batch[item.id] = item
        if len(batch) >= BATCH:
            yield _kept(batch, new_only)
            batch = {}
    if batch:
        yield _kept(batch, new_only)


def _kept(batch: dict[str, Document], new_only: bool) -> list[Document]:
    return [d for d in batch.values() if not new_only or d.extra.get("is_new_filing")]


def _filings(path: Path) -> Iterator[Document | ParseProblem]:
    if path.suffix.lower() == ".json":
        parsed = parse_search(path.read_bytes(), url=str(path))
        yield from parsed.problems
        yield from parsed.documents
    else:
        yield from iter_case_files(path, url=str(path))
