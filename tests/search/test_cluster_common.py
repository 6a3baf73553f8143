"""The parts of the cluster backends that need no node: settings, names, clause naming and the
highlight post-processing that makes Lucene's marks look like FTS5's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipsentry.config.settings import Settings
from ipsentry.search.cluster_common import (
    ClusterConnection,
    check_prefix,
    clause_name,
    merge_phrase_marks,
    named_clauses,
    version_of,
)
from ipsentry.search.elasticsearch_index import elasticsearch_client
from ipsentry.search.factory import BackendUnavailableError, open_index
from ipsentry.search.opensearch_index import opensearch_client
from ipsentry.search.query import parse_query

S, E = "\ue000", "\ue001"  # the highlight markers the cluster is asked for (start, end)


def marks(text: str) -> str:
    return text.replace(S, "[").replace(E, "]")


def phrases(*texts: str) -> list[list[str]]:
    """The token lists of query phrases: Chinese characters one by one, words whole."""
    return [re.findall(r"[\u4e00-\u9fff]|\w+", text.lower()) for text in texts]


@pytest.mark.parametrize(
    ("fragment", "query_phrases", "expected"),
    [
        # A phrase is one mark, as FTS5 marks it; Lucene marks each token.
        (
            f"a {S}Limited{E} {S}Exclusion{E} {S}Order{E} and",
            ["limited exclusion order"],
            "a [Limited Exclusion Order] and",
        ),
        # Chinese words are phrases over their characters.
        (f"{S}英{E}{S}诺{E}", ["英诺"], "[英诺]"),
        (f"深圳市{S}英{E}{S}诺{E}{S}赛{E}{S}科{E}贸易", ["英诺赛科"], "深圳市[英诺赛科]贸易"),
        # Two occurrences side by side stay two marks.
        (f"{S}英{E}{S}诺{E}{S}英{E}{S}诺{E}", ["英诺"], "[英诺][英诺]"),
        # Separate words stay separate, as on the embedded index.
        (f"{S}Exclusion{E} {S}Order{E}", ["exclusion", "order"], "[Exclusion] [Order]"),
        # The phrase is found inside a longer run of marks; the other word stays apart.
        (
            f"{S}Limited{E} {S}Exclusion{E} {S}Order{E}",
            ["exclusion order", "limited"],
            "[Limited] [Exclusion Order]",
        ),
        # A phrase matched through its stem ("orders") is cut by its token count.
        (f"{S}Exclusion{E} {S}Orders{E}", ["exclusion order"], "[Exclusion Orders]"),
        # A mark already covering the phrase (Elasticsearch's weight-matches mode) is kept.
        (f"{S}Limited Exclusion Order{E}", ["limited exclusion order"], "[Limited Exclusion Order]"),
        # Marks separated by another word are never joined.
        (f"{S}Shenzhen{E} x {S}Hairun{E}", ["shenzhen hairun"], "[Shenzhen] x [Hairun]"),
    ],
)
def test_phrase_marks_are_merged_like_fts5(fragment: str, query_phrases: list[str], expected: str) -> None:
    assert marks(merge_phrase_marks(fragment, phrases(*query_phrases))) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("华为 OR kind:trademark", ["华为", "kind:trademark"]),
        ("exclusion -battery", ["exclusion"]),  # negated clauses explain nothing
        (
            'party:"Innoscience America" published:2024',
            ['party:"Innoscience America"', "published:2024-01-01..2024-12-31"],
        ),
        ("a OR (b a)", ["a", "b"]),  # once each, in query order
        ("kind:itc337", ["kind:itc337"]),
        ("NOT kind:itc337", ["NOT kind:itc337"]),  # no positive clause: the query as a whole
    ],
)
def test_clauses_are_named_by_their_query_text(query: str, expected: list[str]) -> None:
    tree = parse_query(query)
    names = [name for name, _ in named_clauses(tree)]
    assert names == expected
    # A name is query text that means that clause again.
    for name, node in named_clauses(tree):
        assert parse_query(name) == node and clause_name(node) == name


def test_index_names() -> None:
    assert check_prefix("ipsentry-test_1") == "ipsentry-test_1"
    for bad in ("", "-x", "Upper", "a b", "a,b", "a*"):
        with pytest.raises(ValueError):
            check_prefix(bad)
    assert version_of("ipsentry-documents-v12", "ipsentry", "documents") == 12
    assert version_of("ipsentry-test-documents-v1", "ipsentry", "documents") is None


def test_connection_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    monkeypatch.setenv("IPSENTRY_SEARCH_BACKEND", "elasticsearch")
    monkeypatch.setenv("IPSENTRY_SEARCH_URL", "https://es1:9200, https://es2:9200")
    monkeypatch.setenv("IPSENTRY_SEARCH_USERNAME", "ipsentry")
    monkeypatch.setenv("IPSENTRY_SEARCH_PASSWORD", "s3cret")
    monkeypatch.setenv("IPSENTRY_SEARCH_VERIFY_CERTS", "false")
    monkeypatch.setenv("IPSENTRY_SEARCH_CA_CERTS", str(ca))
    monkeypatch.setenv("IPSENTRY_SEARCH_INDEX_PREFIX", "center-a")
    settings = Settings()
    assert "s3cret" not in repr(settings)  # a secret is never shown
    connection = ClusterConnection.from_settings(settings)
    assert connection == ClusterConnection(
        urls=("https://es1:9200", "https://es2:9200"),
        username="ipsentry",
        password="s3cret",
        verify_certs=False,
        ca_certs=str(ca),
        index_prefix="center-a",
    )


def test_clients_take_the_connection() -> None:
    connection = ClusterConnection(urls=("http://127.0.0.1:1", "http://127.0.0.2:1"), api_key="k")
    client = elasticsearch_client(connection)  # builds without contacting anything
    assert len(client.transport.node_pool.all()) == 2
    client.close()
    with pytest.raises(ValueError, match="username and password"):
        opensearch_client(connection)


@pytest.mark.parametrize("backend", ["elasticsearch", "opensearch"])
def test_a_cluster_backend_needs_its_url(tmp_path: Path, backend: str) -> None:
    settings = Settings(environment="test", data_dir=tmp_path / "var", search_backend=backend)
    with pytest.raises(BackendUnavailableError, match="IPSENTRY_SEARCH_URL"):
        open_index(settings)
