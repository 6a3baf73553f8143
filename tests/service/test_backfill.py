"""``ipsentry backfill itc337 --since DATE`` against the fixture server: the Federal Register month
by month, the USITC IDS snapshot and the EDIS feed, ingested as they stream in; run twice, the
second run creates nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from ipsentry.core.documents import Document
from ipsentry.core.models import CrawlRun, CrawlState
from ipsentry.service.backfill import StepReport, UnknownKind, backfill, month_windows

from .cli_environment import cli_environment

SINCE, UNTIL = date(2026, 1, 1), date(2026, 2, 28)


class Recorder:
    """A BackfillObserver that remembers what it heard."""

    def __init__(self) -> None:
        self.plans: list[tuple[str, int]] = []
        self.started: list[tuple[str, tuple[date, date] | None]] = []
        self.documents: dict[str, int] = {}
        self.steps: list[StepReport] = []

    def plan(self, source: str, steps: int) -> None:
        self.plans.append((source, steps))

    def step_started(self, source: str, window: tuple[date, date] | None) -> None:
        self.started.append((source, window))

    def document(self, source: str, document: Document) -> None:
        self.documents[source] = self.documents.get(source, 0) + 1

    def step_done(self, step: StepReport) -> None:
        self.steps.append(step)


@pytest.fixture
def context(app_context: Any, fixture_server: Any) -> Any:
    """The app context with every itc337 source on the fixture server, and fast politeness."""
    sources = app_context.settings.sources.model_copy(
        update={"usitc_ids": fixture_server.url, "edis": fixture_server.url}
    )
    app_context.settings = app_context.settings.model_copy(
        update={"sources": sources, "federal_register_max_rps": 50}
    )
    return app_context


def test_month_windows() -> None:
    assert month_windows(date(2025, 12, 15), date(2026, 2, 3)) == [
        (date(2025, 12, 15), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 3)),
    ]


def test_backfill_crawls_and_ingests_every_itc337_source(context: Any, fixture_server: Any) -> None:
    recorder = Recorder()
    report = backfill(context, "itc337", since=SINCE, until=UNTIL, observer=recorder)
    assert report.ok, [s.error_samples for s in report.steps]
    assert recorder.plans == [("federal_register", 2), ("usitc_ids", 1), ("edis_rss", 1)]
    assert recorder.started == [
        ("federal_register", (date(2026, 1, 1), date(2026, 1, 31))),
        ("federal_register", (date(2026, 2, 1), date(2026, 2, 28))),
        ("usitc_ids", None),
        ("edis_rss", None),
    ]
    # 24 notices in January and 5 in February 2026; 5 IDS investigations; 11 EDIS documents.
    assert [(s.source, s.label, s.fetched, s.created) for s in report.steps] == [
        ("federal_register", "2026-01", 24, 24),
        ("federal_register", "2026-02", 5, 5),
        ("usitc_ids", "all", 5, 5),
        ("edis_rss", "all", 11, 11),
    ]
    assert recorder.documents == {"federal_register": 29, "usitc_ids": 5, "edis_rss": 11}
    assert context.index.count() == 45
    assert context.index.get("ids:337-TA-1414").stage == "institution"
    assert context.index.get("fr:2026-02297").case_numbers == ["337-TA-1414"]
    # Month by month: one search per window, each for its own month.
    searches = fixture_server.requests_to("/api/v1/documents.json")
    assert len(searches) == 2 and "lte%5D=2026-01-31" in searches[0] and "gte%5D=2026-02-01" in searches[1]
    with context.session_factory() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [(r.source, r.message, r.items) for r in runs] == [
            ("federal_register", "backfill 2026-01", 24),
            ("federal_register", "backfill 2026-02", 5),
            ("usitc_ids", "backfill all", 5),
            ("edis_rss", "backfill all", 11),
        ]
        # The scheduled crawls carry on from where the backfill ended.
        assert session.get(CrawlState, "federal_register").state["last_date"] == "2026-02-28"
        assert session.get(CrawlState, "usitc_ids").state["count"] == 5
        assert len(session.get(CrawlState, "edis_rss").state["seen"]) == 11

    again = backfill(context, "itc337", since=SINCE, until=UNTIL)
    assert again.ok
    assert again.created == 0 and again.updated == 0
    assert again.fetched == 29 + 5  # the feed's items are all seen; the snapshot is read in full
    assert context.index.count() == 45


def test_a_failing_source_is_reported_and_the_others_still_run(context: Any, fixture_server: Any) -> None:
    fixture_server.fail_next("/investigations.json", status=503, retry_after=0.05, times=5)
    report = backfill(context, "itc337", since=date(2026, 2, 1), until=UNTIL)
    assert not report.ok
    assert [(s.source, s.ok) for s in report.steps] == [
        ("federal_register", True),
        ("usitc_ids", False),
        ("edis_rss", True),
    ]
    assert report.fetched == 5 + 11
    with context.session_factory() as session:
        assert session.get(CrawlState, "usitc_ids") is None  # nothing to carry on from


def test_unknown_kind_is_refused(context: Any) -> None:
    with pytest.raises(UnknownKind):
        backfill(context, "patents", since=SINCE, until=UNTIL)


def test_cli_command_draws_progress_and_summary(
    context: Any, fixture_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipsentry.cli_backfill import backfill as backfill_command

    app = typer.Typer()
    app.command()(backfill_command)  # as the lead registers it in ipsentry.cli
    sources = {
        "IPSENTRY_SOURCES__FEDERAL_REGISTER": fixture_server.url,
        "IPSENTRY_SOURCES__USITC_IDS": fixture_server.url,
        "IPSENTRY_SOURCES__EDIS": fixture_server.url,
        "IPSENTRY_FEDERAL_REGISTER_MAX_RPS": "50",
    }
    with cli_environment(monkeypatch, context.settings, sources):
        result = CliRunner().invoke(app, ["itc337", "--since", "2026-02-01", "--until", "2026-02-28"])
    assert result.exit_code == 0, result.output
    assert "backfill itc337 2026-02-01 … 2026-02-28" in result.output
    for line in (
        "federal_register │ 2026-02 │ 5 ",
        "usitc_ids        │ all     │ 5 ",
        "edis_rss         │ all     │ 11",
    ):
        assert line in result.output
    assert context.index.count() == 5 + 5 + 11

    refused = CliRunner().invoke(app, ["itc337", "--since", "2026-03-01", "--until", "2026-02-01"])
    assert refused.exit_code == 2 and "is after" in refused.output
