"""Fixtures of the search tests: the backends the conformance suite runs on, and a small corpus of
realistic documents (Section 337 notices, a Schedule A docket, trademark filings).

Backends: the embedded index always; OpenSearch when ``IPSENTRY_TEST_OPENSEARCH_URL`` names a
node (``tests/opensearch/start-node.sh`` starts one; ``.ci/run`` does); Elasticsearch when
``IPSENTRY_TEST_ELASTICSEARCH_URL`` does.  Otherwise their tests are skipped, saying why, unless
``IPSENTRY_REQUIRE_OPENSEARCH=1`` (or ``…_ELASTICSEARCH=1``): then they fail.  Each cluster test
gets indices of its own (a unique prefix) and deletes them afterwards."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ipsentry.core.documents import Document, Match, Party, RiskKind, Role, Severity
from ipsentry.search.index import DocumentIndex

CLUSTER_BACKENDS = ["opensearch", "elasticsearch"]
EMBEDDED_BACKENDS = ["sqlite", "tantivy"]
BACKENDS = [*EMBEDDED_BACKENDS, *CLUSTER_BACKENDS]

FETCHED = datetime(2026, 2, 4, 8, 30, tzinfo=UTC)


def _cluster_unavailable(name: str, reason: str) -> None:
    """Skips, or fails when this backend is required (CI starts an OpenSearch node)."""
    if os.environ.get(f"IPSENTRY_REQUIRE_{name.upper()}") == "1":
        pytest.fail(f"IPSENTRY_REQUIRE_{name.upper()}=1 but {reason}")
    pytest.skip(reason)


@cache
def _reachable(name: str, url: str) -> str | None:
    """None when the cluster answers; else why not (asked once per session)."""
    client = _cluster_client(name, url)
    try:
        client.cluster.health(wait_for_status="yellow")
    except Exception as error:  # any failure to connect means "not available" here
        return f"{type(error).__name__}: {error}"
    finally:
        client.close()
    return None


def _cluster_client(name: str, url: str) -> Any:
    from ipsentry.search.cluster_common import ClusterConnection

    connection = ClusterConnection(urls=(url,), timeout=60.0)
    if name == "opensearch":
        from ipsentry.search.opensearch_index import opensearch_client

        return opensearch_client(connection)
    from ipsentry.search.elasticsearch_index import elasticsearch_client

    return elasticsearch_client(connection)


def cluster_url(name: str) -> str:
    """The URL of the test cluster of that backend, or skip / fail saying why there is none."""
    variable = f"IPSENTRY_TEST_{name.upper()}_URL"
    url = os.environ.get(variable)
    if not url:
        hint = ""
        if name == "opensearch":
            missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
            hint = (
                f" (a test node needs Java and Maven; not installed here: {', '.join(missing)})"
                if missing
                else " (start one: tests/opensearch/start-node.sh)"
            )
        _cluster_unavailable(name, f"{name} tests need {variable}{hint}")
        raise AssertionError("unreachable")
    problem = _reachable(name, url)
    if problem is not None:
        _cluster_unavailable(name, f"no {name} node answers at {variable}={url}: {problem}")
    return url


def unique_prefix() -> str:
    return f"ipsentry-test-{uuid.uuid4().hex[:12]}"


def open_cluster_index(name: str, *, refresh: bool = True, prefix: str | None = None) -> Any:
    """An empty cluster index with a prefix of its own (the caller drops it)."""
    url = cluster_url(name)
    prefix = prefix or unique_prefix()
    if name == "opensearch":
        from ipsentry.search.opensearch_index import OpenSearchDocumentIndex

        return OpenSearchDocumentIndex(_cluster_client(name, url), prefix=prefix, refresh=refresh)
    from ipsentry.search.elasticsearch_index import ElasticsearchDocumentIndex

    return ElasticsearchDocumentIndex(_cluster_client(name, url), prefix=prefix, refresh=refresh)


def _open_backend(name: str, tmp_path: Path) -> DocumentIndex:
    if name == "sqlite":
        from ipsentry.search.sqlite_index import SqliteDocumentIndex

        return SqliteDocumentIndex(tmp_path / "documents.sqlite")
    if name == "tantivy":
        from ipsentry.search.tantivy_index import TantivyDocumentIndex

        return TantivyDocumentIndex(tmp_path / "documents.tantivy")
    if name in CLUSTER_BACKENDS:
        return open_cluster_index(name)  # type: ignore[no-any-return]
    raise AssertionError(f"no such backend {name}")


def close_backend(index: DocumentIndex) -> None:
    drop = getattr(index, "drop", None)  # cluster indices: delete this test's indices
    try:
        if drop is not None:
            drop()
    finally:
        index.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentIndex]:
    """An empty index of each available backend."""
    index = _open_backend(request.param, tmp_path)
    yield index
    close_backend(index)


@pytest.fixture(params=CLUSTER_BACKENDS)
def cluster_index(request: pytest.FixtureRequest) -> Iterator[Any]:
    """An empty index of each available cluster backend."""
    index = open_cluster_index(request.param)
    yield index
    close_backend(index)


@pytest.fixture
def cluster_index_factory(cluster_index: Any) -> Iterator[Callable[..., Any]]:
    """Opens more indices of the same backend as ``cluster_index`` (each with its own prefix,
    dropped afterwards), e.g. with other options."""
    opened: list[Any] = []

    def open_more(**options: Any) -> Any:
        index = open_cluster_index(cluster_index.backend, **options)
        opened.append(index)
        return index

    yield open_more
    for index in opened:
        close_backend(index)


def _backend_settings(name: str) -> Iterator[dict[str, Any]]:
    if name in EMBEDDED_BACKENDS:
        yield {"search_backend": name}
        return
    url = cluster_url(name)
    prefix = unique_prefix()
    yield {"search_backend": name, "search_url": url, "search_index_prefix": prefix}
    close_backend(open_cluster_index(name, prefix=prefix))  # drops what the test made


@pytest.fixture(params=BACKENDS)
def search_settings(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """Settings (to update ``Settings`` with) naming each available backend, for tests that run
    the service on it: a cluster's indices get a prefix of their own, dropped afterwards."""
    yield from _backend_settings(request.param)


