"""Backfill: crawl every source of a risk kind over the past and ingest as it goes
(``ipsentry backfill itc337 --since 2024-01-01``, ``ipsentry backfill trademark --since …``).

The dated sources are crawled month by month, one crawl (child process) per month, so a long
backfill shows progress, stays under the APIs' result caps and ingests each month as it arrives:
the Federal Register by publication date, USPTO's daily application files (``apcYYMMDD.zip``)
by release date, every day's file of the month, and EUIPO's trademark search by application
date.  The snapshot and feed sources (USITC IDS, EDIS RSS) are read once, in full.  Documents are
ingested through the normal pipeline (tagging, the trademark squatting screen, alerts) in batches
while the crawl still runs (``run_spider``'s ``on_document``).  Each step writes a ``CrawlRun``
row (source health shows the backfill), and a source's incremental state is carried over so the
schedule goes on from there instead of fetching it all again: the backfill's state when it
reaches further than what the scheduled crawl had; for USPTO, the daily files read are added to
the scheduled crawl's list (which it then skips) and its position is kept.

Running a backfill again is harmless: documents already stored are neither created nor changed
again, and USPTO daily files already read (by a backfill or the schedule) are not downloaded
again.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from ipsentry.core.db import transaction
from ipsentry.core.documents import Document
from ipsentry.core.models import CrawlRun, CrawlState
from ipsentry.crawlers.runner import run_spider
from ipsentry.service.context import AppContext
from ipsentry.service.ingest import IngestResult, ingest

log = logging.getLogger(__name__)

# The sources a backfill of each risk kind crawls, in this order.
KIND_SOURCES: dict[str, tuple[str, ...]] = {
    "itc337": ("federal_register", "usitc_ids", "edis_rss"),
    "trademark": ("uspto_daily", "euipo"),
}
# Sources searched by date, one calendar month per crawl.
WINDOWED_SOURCES = frozenset({"federal_register", "uspto_daily", "euipo"})
# Spider arguments of a backfill: the IDS spider yields every case, not only changed ones.
SPIDER_ARGS: dict[str, dict[str, Any]] = {"usitc_ids": {"full": "1"}}
# The Federal Register spider's default: a notice younger than this may still lack its raw text.
FRESH_DAYS = 3
INGEST_BATCH = 200
STEP_TIMEOUT_SECONDS = 3600
# A USPTO daily file can be 500 MB of zipped XML: time allowed per day of a window.
USPTO_SECONDS_PER_FILE = 600


class UnknownKind(ValueError):
    pass


@dataclass
class StepReport:
    source: str
    window: tuple[date, date] | None  # the publication dates searched, for windowed sources
    ok: bool
    fetched: int
    created: int
    updated: int
    errors: int
    error_samples: list[str] = field(default_factory=list)
    alerts: int = 0

    @property
    def label(self) -> str:
        return f"{self.window[0]:%Y-%m}" if self.window else "all"


@dataclass
class BackfillReport:
    kind: str
    since: date
    until: date
    steps: list[StepReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    @property
    def fetched(self) -> int:
        return sum(step.fetched for step in self.steps)

    @property
    def created(self) -> int:
        return sum(step.created for step in self.steps)

    @property
    def updated(self) -> int:
        return sum(step.updated for step in self.steps)

    @property
    def errors(self) -> int:
        return sum(step.errors for step in self.steps)

    @property
    def alerts(self) -> int:
        return sum(step.alerts for step in self.steps)


class BackfillObserver(Protocol):
    """What a progress display hears about (the CLI draws a Rich progress bar from it)."""

    def plan(self, source: str, steps: int) -> None: ...

    def step_started(self, source: str, window: tuple[date, date] | None) -> None: ...

    def document(self, source: str, document: Document) -> None: ...

    def step_done(self, step: StepReport) -> None: ...


class _Silent:
    def plan(self, source: str, steps: int) -> None:
        pass

    def step_started(self, source: str, window: tuple[date, date] | None) -> None:
        pass

    def document(self, source: str, document: Document) -> None:
        pass

    def step_done(self, step: StepReport) -> None:
        pass


def month_windows(since: date, until: date) -> list[tuple[date, date]]:
    """Calendar months covering since … until (the first and last ones partial)."""
    windows: list[tuple[date, date]] = []
    start = since
    while start <= until:
        next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        windows.append((start, min(next_month - timedelta(days=1), until)))
        start = next_month
    return windows


def backfill(
    context: AppContext,
    kind: str,
    *,
    since: date,
    until: date | None = None,
    observer: BackfillObserver | None = None,
) -> BackfillReport:
    """Crawl and ingest every source of ``kind`` from ``since`` to ``until`` (today)."""
    if kind not in KIND_SOURCES:
        raise UnknownKind(f"unknown risk kind {kind!r}; known: {', '.join(sorted(KIND_SOURCES))}")
    until = until or date.today()
    if since > until:
        raise ValueError(f"--since {since} is after {until}")
    observer = observer or _Silent()
    report = BackfillReport(kind=kind, since=since, until=until)
    for source in KIND_SOURCES[kind]:
        windows: Sequence[tuple[date, date] | None] = (
            month_windows(since, until) if source in WINDOWED_SOURCES else [None]
        )
        observer.plan(source, len(windows))
        for window in windows:
            observer.step_started(source, window)
            step = _run_step(context, source, window, since=since, until=until, observer=observer)
            report.steps.append(step)
            observer.step_done(step)
    log.info(
        "backfill %s %s…%s: %d fetched, %d new, %d updated, %d alerts, %d errors",
        kind, since, until, report.fetched, report.created, report.updated, report.alerts, report.errors,
    )  # fmt: skip
    return report


def _run_step(
    context: AppContext,
    source: str,
    window: tuple[date, date] | None,
    *,
    since: date,
    until: date,
    observer: BackfillObserver,
) -> StepReport:
    started = datetime.now(UTC)
    start, end = window or (since, until)
    with transaction(context.session_factory) as session:
        saved = session.get(CrawlState, source)
        saved_state = dict(saved.state) if saved else {}
    state, spider_args, timeout = _step_input(source, window, start, end, saved_state)
    ingested = IngestResult()
    pending: list[Document] = []

    def flush() -> None:
        if pending:
            ingested.add(ingest(context, pending))
            pending.clear()

    def on_document(document: Document) -> None:
        observer.document(source, document)
        pending.append(document)
        if len(pending) >= INGEST_BATCH:
            flush()

    with tempfile.TemporaryDirectory(
        prefix=f"ipsentry-backfill-{source}-", dir=context.settings.data_dir
    ) as work:
        output = run_spider(
            source,
            settings=context.settings,
            state=state,
            since=start,
            until=end,
            work_dir=Path(work),
            spider_args=spider_args,
            timeout=timeout,
            on_document=on_document,
        )
    flush()
    stats = output.stats
    step = StepReport(
        source=source,
        window=window,
        ok=output.ok,
        fetched=len(output.documents),
        created=len(ingested.created),
        updated=len(ingested.updated),
        errors=int(stats.get("errors", 0)),
        error_samples=[str(s)[:500] for s in stats.get("error_samples", [])][:20],
        alerts=ingested.alerts,
    )
    _record(context, step, output.state, started=started, requests=int(stats.get("requests", 0)), end=end)
    return step


def _step_input(
    source: str, window: tuple[date, date] | None, start: date, end: date, saved: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], float]:
    """The state, spider arguments and time limit of one step's crawl."""
    spider_args = dict(SPIDER_ARGS.get(source, {}))
    timeout: float = STEP_TIMEOUT_SECONDS
    if source == "federal_register":
        # "Fresh" means young today, not young at the end of a past month: a notice of last
        # year without raw text is final, not pending.
        spider_args["fresh_days"] = FRESH_DAYS - (date.today() - end).days
    if source == "uspto_daily":
        days = (end - start).days + 1
        spider_args["max_files"] = days + 1  # every day's file (and a stray second one)
        timeout = max(timeout, days * USPTO_SECONDS_PER_FILE)
    if window is None:
        # A snapshot or feed is read whole anyway; its saved state keeps the IDS drop check.
        return saved, spider_args, timeout
    if source == "uspto_daily":
        # The window's files read already (by the schedule or an earlier backfill) are not
        # fetched again.  Files of other days stay out: the spider keeps its list near the
        # newest file it knows, and would drop this window's from the state it hands back.
        files = saved.get("files") if isinstance(saved.get("files"), dict) else {}
        return {"files": {n: d for n, d in files.items() if _within(d, start, end)}}, spider_args, timeout
    return {}, spider_args, timeout  # a past month is searched again in full: no "seen" sets


