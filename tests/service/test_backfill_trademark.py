"""``ipsentry backfill trademark`` against the fixture server: USPTO's daily application files
of every day in the window and EUIPO's applications by application date, month by month,
ingested through the normal pipeline (so a squatted brand alerts); the keys reach the crawls
through the settings; run twice, the second run creates nothing and downloads nothing again.

What the fixture serves: apc240925.zip, the real USPTO day assembled from real case files (one
new application, SUVENEER serial 98763166, filed 2024-09-24); apc240926.zip and apc241002.zip
added here, each holding one real case file under action key NA (NITRO GLISSERIN 79366581 and
MADISON SQUARE GARDEN 72269147); EUIPO's real record 000274084 (RIZLA+ INTERNATIONAL, filed
1996-06-19) and five CONSTRUCTED applications of 2024-09-24…27."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from ipsentry.config.settings import SourceKeys
from ipsentry.core.db import transaction
from ipsentry.core.models import Alert, CrawlRun, CrawlState, Enterprise, Subscription
from ipsentry.core.registry import Brand, EnterpriseRecord
from ipsentry.core.registry_store import upsert_records
from ipsentry.crawlers.fixture_routes_uspto import DailyFile, UsptoFixture
from ipsentry.service.backfill import UnknownKind, backfill

from .cli_environment import cli_environment

KEY = "constructed-odp-key"
CLIENT_ID, SECRET = "constructed-client", "constructed-secret"
SINCE, UNTIL = date(2024, 8, 15), date(2024, 9, 30)
LISTING = "/api/v1/datasets/products/TRTDXFAP"
TOKEN = "/oidc/accessToken"
EUIPO_2024 = [f"euipo:01908000{n}" for n in range(1, 6)]


def _day(samples_dir: Path, record: str) -> bytes:
    """A daily file holding one real case file under action key NA (a new application)."""
    case_file = (samples_dir / "trademark" / record).read_bytes()
    return (
        b"<trademark-applications-daily><application-information><file-segments>"
        b"<action-keys><action-key>NA</action-key>" + case_file + b"</action-keys>"
        b"</file-segments></application-information></trademark-applications-daily>"
    )


@pytest.fixture
def uspto(fixture_server: Any, samples_dir: Path) -> UsptoFixture:
    fixture: UsptoFixture = fixture_server.sources["uspto_daily"]
    fixture.api_key = KEY  # any other key is refused (403)
    fixture.files.append(
        DailyFile("apc240926.zip", "2024-09-26", _day(samples_dir, "uspto-madrid66a-79366581.xml"))
    )
    fixture.files.append(
        DailyFile("apc241002.zip", "2024-10-02", _day(samples_dir, "uspto-daily-ib-72269147.xml"))
    )
    return fixture


@pytest.fixture
def context(
    app_context: Any, fixture_server: Any, uspto: UsptoFixture, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The app context with USPTO and EUIPO on the fixture server, the keys in its settings
    (none in the environment: the crawls get them as deployed)."""
    for name in ("USPTO_API_KEY", "EUIPO_CLIENT_ID", "EUIPO_CLIENT_SECRET"):
        monkeypatch.delenv(f"IPSENTRY_KEYS__{name}", raising=False)
    settings = app_context.settings
    app_context.settings = settings.model_copy(
        update={
            "sources": settings.sources.model_copy(
                update={"uspto": fixture_server.url, "euipo": fixture_server.url}
            ),
            "keys": SourceKeys(
                uspto_api_key=SecretStr(KEY), euipo_client_id=CLIENT_ID, euipo_client_secret=SecretStr(SECRET)
            ),
        }
    )
    return app_context


def _register_souveneer(context: Any) -> int:
    """An enterprise whose brand SOUVENEER (class 16) the SUVENEER filings resemble."""
    with transaction(context.session_factory) as session:
        upsert_records(
            session,
            [
                EnterpriseRecord(
                    external_id="cn-shili",
                    name_zh="深圳市示例科技有限公司",
                    names_en=["Shenzhen Shili Technology Co., Ltd."],
                    brands=[Brand(text="SOUVENEER", classes=[16])],
                )
            ],
        )
        enterprise_id = session.scalars(select(Enterprise.id)).one()
        session.add(Subscription(kind="enterprise", enterprise_id=enterprise_id, min_severity="low"))
    return int(enterprise_id)


