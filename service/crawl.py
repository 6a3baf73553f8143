"""One crawl of one source: run its spider (child process) from the saved incremental state,
ingest what came back, save the new state and a CrawlRun row for source health."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from ipsentry.core.db import transaction
from ipsentry.core.models import CrawlRun, CrawlState
from ipsentry.crawlers.runner import run_spider
from ipsentry.service.context import AppContext
from ipsentry.service.ingest import IngestResult, ingest

log = logging.getLogger(__name__)


@dataclass
class CrawlReport:
    source: str
    ok: bool
    fetched: int
    ingest: IngestResult
    errors: int
    error_samples: list[str]
    requests: int


def crawl_source(context: AppContext, source: str, *, since: date | None = None) -> CrawlReport:
    started = datetime.now(UTC)
    with transaction(context.session_factory) as session:
        saved = session.get(CrawlState, source)
        state = dict(saved.state) if saved else {}
    with tempfile.TemporaryDirectory(prefix=f"ipsentry-{source}-", dir=context.settings.data_dir) as work:
        output = run_spider(source, settings=context.settings, state=state, since=since, work_dir=Path(work))
    result = ingest(context, output.documents)
    stats = output.stats
    errors = int(stats.get("errors", 0))
    samples = [str(sample)[:500] for sample in stats.get("error_samples", [])][:20]
    with transaction(context.session_factory) as session:
        saved = session.get(CrawlState, source)
        if saved is None:
            saved = CrawlState(source=source, state={})
            session.add(saved)
        saved.last_run_at = started
        if output.ok:
            # State only moves forward after the documents are safely ingested, so a failed
            # ingest re-fetches the same records next time rather than skipping them.
            saved.state = output.state
            saved.last_success_at = datetime.now(UTC)
        session.add(
            CrawlRun(
                source=source,
                started_at=started,
                finished_at=datetime.now(UTC),
                ok=output.ok,
                requests=int(stats.get("requests", 0)),
                items=len(output.documents),
                new_documents=len(result.created),
                updated_documents=len(result.updated),
                errors=errors,
                error_samples=samples,
                message=stats.get("message"),
            )
        )
    log.info(
        "crawl %s: %d fetched, %d new, %d updated, %d alerts, %d errors",
        source, len(output.documents), len(result.created), len(result.updated), result.alerts, errors,
    )  # fmt: skip
    return CrawlReport(
        source=source,
        ok=output.ok,
        fetched=len(output.documents),
        ingest=result,
        errors=errors,
        error_samples=samples,
        requests=int(stats.get("requests", 0)),
    )
