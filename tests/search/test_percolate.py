"""Saved searches matched against a batch: the same answers from percolation on a cluster and
from the embedded index's query-over-the-batch, down to which clauses matched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ipsentry.core.documents import Document, Match
from ipsentry.search import percolate
from ipsentry.search.cluster_common import ClusterDocumentIndex
from ipsentry.search.factory import open_saved_search_matcher
from ipsentry.search.index import DocumentIndex, QueryError
from ipsentry.search.percolate import PercolatorMatcher, SavedSearch, SavedSearchMatcher
from ipsentry.search.sqlite_index import SqliteDocumentIndex

A = "fr:2024-09877"  # 337-TA-1414 institution, Innoscience, 英诺赛科 alias
B = "fr:2025-18840"  # 337-TA-1414 limited exclusion order, 2025-10-01
C = "fr:2025-00871"  # receipt of complaint, Shenzhen Hairun (China, Hong Kong), 2025-01-15
D = "cl:docket:68234511"  # Schedule A, 华为智选旗舰店
E = "uspto:98763166"  # trademark 英诺
F = "euipo:018765432"  # trademark HUAWEI SMART
H = "pacer:nysd:2022-cv-10155"  # Schedule A, Spin Master

SEARCHES: list[tuple[int, str, dict[str, object]]] = [
    (1, "华为 OR kind:trademark", {}),
    (2, "exclusion AND (kind:ecommerce OR stage:institution)", {}),
    (3, "NOT (kind:itc337 OR kind:trademark)", {}),
    (4, "party:英诺赛科 OR brand:英诺", {"kind": "itc337"}),  # E is a trademark: not seen
    (5, "exclusion", {"active": False}),
    (6, "country:CN published:2025", {"owner": "center-a"}),
    (10, "innoscience -stage:institution", {"owner": "center-b"}),
]
EXPECTED = {
    A: [("2", ["exclusion", "stage:institution"]), ("4", ['party:"英诺赛科"'])],
    B: [("6", ["country:CN", "published:2025-01-01..2025-12-31"]), ("10", ["innoscience"])],
    C: [("6", ["country:CN", "published:2025-01-01..2025-12-31"])],
    D: [("1", ["华为"]), ("3", ["NOT (kind:itc337 OR kind:trademark)"])],
    E: [("1", ["kind:trademark"])],
    F: [("1", ["kind:trademark"])],
    H: [("3", ["NOT (kind:itc337 OR kind:trademark)"])],
}


@pytest.fixture
def matcher(indexed: DocumentIndex) -> Iterator[SavedSearchMatcher]:
    """The matcher of each backend, beside an index holding the corpus, with SEARCHES saved."""
    saved = open_saved_search_matcher(indexed)
    for sid, query, options in SEARCHES:
        saved.register(sid, query, **options)  # type: ignore[arg-type]
    yield saved


def test_a_batch_matches_saved_searches_with_the_clauses_that_held(
    matcher: SavedSearchMatcher, corpus: list[Document]
) -> None:
    assert matcher.match_batch(corpus) == EXPECTED
    # A repeated document is matched once, as its last version.
    assert matcher.match_batch([*corpus, corpus[0]]) == EXPECTED


def test_owners_filter_the_saved_searches(matcher: SavedSearchMatcher, corpus: list[Document]) -> None:
    assert matcher.match_batch(corpus, owners=["center-a"]) == {
        B: [("6", ["country:CN", "published:2025-01-01..2025-12-31"])],
        C: [("6", ["country:CN", "published:2025-01-01..2025-12-31"])],
    }
    assert matcher.match_batch(corpus, owners=["nobody"]) == {}
    assert matcher.match_batch([]) == {}


def test_register_replaces_and_remove_forgets(matcher: SavedSearchMatcher, corpus: list[Document]) -> None:
    saved = {s.subscription_id: s for s in matcher.saved_searches()}
    assert saved["4"] == SavedSearch("4", "party:英诺赛科 OR brand:英诺", kind="itc337")
    assert saved["5"].active is False
    # A new query for a known id replaces the old one, clauses included.
    matcher.register(1, "hairun")
    matcher.register("2", "kind:trademark", active=False)
    found = matcher.match_batch(corpus)
    assert found[C] == [("1", ["hairun"]), ("6", ["country:CN", "published:2025-01-01..2025-12-31"])]
    assert found[D] == [("3", ["NOT (kind:itc337 OR kind:trademark)"])]  # no longer 华为
    assert all(sid != "2" for matches in found.values() for sid, _ in matches)
    assert matcher.remove(3) is True
    assert matcher.remove(3) is False
    assert H not in matcher.match_batch(corpus)
    assert [s.subscription_id for s in matcher.saved_searches()] == ["1", "2", "4", "5", "6", "10"]


def test_bad_saved_searches_are_refused(matcher: SavedSearchMatcher) -> None:
    with pytest.raises(QueryError, match="unbalanced"):
        matcher.register(20, "(exclusion")
    with pytest.raises(ValueError, match="patent"):
        matcher.register(21, "exclusion", kind="patent")
    assert "20" not in {s.subscription_id for s in matcher.saved_searches()}


def test_many_saved_searches_are_registered_at_once(
    matcher: SavedSearchMatcher, corpus: list[Document]
) -> None:
    refused = matcher.register_many(
        [
            SavedSearch("1", "hairun", owner="center-a"),  # replaces 1, clauses and all
            SavedSearch("20", "(exclusion"),
            SavedSearch("21", "exclusion", kind="patent"),
            SavedSearch("22", "spin OR hairun"),
        ]
    )
    assert sorted(refused) == ["20", "21"]
    assert "unbalanced" in refused["20"]
    saved = {s.subscription_id: s for s in matcher.saved_searches()}
    assert saved["1"] == SavedSearch("1", "hairun", owner="center-a")
    assert "20" not in saved and "21" not in saved
    found = matcher.match_batch(corpus)
    assert found[C][:2] == [("1", ["hairun"]), ("6", ["country:CN", "published:2025-01-01..2025-12-31"])]
    assert ("22", ["hairun"]) in found[C] and ("22", ["spin"]) in found[H]
    assert found[D] == [("3", ["NOT (kind:itc337 OR kind:trademark)"])]  # 1 no longer says 华为


# --------------------------------------------------------------------------- percolation


def test_percolation_needs_no_indexed_documents(
    cluster_index: ClusterDocumentIndex, corpus: list[Document]
) -> None:
    matcher = PercolatorMatcher(cluster_index)
    for sid, query, options in SEARCHES:
        matcher.register(sid, query, **options)  # type: ignore[arg-type]
    assert cluster_index.count() == 0
    assert matcher.match_batch(corpus) == EXPECTED


def test_a_large_batch_is_percolated_in_chunks_and_mapped_back_by_slot(
    cluster_index: ClusterDocumentIndex, corpus: list[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    matcher = PercolatorMatcher(cluster_index)
    for sid, query, options in SEARCHES:
        matcher.register(sid, query, **options)  # type: ignore[arg-type]
    monkeypatch.setattr(percolate, "PERCOLATE_DOCUMENTS", 2)
    assert matcher.match_batch(corpus) == EXPECTED


def test_the_nightly_sweep_catches_what_percolation_could_not(
    cluster_index: ClusterDocumentIndex, corpus: list[Document]
) -> None:
    matcher = PercolatorMatcher(cluster_index)
    cluster_index.upsert(corpus)
    matcher.register(1, "华为 OR kind:trademark")
    since = datetime.now(UTC)
    # After ingest: retro-matching tags E with enterprise 303, and a search for it is saved.
    matcher.register(30, "enterprise:303 OR 华为")
    by_id = {d.id: d for d in corpus}
    retagged = by_id[E].model_copy(update={"matches": [Match(enterprise_id=303, kind="brand")]})
    assert cluster_index.upsert([retagged, by_id[D]]).updated == [E]  # D unchanged
    assert matcher.sweep(since) == {E: [("1", ["kind:trademark"]), ("30", ["enterprise:303"])]}
    assert matcher.sweep(since, since + timedelta(microseconds=1)) == {}
    everything = matcher.sweep(since - timedelta(days=1))
    assert everything[D] == [("1", ["华为"]), ("30", ["华为"])]


def test_the_embedded_sweep_reads_the_fetch_time(tmp_path: Path, make_doc: Callable[..., Document]) -> None:
    # The embedded index keeps no change time; documents fetched in the window stand in.
    index = SqliteDocumentIndex(tmp_path / "documents.sqlite")
    try:
        old = make_doc(id="fr:old", title="Certain Drones", fetched=datetime(2026, 1, 1, tzinfo=UTC))
        new = make_doc(id="fr:new", title="Certain Drones", fetched=datetime(2026, 3, 1, tzinfo=UTC))
        index.upsert([old, new])
        matcher = open_saved_search_matcher(index)
        matcher.register(7, "drones")
        assert matcher.sweep(datetime(2026, 2, 1, tzinfo=UTC)) == {"fr:new": [("7", ["drones"])]}
    finally:
        index.close()