def test_backfill_reads_every_day_file_and_euipo_month_by_month_and_alerts_on_a_squat(
    context: Any, fixture_server: Any, uspto: UsptoFixture
) -> None:
    enterprise_id = _register_souveneer(context)

    report = backfill(context, "trademark", since=SINCE, until=UNTIL)

    assert report.ok, [s.error_samples for s in report.steps]
    assert [(s.source, s.label, s.fetched, s.created) for s in report.steps] == [
        ("uspto_daily", "2024-08", 0, 0),
        ("uspto_daily", "2024-09", 2, 2),  # the new filings of 2024-09-25 and 2024-09-26
        ("euipo", "2024-08", 0, 0),
        ("euipo", "2024-09", 5, 5),
    ]
    # Each day's file of the window was downloaded; the October one was not.
    assert uspto.downloads == ["apc240925.zip", "apc240926.zip"]
    assert len(fixture_server.requests_to(LISTING)) == 2  # one listing per month
    suveneer = context.index.get("uspto:98763166")
    assert (suveneer.title, suveneer.classes, suveneer.filed) == ("SUVENEER", [16], date(2024, 9, 24))
    assert context.index.get("uspto:79366581").title == "NITRO GLISSERIN"
    assert context.index.get("uspto:72269147") is None
    assert [context.index.get(i).title for i in EUIPO_2024] == [
        "SUVENEER",
        "NITRO GLISSERIN",
        "MADISON SQUARE GARDEN",
        "GRIGIOPERLA",
        "SARGENT",
    ]
    # EUIPO was searched by application date over each month, with one token per month.
    queries = {q["query"][0] for q in fixture_server.sources["euipo"].searches}
    assert "applicationDate>=2024-08-15 and applicationDate<=2024-08-21" in queries
    assert "applicationDate>=2024-09-29 and applicationDate<=2024-09-30" in queries
    assert fixture_server.requests_to(TOKEN, method="POST") == [TOKEN, TOKEN]

    # The normal pipeline ran: the SUVENEER filings (USPTO and EU) alert the SOUVENEER owner.
    assert report.alerts == 2
    with context.session_factory() as session:
        alerts = session.scalars(select(Alert).order_by(Alert.document_id)).all()
        assert [(a.document_id, a.enterprise_id) for a in alerts] == [
            ("euipo:019080001", enterprise_id),
            ("uspto:98763166", enterprise_id),
        ]
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [(r.source, r.message, r.ok) for r in runs] == [
            ("uspto_daily", "backfill 2024-08", True),
            ("uspto_daily", "backfill 2024-09", True),
            ("euipo", "backfill 2024-08", True),
            ("euipo", "backfill 2024-09", True),
        ]
        # The scheduled crawls carry on from the backfill.
        uspto_state = session.get(CrawlState, "uspto_daily").state
        assert uspto_state["files"] == {"apc240925.zip": "2024-09-25", "apc240926.zip": "2024-09-26"}
        assert session.get(CrawlState, "euipo").state["last_date"] == "2024-09-30"

    # Again: nothing new, nothing changed, no alert twice, and no daily file downloaded again.
    again = backfill(context, "trademark", since=SINCE, until=UNTIL)
    assert again.ok
    assert (again.created, again.updated, again.alerts) == (0, 0, 0)
    assert [(s.source, s.fetched) for s in again.steps] == [
        ("uspto_daily", 0),
        ("uspto_daily", 0),
        ("euipo", 0),
        ("euipo", 5),  # searched again in full, stored already
    ]
    assert uspto.downloads == ["apc240925.zip", "apc240926.zip"]
    with context.session_factory() as session:
        assert len(session.scalars(select(Alert)).all()) == 2


