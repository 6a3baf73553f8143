"""Throughput of ``parse_search_response`` on the 792 real Federal Register records.

The baseline, measured in the same run on the same bytes, is ``json.loads`` alone: the ratio
says how much the reading of titles and abstracts (stage, products, parties, numbers) costs over
decoding.  Run: ``python benchmarks/parse_federal_register.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from ipsentry.config.settings import Settings
from ipsentry.crawlers.parsers.federal_register import parse_search_response

SAMPLE = "itc337/federal_register_337_titles_abstracts.json"


def _seconds(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    content = (Settings().samples_dir / SAMPLE).read_bytes()
    records = len(json.loads(content))

    result = parse_search_response(content)  # warm up (regex compilation, imports)
    assert len(result.documents) == records and not result.problems

    parse_times = [_seconds(lambda: parse_search_response(content)) for _ in range(args.repeat)]
    baseline_times = [_seconds(lambda: json.loads(content)) for _ in range(args.repeat)]
    # The best run is the least disturbed one; the median is printed beside it.
    parse_best, baseline_best = min(parse_times), min(baseline_times)
    print(f"records: {records} ({len(content) / 1e6:.2f} MB)")
    print(
        f"parse_search_response: {records / parse_best:,.0f} documents/s "
        f"(best {parse_best * 1000:.1f} ms, median {statistics.median(parse_times) * 1000:.1f} ms)"
    )
    print(
        f"baseline json.loads:   {records / baseline_best:,.0f} records/s "
        f"(best {baseline_best * 1000:.2f} ms, median {statistics.median(baseline_times) * 1000:.2f} ms)"
    )
    print(f"ratio: parsing is {parse_best / baseline_best:,.0f}x the time of json.loads alone")


if __name__ == "__main__":
    main()
