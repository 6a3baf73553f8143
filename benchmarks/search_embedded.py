"""Embedded index speed: ingest N generated documents, then time a mix of searches.

    python benchmarks/search_embedded.py --size 5000 --rounds 20

Prints ingest documents/s and p50/p95 search latency per query shape.  Generated documents mix
English notice titles, Chinese company names and structured fields, so every code path of the
query compiler (pure text, mixed text and fields, negation, facets) is exercised."""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from ipsentry.core.documents import Document, Match, Party, RiskKind, Role
from ipsentry.search.index import SearchRequest
from ipsentry.search.sqlite_index import SqliteDocumentIndex

PRODUCTS = ["Semiconductor Devices", "Lithium-Ion Battery Cells", "Robotic Vacuum Cleaners", "LED Lighting",
            "Audio Players and Controllers", "Electronic Cigarettes", "Drones", "Power Banks"]  # fmt: skip
ACTIONS = ["Institution of Investigation", "Notice of Receipt of Complaint",
           "Issuance of a Limited Exclusion Order and Cease and Desist Orders",
           "Commission Determination Not To Review an Initial Determination",
           "Termination of the Investigation"]  # fmt: skip
CITIES = [
    ("深圳", "Shenzhen"),
    ("苏州", "Suzhou"),
    ("厦门", "Xiamen"),
    ("东莞", "Dongguan"),
    ("宁波", "Ningbo"),
]
WORDS = ["英诺", "华为", "海润", "安克", "大疆", "小米", "利世安", "赛科"]
QUERIES = {
    "word": "exclusion",
    "phrase": '"limited exclusion order"',
    "chinese 2-char": "英诺",
    "chinese long": "深圳市英诺赛科",
    "text AND field": "battery kind:itc337 country:CN",
    "text OR field": "华为 OR stage:institution",
    "negation": "semiconductor -termination",
    "filters only": "published:2024 enterprise:3",
}


def generate(size: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    start = date(2020, 1, 1)
    documents = []
    for n in range(size):
        zh_city, en_city = rng.choice(CITIES)
        zh_name = f"{zh_city}市{rng.choice(WORDS)}{rng.choice(WORDS)}科技有限公司"
        en_name = f"{en_city} {rng.choice(['Hairun', 'Yingnuo', 'Lishian', 'Anke'])} Technology Co., Ltd."
        product = rng.choice(PRODUCTS)
        documents.append(
            Document(
                id=f"bench:{n}",
                source="federal_register",
                kind=RiskKind.ITC337,
                native_id=str(n),
                title=f"Certain {product} and Products Containing the Same; {rng.choice(ACTIONS)}",
                summary=f"The respondents are {en_name} of {en_city}, China, and others.",
                text=f"{zh_name} 被列为被申请人。 " + " ".join(rng.choices(PRODUCTS + ACTIONS, k=3)),
                published=start + timedelta(days=rng.randrange(2200)),
                authority="USITC",
                case_numbers=[f"337-TA-{1000 + n % 500}"],
                stage=rng.choice(
                    ["institution", "termination", "limited_exclusion_order", "receipt_of_complaint"]
                ),
                parties=[Party(name=en_name, role=Role.RESPONDENT, country="China", aliases=[zh_name])],
                matches=[Match(enterprise_id=rng.randrange(1, 50), kind="party_name")] if n % 3 == 0 else [],
            )
        )
    return documents


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="documents to ingest")
    parser.add_argument("--rounds", type=int, default=10, help="times each query is run")
    parser.add_argument("--batch", type=int, default=500, help="documents per upsert")
    args = parser.parse_args()

    documents = generate(args.size)
    with tempfile.TemporaryDirectory() as directory:
        index = SqliteDocumentIndex(Path(directory) / "bench.sqlite")
        began = time.perf_counter()
        for offset in range(0, len(documents), args.batch):
            index.upsert(documents[offset : offset + args.batch])
        elapsed = time.perf_counter() - began
        print(
            f"ingest: {len(documents)} documents in {elapsed:.2f} s = {len(documents) / elapsed:,.0f} docs/s"
        )
        began = time.perf_counter()
        index.upsert(documents)
        print(f"re-upsert (all unchanged): {len(documents) / (time.perf_counter() - began):,.0f} docs/s")

        print(f"{'query':<16} {'hits':>7} {'p50 ms':>8} {'p95 ms':>8}")
        for name, query in QUERIES.items():
            request = SearchRequest(query=query, limit=20, facets=["stage", "year", "enterprise"])
            timings, total = [], 0
            for _ in range(args.rounds):
                began = time.perf_counter()
                total = index.search(request).total
                timings.append((time.perf_counter() - began) * 1000)
            print(
                f"{name:<16} {total:>7} {statistics.median(timings):>8.1f} {percentile(timings, 0.95):>8.1f}"
            )
        index.close()


if __name__ == "__main__":
    main()