def test_the_real_euipo_record_of_1996_comes_with_its_month(context: Any, uspto: UsptoFixture) -> None:
    report = backfill(context, "trademark", since=date(1996, 6, 1), until=date(1996, 6, 30))
    assert report.ok, [s.error_samples for s in report.steps]
    assert [(s.source, s.fetched, s.created) for s in report.steps] == [
        ("uspto_daily", 0, 0),
        ("euipo", 1, 1),
    ]
    rizla = context.index.get("euipo:000274084")
    assert (rizla.title, rizla.classes, rizla.filed) == ("RIZLA+ INTERNATIONAL", [25, 34], date(1996, 6, 19))
    assert rizla.stage == "cancelled"  # EXPIRED
    assert uspto.downloads == []


def test_a_past_backfill_does_not_send_the_schedule_back(context: Any, uspto: UsptoFixture) -> None:
    scheduled_uspto = {"files": {"apc260105.zip": "2026-01-05"}, "floor": "2026-01-01"}
    scheduled_euipo = {"last_date": "2026-01-10", "seen": {}}
    with transaction(context.session_factory) as session:
        session.add(CrawlState(source="uspto_daily", state=scheduled_uspto))
        session.add(CrawlState(source="euipo", state=scheduled_euipo))

    report = backfill(context, "trademark", since=date(2024, 9, 1), until=UNTIL)

    assert report.ok and report.created == 2 + 5
    with context.session_factory() as session:
        # USPTO: the files read join the schedule's list, its floor stays; EUIPO: untouched.
        assert session.get(CrawlState, "uspto_daily").state == {
            "files": {
                "apc240925.zip": "2024-09-25",
                "apc240926.zip": "2024-09-26",
                "apc260105.zip": "2026-01-05",
            },
            "floor": "2026-01-01",
        }
        assert session.get(CrawlState, "euipo").state == scheduled_euipo


def test_a_wrong_key_fails_its_source_clearly_and_the_other_still_runs(
    context: Any, uspto: UsptoFixture
) -> None:
    uspto.api_key = "another-key"
    report = backfill(context, "trademark", since=date(2024, 9, 1), until=UNTIL)

    assert not report.ok
    [refused, euipo] = report.steps
    assert (refused.source, refused.ok, refused.fetched) == ("uspto_daily", False, 0)
    assert refused.error_samples[0].startswith("unauthorized: the USPTO API refused the key (HTTP 403")
    assert (euipo.source, euipo.ok, euipo.fetched) == ("euipo", True, 5)
    with context.session_factory() as session:
        assert session.get(CrawlState, "uspto_daily") is None  # nothing to carry on from


def test_unknown_kind_is_refused(context: Any) -> None:
    with pytest.raises(UnknownKind, match="known: itc337, trademark"):
        backfill(context, "patents", since=SINCE, until=UNTIL)


def test_cli_backfill_trademark_shows_progress_and_a_summary(
    context: Any, fixture_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipsentry.cli import app

    sources_and_keys = {
        "IPSENTRY_SOURCES__USPTO": fixture_server.url,
        "IPSENTRY_SOURCES__EUIPO": fixture_server.url,
        # As deployed: the keys in the environment, read by ipsentry's settings.
        "IPSENTRY_KEYS__USPTO_API_KEY": KEY,
        "IPSENTRY_KEYS__EUIPO_CLIENT_ID": CLIENT_ID,
        "IPSENTRY_KEYS__EUIPO_CLIENT_SECRET": SECRET,
    }
    with cli_environment(monkeypatch, context.settings, sources_and_keys):
        result = CliRunner().invoke(
            app, ["backfill", "trademark", "--since", "2024-09-01", "--until", "2024-09-30"]
        )
        unknown = CliRunner().invoke(app, ["backfill", "patents", "--since", "2024-09-01"])

    assert result.exit_code == 0, result.output
    # The progress bars (one per source, the month and the documents received) …
    assert "uspto_daily 2024-09" in result.output and "2 documents" in result.output
    assert "euipo 2024-09" in result.output and "5 documents" in result.output
    # … and the summary.
    assert "backfill trademark 2024-09-01 … 2024-09-30" in result.output
    assert "uspto_daily │ 2024-09 │ 2 " in result.output
    assert "euipo       │ 2024-09 │ 5 " in result.output
    assert context.index.get("uspto:98763166") is not None
    assert KEY not in result.output and SECRET not in result.output

    assert unknown.exit_code == 2
    assert "unknown risk kind 'patents'; known: itc337, trademark" in unknown.output
