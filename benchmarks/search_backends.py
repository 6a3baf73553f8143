"""The embedded indices (SQLite FTS5 and tantivy) and OpenSearch side by side: ingest rate and
search latency at each size, then percolation of crawled batches against many saved searches.

    python benchmarks/search_backends.py --sizes 100000,1000000 --opensearch-url http://127.0.0.1:9201
    python benchmarks/search_backends.py --quick        # a small run (make bench)
    python benchmarks/search_backends.py --sizes 1000000 --skip-opensearch --saved-searches 0 \
        --embedded-index /tmp/bench.sqlite --tantivy-index /tmp/bench.tantivy   # kept for reruns

Per size and backend: ingest in batches of --batch documents (documents/s, the upsert path the
crawler uses, refreshing once at the end on OpenSearch), then p50/p95 latency of keyword queries
with filters and facets.  Then --saved-searches generated saved searches are stored as
percolator queries and --percolate-batches batches of --percolate-size new documents are
matched against them (seconds per batch, with which clauses matched); --embedded-searches does
the same on the embedded indices (each saved query run over the batch).  OpenSearch is skipped,
saying why, when no node answers (tests/opensearch/start-node.sh starts one).  Documents come
from the generator of search_embedded.py, so both benchmarks measure the same corpus."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_embedded import ACTIONS, CITIES, PRODUCTS, WORDS, generate, percentile

from ipsentry.core.documents import Document
from ipsentry.search.cluster_common import ClusterConnection, bulk_write
from ipsentry.search.index import DocumentIndex, SearchRequest
from ipsentry.search.opensearch_index import OpenSearchDocumentIndex, opensearch_client
from ipsentry.search.percolate import IndexQueryMatcher, PercolatorMatcher, SavedSearch, saved_search_entries
from ipsentry.search.sqlite_index import SqliteDocumentIndex
from ipsentry.search.tantivy_index import TantivyDocumentIndex

FILTERS = {
    "kinds": ["itc337"],
    "published_from": date(2021, 1, 1),
    "published_to": date(2025, 12, 31),
    "facets": ["stage", "year", "enterprise"],
    "limit": 20,
}
# The generator's small vocabulary makes a single word match a quarter of the corpus, so the
# first two queries count facets over very large results; the third is as selective as a
# watched case usually is.
QUERIES = {
    "keyword + filters + facets": "battery",
    "chinese word + filters + facets": "英诺",
    "selective (case + word) + filters + facets": "case:337-TA-1042 hairun",
}
STAGES = ["institution", "termination", "limited_exclusion_order", "receipt_of_complaint"]


def documents(size: int, batch: int, *, tag: str = "bench") -> Iterator[list[Document]]:
    """``size`` generated documents in batches, ids unique across batches (never all in memory)."""
    for number, start in enumerate(range(0, size, batch)):
        count = min(batch, size - start)
        yield [
            d.model_copy(update={"id": f"{tag}:{start + i}", "native_id": str(start + i)})
            for i, d in enumerate(generate(count, seed=number))
        ]


def latency(index: DocumentIndex, query: str, rounds: int) -> tuple[int, float, float]:
    request = SearchRequest(query=query, **FILTERS)  # type: ignore[arg-type]
    total = index.search(request).total  # warm-up
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        index.search(request)
        timings.append((time.perf_counter() - began) * 1000)
    return total, statistics.median(timings), percentile(timings, 0.95)


def ingest(index: DocumentIndex, size: int, batch: int, finish: Callable[[], None]) -> float:
    began = time.perf_counter()
    for chunk in documents(size, batch):
        index.upsert(chunk)
    finish()
    return size / (time.perf_counter() - began)


def report(backend: str, size: int, rate: float, index: DocumentIndex, rounds: int) -> None:
    print(f"| {backend} | {size:,} | {rate:,.0f} |", end="", flush=True)
    cells = []
    for query in QUERIES.values():
        total, p50, p95 = latency(index, query, rounds)
        cells.append(f" {total:,} hits: {p50:.1f} / {p95:.1f} ms |")
    print("".join(cells), flush=True)


def saved_search(rng: random.Random) -> str:
    """A plausible saved search: a watched case, enterprise, company or product, narrowed by
    stage, year or country, as analysts save them (each matches well under 1% of documents)."""
    product = rng.choice(PRODUCTS)
    company = f"{rng.choice(CITIES)[1]} {rng.choice(['Hairun', 'Yingnuo', 'Lishian', 'Anke'])}"
    year = rng.randrange(2020, 2026)
    shapes: list[Callable[[], str]] = [
        lambda: f"case:337-TA-{rng.randrange(1000, 1500)}",
        lambda: f'"{product}" stage:{rng.choice(STAGES)} published:{year}',
        lambda: f"{rng.choice(WORDS)}{rng.choice(WORDS)} enterprise:{rng.randrange(1, 50)}",
        lambda: f'party:"{company}" published:{year} -stage:termination',
        lambda: f"enterprise:{rng.randrange(1, 50)} (stage:{rng.choice(STAGES)} OR published:{year})",
        lambda: f'"{rng.choice(ACTIONS).split(";")[0]}" "{product}" published:{year}-0{rng.randrange(1, 10)}',
        lambda: f"{rng.choice(WORDS)} {product.split()[0].lower()} published:{year}",
    ]
    return rng.choice(shapes)()


def store_saved_searches(matcher: PercolatorMatcher, count: int) -> float:
    """Stores ``count`` saved searches in bulk (register() does one at a time); returns seconds."""
    rng = random.Random(11)
    began = time.perf_counter()
    writes = {}
    for sid in range(1, count + 1):
        entries = saved_search_entries(SavedSearch(str(sid), saved_search(rng)))
        for key, source in entries.items():
            writes[key] = ({"index": {"_index": matcher.alias, "_id": key}}, source)
    failed = bulk_write(matcher.client, writes)
    matcher.client.indices.refresh(index=matcher.alias)
    assert not failed, list(failed.items())[:3]
    return time.perf_counter() - began


def percolation(index: OpenSearchDocumentIndex, searches: int, batch: int, batches: int) -> None:
    matcher = PercolatorMatcher(index)
    stored = store_saved_searches(matcher, searches)
    print(f"\nstored {searches:,} saved searches as percolator queries in {stored:.1f} s")
    print("| batch | documents | seconds | documents matched | (document, search) pairs | clauses named |")
    print("|---|---|---|---|---|---|")
    for number, chunk in enumerate(documents(batch * batches, batch, tag="crawl")):
        began = time.perf_counter()
        found = matcher.match_batch(chunk)
        elapsed = time.perf_counter() - began
        pairs = sum(len(m) for m in found.values())
        named = sum(len(clauses) for m in found.values() for _, clauses in m)
        print(
            f"| {number + 1} | {len(chunk):,} | {elapsed:.2f} | {len(found):,} | {pairs:,} | {named:,} |",
            flush=True,
        )


def embedded_matching(name: str, index: DocumentIndex, searches: int, batch: int, batches: int) -> None:
    """The embedded indices' saved-search matching (each saved query run over the new batch,
    :class:`IndexQueryMatcher`), on the same generated searches and batches as the percolator."""
    matcher = IndexQueryMatcher(index)
    rng = random.Random(11)
    for sid in range(1, searches + 1):
        matcher.register(sid, saved_search(rng))
    for number, chunk in enumerate(documents(batch * batches, batch, tag="crawl")):
        index.upsert(chunk)
        began = time.perf_counter()
        found = matcher.match_batch(chunk)
        elapsed = time.perf_counter() - began
        pairs = sum(len(m) for m in found.values())
        print(
            f"| {name} | {searches:,} | {number + 1} | {len(chunk):,} | {elapsed:.2f} "
            f"| {len(found):,} | {pairs:,} |",
            flush=True,
        )


def opensearch_index(url: str) -> OpenSearchDocumentIndex | None:
    client = opensearch_client(ClusterConnection(urls=(url,), timeout=120.0))
    if not client.ping():
        print(f"\nOpenSearch: no node answers at {url}; skipped (tests/opensearch/start-node.sh starts one)")
        client.close()
        return None
    prefix = f"ipsentry-bench-{uuid.uuid4().hex[:8]}"
    return OpenSearchDocumentIndex(client, prefix=prefix, refresh=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated corpus sizes, e.g. 100000,1000000")
    parser.add_argument("--batch", type=int, default=1000, help="documents per upsert")
    parser.add_argument("--rounds", type=int, default=30, help="times each query is run")
    parser.add_argument(
        "--opensearch-url",
        default=os.environ.get("IPSENTRY_TEST_OPENSEARCH_URL", "http://127.0.0.1:9201"),
        help="an OpenSearch node (default: $IPSENTRY_TEST_OPENSEARCH_URL or 127.0.0.1:9201)",
    )
    parser.add_argument(
        "--saved-searches", type=int, default=10_000, help="saved searches to percolate against"
    )
    parser.add_argument(
        "--embedded-searches",
        type=int,
        default=0,
        help="also match the batches against this many saved searches on each embedded index",
    )
    parser.add_argument("--percolate-size", type=int, default=1000, help="documents per percolated batch")
    parser.add_argument("--percolate-batches", type=int, default=3, help="batches percolated")
    parser.add_argument("--skip-embedded", action="store_true", help="no SQLite FTS5 index")
    parser.add_argument("--skip-tantivy", action="store_true", help="no tantivy index")
    parser.add_argument("--skip-opensearch", action="store_true", help="the embedded backend only")
    parser.add_argument(
        "--embedded-index",
        type=Path,
        help="keep the embedded index in this file (one size only): a file already holding the "
        "corpus is searched as it is, so a 1,000,000-document run need not ingest again",
    )
    parser.add_argument(
        "--tantivy-index",
        type=Path,
        help="keep the tantivy index in this directory (one size only), as --embedded-index does",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a small run: 2,000 documents, 500 saved searches"
    )
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.rounds, args.saved_searches, args.percolate_batches = "2000", 5, 500, 1
    sizes = [int(size) for size in args.sizes.split(",")]
    if (args.embedded_index or args.tantivy_index) is not None and len(sizes) > 1:
        parser.error("--embedded-index and --tantivy-index keep one corpus: give one size")

    print(
        "| backend | documents | ingest docs/s | "
        + " | ".join(f"{name} p50 / p95" for name in QUERIES)
        + " |"
    )
    print("|---|---|---|" + "---|" * len(QUERIES))
    embedded: list[tuple[str, Callable[[Path], DocumentIndex], Path | None]] = []
    if not args.skip_embedded:
        embedded.append(("embedded (SQLite FTS5)", SqliteDocumentIndex, args.embedded_index))
    if not args.skip_tantivy:
        embedded.append(("embedded (tantivy)", TantivyDocumentIndex, args.tantivy_index))
    for size in sizes:
        for name, open_embedded, kept_path in embedded:
            with tempfile.TemporaryDirectory() as directory:
                index = open_embedded(kept_path or Path(directory) / "bench")
                # A kept index holding the corpus already is searched as it is (rate 0: not measured).
                kept = kept_path is not None and index.count() == size
                rate = 0.0 if kept else ingest(index, size, args.batch, lambda: None)
                report(name, size, rate, index, args.rounds)
                index.close()
        if args.skip_opensearch:
            continue
        cluster = opensearch_index(args.opensearch_url)
        if cluster is None:
            continue
        try:
            rate = ingest(cluster, size, args.batch, cluster.refresh)
            report("OpenSearch 2.19 (1 node)", size, rate, cluster, args.rounds)
        finally:
            cluster.drop()
            cluster.close()

    if args.embedded_searches > 0:
        print("\n| embedded index | saved searches | batch | documents | seconds | matched | pairs |")
        print("|---|---|---|---|---|---|---|")
        for name, open_embedded, _ in embedded:
            with tempfile.TemporaryDirectory() as directory:
                index = open_embedded(Path(directory) / "matching")
                embedded_matching(
                    name, index, args.embedded_searches, args.percolate_size, args.percolate_batches
                )
                index.close()

    cluster = opensearch_index(args.opensearch_url) if args.saved_searches > 0 else None
    if cluster is not None:
        try:
            percolation(cluster, args.saved_searches, args.percolate_size, args.percolate_batches)
        finally:
            cluster.drop()
            cluster.close()


if __name__ == "__main__":
    main()
