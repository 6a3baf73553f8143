"""The conformance suite: what every DocumentIndex backend must do, run against each one the
``backend`` fixture provides.  Expected results are worked out by hand from the corpus in
conftest.py (A…H below), so a backend that drifts from the query language fails here."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ipsentry.core.documents import Document, Match, Party, Role
from ipsentry.search.index import DocumentIndex, QueryError, SearchRequest, SearchResult

A = "fr:2024-09877"  # 337-TA-1414 institution, 2024-05-02, Innoscience, 英诺赛科 alias
B = "fr:2025-18840"  # 337-TA-1414 limited exclusion order, 2025-10-01
C = "fr:2025-00871"  # receipt of complaint, lithium-ion batteries, Shenzhen Hairun, 2025-01-15
D = "cl:docket:68234511"  # Schedule A, N.D. Ill., 华为智选旗舰店, 2024-03-26
E = "uspto:98763166"  # trademark 英诺, classes 9 and 42, 2024-09-14
F = "euipo:018765432"  # trademark HUAWEI SMART, EU, 2023-11-02
G = "fr:2023-12011"  # audio players, initial determination, 2023-06-12
H = "pacer:nysd:2022-cv-10155"  # Schedule A, no publication date (filed 2022-12-01)
ALL = {A, B, C, D, E, F, G, H}
BY_DATE_DESC = [B, C, E, A, D, F, G, H]


def search(index: DocumentIndex, query: str = "", **options: Any) -> SearchResult:
    options.setdefault("limit", 100)
    return index.search(SearchRequest(query=query, **options))


def found(index: DocumentIndex, query: str = "", **options: Any) -> set[str]:
    result = search(index, query, **options)
    ids = {hit.document.id for hit in result.hits}
    assert result.total == len(ids), "total must count exactly the matching documents"
    return ids


# --------------------------------------------------------------------------- upsert and reads


def test_upsert_is_idempotent(backend: DocumentIndex, corpus: list[Document]) -> None:
    first = backend.upsert(corpus)
    assert sorted(first.created) == sorted(ALL)
    assert first.updated == [] and first.unchanged == []
    again = backend.upsert(corpus)
    assert again.created == [] and again.updated == []
    assert sorted(again.unchanged) == sorted(ALL)
    assert backend.count() == len(ALL)
    # Re-upserting never duplicates search results either.
    assert search(backend, "exclusion").total == 4


def test_upsert_tells_updated_from_unchanged(indexed: DocumentIndex, corpus: list[Document]) -> None:
    by_id = {d.id: d for d in corpus}
    retitled = by_id[A].model_copy(
        update={"title": "Certain Robotic Vacuum Cleaners; Institution of Investigation"}
    )
    retagged = by_id[B].model_copy(
        update={"matches": [*by_id[B].matches, Match(enterprise_id=303, kind="mention")]}
    )
    refetched = by_id[C].model_copy(update={"fetched": datetime(2026, 3, 1, tzinfo=UTC)})
    result = indexed.upsert([retitled, retagged, refetched])
    assert result.created == []
    assert sorted(result.updated) == sorted([A, B])
    assert result.unchanged == [C]
    assert indexed.count() == len(ALL)
    # The index follows the update: new words and tags match, old words no longer do.
    assert found(indexed, "vacuum") == {A}
    assert found(indexed, "semiconductor") == {B}
    assert found(indexed, "enterprise:303") == {B}
    stored = indexed.get(A)
    assert stored is not None and stored.title.startswith("Certain Robotic Vacuum")


def test_dropping_a_match_removes_the_document_from_that_enterprise(
    indexed: DocumentIndex, corpus: list[Document]
) -> None:
    untagged = next(d for d in corpus if d.id == E).model_copy(update={"matches": []})
    assert indexed.upsert([untagged]).updated == [E]
    assert found(indexed, "enterprise:101") == {A, B}


def test_unchanged_document_still_keeps_the_latest_copy(
    indexed: DocumentIndex, corpus: list[Document]
) -> None:
    moved = next(d for d in corpus if d.id == G).model_copy(
        update={"url": "https://www.federalregister.gov/d/2023-12011"}
    )
    assert indexed.upsert([moved]).unchanged == [G]
    stored = indexed.get(G)
    assert stored is not None and stored.url == "https://www.federalregister.gov/d/2023-12011"


def test_the_same_id_twice_in_one_batch_is_one_document(
    backend: DocumentIndex, make_doc: Callable[..., Document]
) -> None:
    first = make_doc(id="fr:2025-1", title="Certain Drones; Institution of Investigation")
    second = first.model_copy(update={"title": "Certain Drones; Termination of the Investigation"})
    result = backend.upsert([first, second])
    assert result.created == ["fr:2025-1"] and result.updated == ["fr:2025-1"]
    assert backend.count() == 1
    assert found(backend, "termination") == {"fr:2025-1"}
    assert found(backend, "institution") == set()


def test_get_and_get_many(indexed: DocumentIndex, corpus: list[Document]) -> None:
    by_id = {d.id: d for d in corpus}
    assert indexed.get(D) == by_id[D]  # every field survives the round trip
    assert indexed.get("fr:does-not-exist") is None
    assert [d.id for d in indexed.get_many([E, "fr:nope", A, E])] == [E, A]
    assert indexed.get_many([]) == []


def test_iter_documents_yields_everything_in_batches(indexed: DocumentIndex) -> None:
    batches = list(indexed.iter_documents(batch_size=3))
    assert [len(batch) for batch in batches] == [3, 3, 2]
    assert {d.id for batch in batches for d in batch} == ALL


# --------------------------------------------------------------------------- full text


def test_english_words_are_case_insensitive_and_stemmed(indexed: DocumentIndex) -> None:
    expected = {A, B, C, G}  # "exclusion order", "Exclusion Order", "an exclusion", "exclusion of"
    assert found(indexed, "exclusion") == expected
    assert found(indexed, "EXCLUSIONS") == expected
    assert found(indexed, "innoscience") == {A, B}
    assert found(indexed, "transistor") == {A}  # products: "gallium nitride transistors"


def test_english_phrases_need_adjacent_words(indexed: DocumentIndex) -> None:
    assert found(indexed, '"limited exclusion order"') == {B}
    # The same words apart: C says "order ... exclusion, not limited", G "order ... limited; exclusion".
    assert found(indexed, "limited exclusion order") == {B, C, G}
    assert found(indexed, '"exclusion order"') == {A, B}
    assert found(indexed, '"order exclusion"') == set()


def test_chinese_two_character_words(indexed: DocumentIndex) -> None:
    assert found(indexed, "英诺") == {A, D, E}  # party alias, Schedule A text, trademark title
    assert found(indexed, "华为") == {D}
    assert found(indexed, "“英诺”") == {A, D, E}


def test_chinese_longer_words_and_phrases(indexed: DocumentIndex) -> None:
    assert found(indexed, "英诺赛科") == {A, D}
    assert found(indexed, "英诺赛科（苏州）") == {A}  # full-width brackets are not tokens
    assert found(indexed, "科技有限公司") == {A}
    assert found(indexed, "华为智选旗舰店") == {D}
    assert found(indexed, '"英诺赛科 苏州"') == {A}
    # Both characters occur in A, but not next to each other.
    assert found(indexed, "英科") == set()


def test_mixed_chinese_and_latin(indexed: DocumentIndex) -> None:
    assert found(indexed, "华为 A2X9Q") == {D}
    assert found(indexed, "英诺 mark") == {E}
    assert found(indexed, "英诺 OR hairun") == {A, C, D, E}


# --------------------------------------------------------------------------- boolean logic


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("semiconductor AND exclusion", {A, B}),
        ("semiconductor exclusion", {A, B}),
        ("semiconductor OR battery", {A, B, C}),
        ("exclusion NOT battery", {A, B, G}),
        ("exclusion -battery", {A, B, G}),
        ("NOT exclusion", {D, E, F, H}),
        ("(semiconductor OR audio) AND determination", {B, G}),
        ("battery OR semiconductor institution", {A, C}),  # AND binds tighter than OR
        ("(battery OR semiconductor) institution", {A}),
        ("-(exclusion OR schedule)", {E, F}),
        ("exclusion -(battery OR audio)", {A, B}),
    ],
)
def test_boolean_logic(indexed: DocumentIndex, query: str, expected: set[str]) -> None:
    assert found(indexed, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("华为 OR kind:trademark", {D, E, F}),
        ("exclusion AND (kind:ecommerce OR stage:institution)", {A}),
        ("NOT (kind:itc337 OR kind:trademark)", {D, H}),
        ("exclusion -stage:limited_exclusion_order", {A, C, G}),
        ("-kind:itc337", {D, E, F, H}),
        ("schedule OR class:42", {D, E, H}),
        ("(英诺 -kind:trademark) OR brand:huawei", {A, D, F}),
        ("innoscience OR NOT published:2024..", {A, B, F, G, H}),
    ],
)
def test_text_and_fields_mix_in_any_boolean_shape(
    indexed: DocumentIndex, query: str, expected: set[str]
) -> None:
    assert found(indexed, query) == expected


# --------------------------------------------------------------------------- fields


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind:ecommerce", {D, H}),
        ("kind:trademark", {E, F}),
        ("stage:institution", {A}),
        ("source:courtlistener", {D}),
        ("source:federal_register", {A, B, C, G}),
        ("court:ilnd", {D}),
        ("court:ILND", {D}),
        ("authority:usitc", {A, B, C, G}),
        ("jurisdiction:EU", {F}),
        ("jurisdiction:us", ALL - {F}),
        ("party:innoscience", {A, B}),
        ('party:"Innoscience America"', {A}),
        ('party:"Shenzhen Hairun"', {C}),
        ("party:英诺赛科", {A}),
        ("party:hairun -country:HK", set()),
        ('firm:"Greer, Burns & Crain"', {D}),
        ("firm:nike", set()),  # the plaintiff, not its law firm
        ("brand:英诺", {E}),  # the mark of a trademark filing
        ("brand:英诺赛科", {E}),  # the brand variant it matched
        ("brand:华为", {D}),  # a matched store brand
        ("brand:huawei", {F}),
        ("brand:jordan", {D}),  # a brand the Schedule A parser read from the docket
        ("class:9", {E, F}),
        ("class:35", {F}),
        ("country:CN", {A, B, C, D, E}),  # "China", "P.R. China", "CN" alike
        ("country:china", {A, B, C, D, E}),
        ('country:"Hong Kong"', {C}),
        ("country:DE", {F}),
        ("country:Canada", {H}),
        ("case:337-TA-1414", {A, B}),
        ("case:337-1414", {A, B}),
        ('case:"DN 3801"', {C}),
        ("case:1:24-cv-02451", {D}),
        ("enterprise:101", {A, B, E}),
        ("enterprise:202", {D}),
        ("enterprise:999", set()),
        ("exclusion kind:itc337 country:CN", {A, B, C}),
    ],
)
def test_field_clauses(indexed: DocumentIndex, query: str, expected: set[str]) -> None:
    assert found(indexed, query) == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"kinds": ["itc337"]}, {A, B, C, G}),
        ({"kinds": ["trademark", "ecommerce"]}, {D, E, F, H}),
        ({"sources": ["uspto", "euipo"]}, {E, F}),
        ({"stages": ["tro_granted"]}, {D}),
        ({"jurisdictions": ["eu"]}, {F}),
        ({"enterprise_ids": [101]}, {A, B, E}),
        ({"enterprise_ids": [101, 202]}, {A, B, D, E}),
        ({"document_ids": [A, D, "fr:nope"]}, {A, D}),
        ({"published_from": date(2024, 1, 1), "published_to": date(2024, 12, 31)}, {A, D, E}),
        ({"published_from": date(2025, 1, 15)}, {B, C}),
        ({"published_to": date(2023, 6, 12)}, {G}),
    ],
)
def test_request_filters(indexed: DocumentIndex, options: dict[str, Any], expected: set[str]) -> None:
    assert found(indexed, **options) == expected


def test_request_filters_and_query_are_anded(indexed: DocumentIndex) -> None:
    assert found(indexed, "英诺", kinds=["itc337", "ecommerce"]) == {A, D}
    assert found(indexed, "exclusion", enterprise_ids=[101], published_from=date(2025, 1, 1)) == {B}
    assert found(indexed, "exclusion", document_ids=[C, D, E]) == {C}
    assert found(indexed, "kind:trademark", jurisdictions=["US"]) == {E}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("published:2024", {A, D, E}),
        ("published:2025-01-01..", {B, C}),
        ("published:..2023-12-31", {F, G}),
        ("published:2024-03-26", {D}),
        ("published:2024-04..2024-09", {A, E}),
        ("NOT published:2024", {B, C, F, G, H}),  # the undated H was not published in 2024
        ("exclusion published:2025", {B, C}),
    ],
)
def test_date_ranges(indexed: DocumentIndex, query: str, expected: set[str]) -> None:
    assert found(indexed, query) == expected


def test_bad_query_raises_query_error(indexed: DocumentIndex) -> None:
    with pytest.raises(QueryError, match="unknown kind"):
        search(indexed, "exclusion kind:patent")
    with pytest.raises(QueryError, match="unbalanced"):
        search(indexed, "(exclusion")


# --------------------------------------------------------------------------- order, pages, facets


def test_empty_query_lists_everything_newest_first(indexed: DocumentIndex) -> None:
    result = search(indexed)
    assert result.total == len(ALL)
    assert [hit.document.id for hit in result.hits] == BY_DATE_DESC
    assert all(hit.highlights == {} for hit in result.hits)


def test_date_sorts(indexed: DocumentIndex) -> None:
    assert [h.document.id for h in search(indexed, sort="date_desc").hits] == BY_DATE_DESC
    assert [h.document.id for h in search(indexed, sort="date_asc").hits] == BY_DATE_DESC[::-1]
    assert [h.document.id for h in search(indexed, "exclusion", sort="date_asc").hits] == [G, A, C, B]
    assert [h.document.id for h in search(indexed, "exclusion", sort="date_desc").hits] == [B, C, A, G]


# The first hit for "innoscience" per backend.  A names it three times in a summary twice as
# long as B's (and twice among its parties), B once.  FTS5's bm25 normalises by the length of
# the whole row, so A's repeated mentions win; Lucene's BM25 (Elasticsearch, OpenSearch)
# normalises each field by its own length, which weighs A's long summary down and puts B first.
# Both are bm25 with the same field weights; only this tie-break of near-equal scores differs.
STRONGEST_INNOSCIENCE_MATCH = {"sqlite": A, "tantivy": B, "opensearch": B, "elasticsearch": B}


def test_relevance_puts_the_strongest_match_first(
    indexed: DocumentIndex, request: pytest.FixtureRequest
) -> None:
    hits = search(indexed, "exclusion", sort="relevance").hits
    assert hits[0].document.id == B  # in the title and the summary; the others once in the body
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(score > 0 for score in scores)
    # Repeated mentions of the name beat a single one (on the embedded index; see above).
    expected = STRONGEST_INNOSCIENCE_MATCH[request.node.callspec.params["backend"]]
    assert [hit.document.id for hit in search(indexed, "innoscience").hits] == [
        expected,
        *({A, B} - {expected}),
    ]


def test_pagination_and_total(indexed: DocumentIndex) -> None:
    pages = [search(indexed, sort="date_desc", offset=offset, limit=3) for offset in (0, 3, 6, 9)]
    assert [page.total for page in pages] == [len(ALL)] * 4
    assert [[h.document.id for h in page.hits] for page in pages] == [
        BY_DATE_DESC[0:3],
        BY_DATE_DESC[3:6],
        BY_DATE_DESC[6:8],
        [],
    ]
    counted = search(indexed, "exclusion", limit=0)
    assert counted.total == 4 and counted.hits == []


def test_facets_count_the_whole_result_not_the_page(indexed: DocumentIndex) -> None:
    result = search(
        indexed,
        "exclusion",
        limit=1,
        facets=["kind", "source", "stage", "jurisdiction", "authority", "enterprise", "year"],
    )
    assert result.total == 4 and len(result.hits) == 1
    assert result.facets == {
        "kind": {"itc337": 4},
        "source": {"federal_register": 4},
        "stage": {
            "initial_determination": 1,
            "institution": 1,
            "limited_exclusion_order": 1,
            "receipt_of_complaint": 1,
        },
        "jurisdiction": {"US": 4},
        "authority": {"usitc": 4},
        "enterprise": {"101": 2},
        "year": {"2025": 2, "2023": 1, "2024": 1},
    }


def test_facets_over_everything_and_with_filters(indexed: DocumentIndex) -> None:
    everything = search(indexed, limit=0, facets=["kind", "year", "enterprise", "jurisdiction"]).facets
    assert everything["kind"] == {"itc337": 4, "ecommerce": 2, "trademark": 2}
    assert everything["year"] == {"2024": 3, "2023": 2, "2025": 2}  # H has no publication date
    assert everything["enterprise"] == {"101": 3, "202": 1}
    assert everything["jurisdiction"] == {"US": 7, "EU": 1}
    # Counts are sorted by size, largest first.
    assert list(everything["kind"]) == ["itc337", "ecommerce", "trademark"]
    filtered = search(indexed, "kind:trademark", limit=0, facets=["authority"]).facets
    assert filtered == {"authority": {"euipo": 1, "uspto": 1}}
    assert search(indexed, "nothing-matches-this", facets=["kind"]).facets == {"kind": {}}


# --------------------------------------------------------------------------- highlights

_MARKUP = re.compile(r"</?mark>")


def hit_for(result: SearchResult, document_id: str) -> dict[str, str]:
    return next(hit.highlights for hit in result.hits if hit.document.id == document_id)


def test_highlights_mark_english_terms(indexed: DocumentIndex) -> None:
    highlights = hit_for(search(indexed, "exclusion"), B)
    assert "Issuance of a Limited <mark>Exclusion</mark> Order" in highlights["title"]
    assert "<mark>exclusion</mark>" in highlights["summary"]
    phrase = hit_for(search(indexed, '"limited exclusion order"'), B)
    assert "<mark>Limited Exclusion Order</mark>" in phrase["title"]


def test_highlights_mark_chinese_terms(indexed: DocumentIndex) -> None:
    assert hit_for(search(indexed, "英诺"), E)["title"] == "<mark>英诺</mark>"
    parties = hit_for(search(indexed, "英诺赛科"), A)["parties"]
    assert "<mark>英诺赛科</mark>" in parties
    assert "Innoscience (Suzhou) Technology Company, Ltd." in parties
    text = hit_for(search(indexed, "华为"), D)["text"]
    assert "<mark>华为</mark>智选旗舰店" in text


def test_highlights_are_html_escaped(indexed: DocumentIndex) -> None:
    highlights = hit_for(search(indexed, "alert OR greer"), D)
    text = highlights["text"]
    assert "<mark>alert</mark>" in text
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert "Burns &amp; Crain" in text
    assert "<mark>Greer</mark>, Burns &amp; Crain, Ltd." in highlights["parties"]
    for snippet in highlights.values():  # nothing but <mark> survives as markup
        assert "<" not in _MARKUP.sub("", snippet)


def test_highlights_only_for_positive_text(indexed: DocumentIndex) -> None:
    # C matches through "exclusion"; "limited" is negated, so it is not marked although present.
    summary = hit_for(search(indexed, "exclusion OR NOT limited"), C)["summary"]
    assert "<mark>exclusion</mark>" in summary
    assert "<mark>limited</mark>" not in summary and "limited" in summary
    assert all(hit.highlights == {} for hit in search(indexed, "kind:trademark").hits)
    assert all(hit.highlights == {} for hit in search(indexed, "exclusion", highlight=False).hits)


def test_field_clauses_highlight_their_field(indexed: DocumentIndex) -> None:
    highlights = hit_for(search(indexed, 'party:"Shenzhen Hairun"'), C)
    assert highlights["parties"].startswith("<mark>Shenzhen Hairun</mark> Battery Co., Ltd.; Hairun Energy")
    assert "summary" not in highlights  # the party clause looks at party names only


def test_a_phrase_does_not_span_two_values_of_a_field(
    backend: DocumentIndex, make_doc: Callable[..., Document]
) -> None:
    parties = [
        Party(name=name, role=Role.RESPONDENT) for name in ("Alpha Beta", "Gamma Delta", "华为", "智选")
    ]
    backend.upsert([make_doc(id="fr:2025-1", title="Notice", parties=parties)])
    assert found(backend, '"alpha beta"') == found(backend, "华为") == {"fr:2025-1"}
    # The end of one party's name and the start of the next are not adjacent words.
    for query in ('"beta gamma"', 'party:"beta gamma"', "为智", '"delta 华"'):
        assert found(backend, query) == set(), query