def _record(
    context: AppContext,
    step: StepReport,
    state: dict[str, Any],
    *,
    started: datetime,
    requests: int,
    end: date,
) -> None:
    with transaction(context.session_factory) as session:
        saved = session.get(CrawlState, step.source)
        carried = _carried_state(step.source, state, saved.state if saved else None, end) if step.ok else None
        if carried is not None:
            if saved is None:
                saved = CrawlState(source=step.source, state={})
                session.add(saved)
            saved.state = carried
            saved.last_success_at = datetime.now(UTC)
        session.add(
            CrawlRun(
                source=step.source,
                started_at=started,
                finished_at=datetime.now(UTC),
                ok=step.ok,
                requests=requests,
                items=step.fetched,
                new_documents=step.created,
                updated_documents=step.updated,
                errors=step.errors,
                error_samples=step.error_samples,
                message=f"backfill {step.label}",
            )
        )


def _carried_state(
    source: str, state: dict[str, Any], saved: dict[str, Any] | None, end: date
) -> dict[str, Any] | None:
    """The state the scheduled crawl goes on from after a successful step (``None``: keep the
    saved one).  USPTO's state is a list of daily files read and a floor below which none is
    read: the files the backfill read join the list, and a saved floor stays where the
    schedule had it (a backfill of a past month must not send the schedule back there)."""
    if source == "uspto_daily" and saved:
        saved_files = saved.get("files") if isinstance(saved.get("files"), dict) else {}
        new_files = state.get("files") if isinstance(state.get("files"), dict) else {}
        return {**saved, "files": dict(sorted({**saved_files, **new_files}.items()))}
    return state if _newer(state, saved, end) else None


def _within(day: Any, start: date, end: date) -> bool:
    try:
        return start <= date.fromisoformat(str(day)) <= end
    except ValueError:
        return False


def _newer(state: dict[str, Any], saved: dict[str, Any] | None, end: date) -> bool:
    """Whether a backfill step's state should replace the scheduled crawl's: always for the
    snapshot sources (a full read is the newest truth), for dated sources only when the step
    reaches further than the saved state."""
    if not saved:
        return True
    last = saved.get("last_date") or saved.get("last_day")
    if not isinstance(last, str):
        return True
    try:
        return end > date.fromisoformat(last)
    except ValueError:
        return True