@pytest.fixture(params=CLUSTER_BACKENDS)
def cluster_settings(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """``search_settings`` of the cluster backends only."""
    yield from _backend_settings(request.param)


def make_document(**fields: Any) -> Document:
    """A document with plausible defaults for what a test does not care about."""
    fields.setdefault("native_id", fields["id"].split(":", 1)[1])
    fields.setdefault("source", "federal_register")
    fields.setdefault("kind", RiskKind.ITC337)
    fields.setdefault("fetched", FETCHED)
    return Document(**fields)


@pytest.fixture
def make_doc() -> Callable[..., Document]:
    return make_document


def corpus_documents() -> list[Document]:
    innoscience_match = Match(
        enterprise_id=101,
        enterprise_name="英诺赛科（苏州）科技有限公司",
        kind="party_name",
        role=Role.RESPONDENT,
        evidence="Innoscience (Suzhou) Technology Company, Ltd.",
        variant="Innoscience (Suzhou) Technology Co., Ltd.",
    )
    return [
        make_document(
            id="fr:2024-09877",
            title=(
                "Certain Semiconductor Devices and Products Containing the Same; Institution of Investigation"
            ),
            summary=(
                "Notice is hereby given that a complaint was filed with the U.S. International Trade "
                "Commission on behalf of Efficient Power Conversion Corporation of El Segundo, California. "
                "The respondents are Innoscience (Zhuhai) Technology Company, Ltd. of Zhuhai, China; "
                "Innoscience (Suzhou) Technology Company, Ltd. of Suzhou, China; and Innoscience America, "
                "Inc. of Santa Clara, California."
            ),
            text="The complaint requests that the Commission issue a general exclusion order.",
            published=date(2024, 5, 2),
            authority="USITC",
            case_numbers=["337-TA-1414"],
            stage="institution",
            parties=[
                Party(name="Efficient Power Conversion Corporation", role=Role.COMPLAINANT, country="US"),
                Party(
                    name="Innoscience (Suzhou) Technology Company, Ltd.",
                    role=Role.RESPONDENT,
                    country="China",
                    city="Suzhou",
                    aliases=["英诺赛科（苏州）科技有限公司"],
                ),
                Party(name="Innoscience America, Inc.", role=Role.RESPONDENT, country="United States"),
            ],
            products=["gallium nitride transistors"],
            matches=[innoscience_match],
            severity=Severity.CRITICAL,
        ),
        make_document(
            id="fr:2025-18840",
            title=(
                "Certain Semiconductor Devices and Products Containing the Same; Notice of a Commission "
                "Final Determination Finding a Violation of Section 337; Issuance of a Limited Exclusion "
                "Order and Cease and Desist Orders; Termination of the Investigation"
            ),
            summary=(
                "The Commission has determined that there is a violation of section 337 and has issued a "
                "limited exclusion order against Innoscience (Suzhou) Technology Company, Ltd."
            ),
            published=date(2025, 10, 1),
            authority="USITC",
            case_numbers=["337-TA-1414"],
            stage="limited_exclusion_order",
            parties=[
                Party(
                    name="Innoscience (Suzhou) Technology Company, Ltd.",
                    role=Role.RESPONDENT,
                    country="P.R. China",
                ),
            ],
            matches=[innoscience_match],
            severity=Severity.CRITICAL,
        ),
        make_document(
            id="fr:2025-00871",
            title=(
                "Certain Lithium-Ion Battery Cells and Products Containing the Same; Notice of Receipt of "
                "Complaint; Solicitation of Comments Relating to the Public Interest"
            ),
            summary=(
                "The proposed respondents are Shenzhen Hairun Battery Co., Ltd. of China and Hairun "
                "Energy (Hong Kong) Limited of Hong Kong. The order that the complainant seeks is an "
                "exclusion, not limited to the named respondents."
            ),
            published=date(2025, 1, 15),
            authority="USITC",
            docket_number="DN 3801",
            stage="receipt_of_complaint",
            parties=[
                Party(
                    name="Shenzhen Hairun Battery Co., Ltd.", role=Role.PROPOSED_RESPONDENT, country="China"
                ),
                Party(
                    name="Hairun Energy (Hong Kong) Limited",
                    role=Role.PROPOSED_RESPONDENT,
                    country="Hong Kong",
                ),
            ],
        ),
        make_document(
            id="cl:docket:68234511",
            source="courtlistener",
            kind=RiskKind.ECOMMERCE,
            title="Nike, Inc. v. The Partnerships and Unincorporated Associations Identified on Schedule A",
            summary="Sealed temporary restraining order granted; asset freeze on the defendants' stores.",
            text=(
                "Schedule A defendants: 1 华为智选旗舰店 (seller id A2X9Q); 2 深圳市英诺赛科贸易有限公司; "
                "3 Shoe-Outlet-2024. <script>alert('x')</script> Greer, Burns & Crain appear for plaintiff."
            ),
            published=date(2024, 3, 26),
            authority="ilnd",
            case_numbers=["1:24-cv-02451"],
            extra={
                "plaintiff": "Nike, Inc.",
                "brands": ["NIKE", "JORDAN"],
                "law_firms": ["Greer, Burns & Crain"],
            },
            stage="tro_granted",
            parties=[
                Party(name="Nike, Inc.", role=Role.PLAINTIFF, country="US"),
                Party(name="Greer, Burns & Crain, Ltd.", role=Role.ATTORNEY),
                Party(name="华为智选旗舰店", role=Role.DEFENDANT, country="CN"),
            ],
            matches=[
                Match(enterprise_id=202, kind="store", role=Role.DEFENDANT, variant="华为智选"),
            ],
            severity=Severity.CRITICAL,
        ),
        make_document(
            id="uspto:98763166",
            source="uspto",
            kind=RiskKind.TRADEMARK,
            title="英诺",
            summary="New application for the standard character mark 英诺 (transliteration YING NUO).",
            extra={"transliteration": "YING NUO"},
            published=date(2024, 9, 14),
            authority="USPTO",
            stage="new_application",
            classes=[9, 42],
            parties=[
                Party(name="Shenzhen Yingnuo Trading Co., Ltd.", role=Role.APPLICANT, country="CN"),
            ],
            matches=[
                Match(enterprise_id=101, kind="similar_mark", role=Role.APPLICANT, variant="英诺赛科"),
            ],
            severity=Severity.HIGH,
        ),
        make_document(
            id="euipo:018765432",
            source="euipo",
            kind=RiskKind.TRADEMARK,
            title="HUAWEI SMART",
            summary="EU trade mark application in classes 9 and 35.",
            published=date(2023, 11, 2),
            jurisdiction="EU",
            authority="EUIPO",
            stage="published_for_opposition",
            classes=[9, 35],
            parties=[Party(name="Smart Brands GmbH", role=Role.APPLICANT, country="Germany")],
        ),
        make_document(
            id="fr:2023-12011",
            title=(
                "Certain Audio Players and Controllers, Components Thereof, and Products Containing the "
                "Same; Notice of a Commission Determination Not To Review an Initial Determination"
            ),
            summary=(
                "The ID found that the order should not be limited; exclusion of the respondent's products."
            ),
            published=date(2023, 6, 12),
            authority="USITC",
            case_numbers=["337-TA-1191"],
            stage="initial_determination",
            parties=[
                Party(name="Google LLC", role=Role.COMPLAINANT, country="US"),
                Party(name="Sonos, Inc.", role=Role.RESPONDENT, country="US"),
            ],
        ),
        make_document(
            id="pacer:nysd:2022-cv-10155",
            source="pacer_rss",
            kind=RiskKind.ECOMMERCE,
            title="Spin Master Ltd. v. The Individuals Identified in Schedule A",
            summary="Complaint for trademark counterfeiting against online sellers.",
            filed=date(2022, 12, 1),
            authority="nysd",
            case_numbers=["1:22-cv-10155"],
            stage="complaint",
            parties=[Party(name="Spin Master Ltd.", role=Role.PLAINTIFF, country="Canada")],
        ),
    ]


@pytest.fixture
def corpus() -> list[Document]:
    return corpus_documents()


@pytest.fixture
def indexed(backend: DocumentIndex, corpus: list[Document]) -> DocumentIndex:
    """A backend holding the corpus."""
    result = backend.upsert(corpus)
    assert sorted(result.created) == sorted(d.id for d in corpus)
    return backend
