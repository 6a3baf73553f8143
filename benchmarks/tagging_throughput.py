"""Benchmark: build the enterprise matcher over a large registry and tag the real 337 samples,
against two baselines measured in the same run.

    python benchmarks/tagging_throughput.py --enterprises 100000   # the issue #6 figures
    python benchmarks/tagging_throughput.py                        # 10,000 enterprises
    python benchmarks/tagging_throughput.py --quick                # 2,000 enterprises, one round

Enterprises are generated with a seeded RNG the way registries look: a Chinese name (place,
trade name from common 字号 characters, industry words, legal form; some with a place in
parentheses), most with an English name, some with a former name, stores and seller IDs; the
complainants named in the abstracts are registered too (with a generated Chinese name), so the
text scan has real hits.  Every enterprise has at least three name variants (checked on a sample).

Documents: the 792 Federal Register search results, the 337-TA-1414 full text and the four
USITC news releases of the shared samples, parsed as the crawler parses them (so parties and
roles are there and party look-ups are part of the cost).

Printed, each as CPU time (``time.process_time``) and wall time: the machines are shared, and
wall time on a busy one says more about the neighbours than about the code, so the ratios that
decide are taken on CPU time, each side the best of the same number of interleaved rounds:

* build: time, resident memory added, peak resident memory (VmHWM) of the process;
* tagging: documents/s and tokens/s (tokens as spaCy's blank English tokenizer counts them);
* baseline 1, spaCy's blank English tokenizer on the same texts (target: tagging ≥ 50 %);
* baseline 2, the naive matcher: one regular-expression alternation of every name variant
  (lowercased, ``re``), run over the same texts (target: tagging ≥ 20×).  Compiling it for the
  whole registry (about a million alternatives) needs several GB and a scan would take hours, so
  it is measured on the variants of two subsets of the registry and extrapolated linearly to the
  full variant count; the two subsets show how linear it is;
* party-name look-ups per second (exact names, one-letter typos that go to the near search,
  generic decoys).
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import spacy

from ipsentry.config.settings import Settings
from ipsentry.core.documents import Document, Party, Role
from ipsentry.core.registry import EnterpriseRecord
from ipsentry.tagging.evaluation import load_documents
from ipsentry.tagging.lexicon import ZH_CITIES, ZH_INDUSTRY_WORDS, ZH_LEGAL_FORMS, ZH_PROVINCES
from ipsentry.tagging.matcher import EnterpriseMatcher
from ipsentry.tagging.pinyin_bridge import parse_chinese_name
from ipsentry.tagging.variants import enterprise_variants

TRADE_CHARS = (
    "华新宏瑞泰丰恒昌兴隆鑫源鼎盛嘉和润泽博远正德力欧普雷三雄极光阳明月清风红旗东方南北西中神州天地乐行"
    "金银铭诚信达通利世安科创智慧美佳康健福海川云峰林森晶辉煌腾飞宇宙星辰龙凤祥和顺益众合汇聚鹏程"
)
LATIN_SYLLABLES = [
    "ka", "lo", "mi", "ne", "ra", "to", "vi", "su", "be", "no", "da", "ze", "fi", "gu", "ha",
    "jo", "ke", "lu", "ma", "ni", "po", "qu", "ri", "sa", "ti", "vo", "wa", "xi", "yo", "zu",
]  # fmt: skip
EN_INDUSTRIES = [
    "Technology",
    "Electronics",
    "Trading",
    "Industrial",
    "New Material",
    "Lighting",
    "Smart Home",
]
EN_LEGAL = ["Co., Ltd.", "Co. Ltd.", "Company Limited", "Ltd.", "Inc.", "Corp.", "Technology Co., Ltd."]
ON_BEHALF = re.compile(
    r"on behalf of ([A-Z][\w.&,' -]+?(?:Inc\.|Corporation|Corp\.|LLC|Ltd\.|Co\., Ltd\.|GmbH|AG))"
)
SOURCES = [
    {"file": "itc337/federal_register_337_titles_abstracts.json", "parser": "federal-register"},
    {"file": "itc337/fr_raw_text_2026-02297.html", "parser": "federal-register-text"},
    *(
        {"file": f"itc337/usitc_news_release_{name}.excerpt.txt", "parser": "usitc-news"}
        for name in (
            "15-016_337-TA-947_institution_xiamen_china",
            "19-049_337-TA-1161_institution_wenzhou_china",
            "24-113_337-TA-1424_institution_xiamen_china",
            "337-TA-1157_institution_zhejiang_xiamen_china",
        )
    ),
]
VARIANT_SAMPLE = 5_000  # enterprises whose variants are counted (min ≥ 3 is checked)
MIN_VARIANTS = 3
TARGET_VS_TOKENIZER = 0.5
TARGET_VS_NAIVE = 20.0
TARGET_BUILD_SECONDS = 30.0
TARGET_PEAK_MB = 1024.0

T = TypeVar("T")


# --- measuring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    cpu: float  # seconds of CPU of this process
    wall: float

    @staticmethod
    def best(timings: Sequence[Timing]) -> Timing:
        """The least disturbed round, per clock."""
        return Timing(min(t.cpu for t in timings), min(t.wall for t in timings))


def timed(work: Callable[[], T]) -> tuple[T, Timing]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, Timing(time.process_time() - cpu, time.perf_counter() - wall)


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc (Linux), in MB: VmRSS now, VmHWM peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the registry ---------------------------------------------------------------------------------


def _latin_word(rng: random.Random) -> str:
    return "".join(rng.choice(LATIN_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _trade_name(rng: random.Random) -> str:
    """Random 字号 characters, drawn again when they read as a place (辉州 is "huizhou", as 惠州):
    such a name identifies nobody, and every generated enterprise must have its variants."""
    while True:
        trade = "".join(rng.choice(TRADE_CHARS) for _ in range(rng.randint(2, 4)))
        if not parse_chinese_name(f"{trade}有限公司").is_generic:
            return trade


def _chinese_name(rng: random.Random, industries: list[str], legal_forms: list[str]) -> str:
    city = rng.choice(ZH_CITIES)
    trade = _trade_name(rng)
    industry = "".join(rng.sample(industries, rng.choice((1, 1, 2))))
    roll = rng.random()
    if roll < 0.1:  # a place in parentheses: 英诺赛科（苏州）科技
        return f"{trade}（{city}）{industry}{rng.choice(legal_forms)}"
    if roll < 0.2:
        return f"{rng.choice(ZH_PROVINCES)}省{city}市{trade}{industry}{rng.choice(legal_forms)}"
    return f"{city}{'市' if rng.random() < 0.7 else ''}{trade}{industry}{rng.choice(legal_forms)}"


def generate_registry(count: int, real_names: list[str], seed: int) -> list[EnterpriseRecord]:
    rng = random.Random(seed)
    industries = list(ZH_INDUSTRY_WORDS)
    legal_forms = [form for form in ZH_LEGAL_FORMS if "公司" in form]
    records: list[EnterpriseRecord] = []
    for number in range(count):
        latin = _latin_word(rng)
        names_en = []
        if rng.random() < 0.8:
            names_en.append(f"{latin} {rng.choice(EN_INDUSTRIES)} {rng.choice(EN_LEGAL)}")
        former = [f"{_latin_word(rng)} {rng.choice(EN_INDUSTRIES)} Co., Ltd."] if rng.random() < 0.3 else []
        stores = [f"{latin}{rng.choice(['Direct', 'Official', 'Store', 'US'])}"] if rng.random() < 0.3 else []
        sellers = [f"A{rng.randrange(16**10):010X}"] if rng.random() < 0.2 else []
        records.append(
            EnterpriseRecord(
                id=number + 1,
                external_id=f"bench-{number}",
                name_zh=_chinese_name(rng, industries, legal_forms),
                names_en=names_en,
                former_names=former,
                stores=stores,
                seller_ids=sellers,
            )
        )
    for offset, name in enumerate(real_names):
        records.append(
            EnterpriseRecord(
                id=count + offset + 1,
                external_id=f"real-{offset}",
                name_zh=_chinese_name(rng, industries, legal_forms),
                names_en=[name],
            )
        )
    return records


def variant_counts(records: Sequence[EnterpriseRecord], sample: int, seed: int) -> tuple[int, float]:
    """(fewest, mean) name variants per enterprise, over a random sample of the registry."""
    chosen = random.Random(seed).sample(list(records), min(sample, len(records)))
    counts = [len(enterprise_variants(record, surfaces=False)) for record in chosen]
    return min(counts), sum(counts) / len(counts)


# --- the naive baseline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NaiveRun:
    enterprises: int
    names: int  # alternatives in the expression
    compile: Timing
    scan: Timing  # one pass over every text
    hits: int


def naive_run(records: Sequence[EnterpriseRecord], texts: Sequence[str]) -> NaiveRun:
    """One alternation of every variant of ``records`` (as a source would write them), longest
    first, matched on lowercased text: what one would write without an index."""
    names = sorted(
        {variant.surface.lower() for record in records for variant in enterprise_variants(record)},
        key=len,
        reverse=True,
    )
    alternation = "|".join(re.escape(name) for name in names if name)
    pattern, compile_timing = timed(lambda: re.compile(rf"(?<!\w)(?:{alternation})(?!\w)"))
    lowered = [text.lower() for text in texts]
    hits, scan = timed(lambda: sum(len(pattern.findall(text)) for text in lowered))
    return NaiveRun(len(records), len(names), compile_timing, scan, hits)


# --- documents ------------------------------------------------------------------------------------


def _typo(name: str) -> str:
    """Drop one letter of the longest word: the kind of slip a notice makes ("Shenzen")."""
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    words[longest] = word[: len(word) // 2] + word[len(word) // 2 + 1 :]
    return " ".join(words)


def document_text(document: Document) -> str:
    """The text the matcher scans (see EnterpriseMatcher.match)."""
    return "\n".join(part for part in (document.title, document.summary, document.text) if part)


# --- the run ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best counts")
    parser.add_argument("--naive", type=int, nargs=2, default=(500, 2_000), metavar=("SMALL", "LARGE"))
    parser.add_argument("--seed", type=int, default=337)
    parser.add_argument("--quick", action="store_true", help="2,000 enterprises, one round")
    args = parser.parse_args(argv)
    if args.quick:
        args.enterprises, args.rounds, args.naive = 2_000, 1, (100, 400)

    documents = load_documents(Settings().samples_dir, SOURCES)
    texts = [document_text(document) for document in documents]
    real_names = sorted({m.group(1).strip() for text in texts for m in ON_BEHALF.finditer(text)})
    records = generate_registry(args.enterprises, real_names, args.seed)
    fewest, mean_variants = variant_counts(records, VARIANT_SAMPLE, args.seed)
    gc.collect()

    rss_before = _status_mb("VmRSS")
    matcher, build = timed(lambda: EnterpriseMatcher.build(records))
    rss_added = _status_mb("VmRSS") - rss_before
    peak_after_build = _status_mb("VmHWM")

    tokenizer = spacy.blank("en").tokenizer
    tokens = sum(len(doc) for doc in tokenizer.pipe(texts))
    tokenizer_rounds: list[Timing] = []
    tagging_rounds: list[Timing] = []
    matched = 0
    for _ in range(args.rounds):  # interleaved, so both sides see the same neighbours
        tokenizer_rounds.append(timed(lambda: [tokenizer(text) for text in texts])[1])
        matches, timing = timed(lambda: [matcher.tag(document).matches for document in documents])
        tagging_rounds.append(timing)
        matched = sum(len(found) for found in matches)
    tokenizer_best, tagging_best = Timing.best(tokenizer_rounds), Timing.best(tagging_rounds)

    # Party names as a parser hands them over: the real complainants (exact hits), the same with
    # a typo (near search) and generic decoys (rejected early).
    parties = [Party(name=name, role=Role.COMPLAINANT) for name in real_names]
    parties += [Party(name=_typo(name), role=Role.RESPONDENT) for name in real_names]
    parties += [
        Party(name=f"{city} Technology Co., Ltd.", role=Role.RESPONDENT) for city in ("Shenzhen", "Suzhou")
    ]
    found, party_timing = timed(lambda: sum(len(matcher.match_party(party)) for party in parties))

    # The naive baseline last: its expressions must not count in the matcher's peak memory.  The
    # subsets end with the real complainants, so it finds what the matcher finds in the texts.
    small, large = (naive_run(records[-count:], texts) for count in args.naive)
    variant_keys = matcher.key_count
    per_name = large.scan.cpu / large.names
    naive_full_cpu = per_name * variant_keys  # one pass over the texts, the whole registry
    naive_full_wall = large.scan.wall / large.names * variant_keys
    linearity = (large.scan.cpu / large.names) / (small.scan.cpu / small.names)

    docs_count = len(documents)
    tagging_tps = tokens / tagging_best.cpu
    tokenizer_tps = tokens / tokenizer_best.cpu
    naive_tps = tokens / naive_full_cpu
    vs_tokenizer = tagging_tps / tokenizer_tps
    vs_tokenizer_wall = tokenizer_best.wall / tagging_best.wall
    vs_naive = naive_full_cpu / tagging_best.cpu
    vs_naive_wall = naive_full_wall / tagging_best.wall
    peak_end = _status_mb("VmHWM")

    def row(label: str, value: str) -> None:
        print(f"{label:<34}{value}")

    row("enterprises", f"{len(records):,} ({len(real_names)} real complainant names among them)")
    row("variants per enterprise", f"min {fewest}, mean {mean_variants:.1f} ({VARIANT_SAMPLE:,} drawn)")
    row("variant keys indexed", f"{variant_keys:,}")
    row("build", f"{build.cpu:.1f} s CPU, {build.wall:.1f} s wall")
    row("resident memory added by build", f"{rss_added:,.0f} MB")
    row("peak resident memory after build", f"{peak_after_build:,.0f} MB (VmHWM, whole process)")
    row("documents", f"{docs_count:,} ({tokens:,} tokens; {matched:,} matches)")
    row("rounds (best of, interleaved)", f"{args.rounds}")
    row(
        "tagging",
        f"{docs_count / tagging_best.cpu:,.0f} docs/s, {tagging_tps:,.0f} tokens/s CPU; "
        f"{docs_count / tagging_best.wall:,.0f} docs/s, {tokens / tagging_best.wall:,.0f} tokens/s wall",
    )
    row(
        "spaCy blank tokenizer",
        f"{docs_count / tokenizer_best.cpu:,.0f} docs/s, {tokenizer_tps:,.0f} tokens/s CPU; "
        f"{tokens / tokenizer_best.wall:,.0f} tokens/s wall",
    )
    for run in (small, large):
        row(
            f"naive regex, {run.enterprises:,} enterprises",
            f"{run.names:,} alternatives: compile {run.compile.cpu:.2f} s, "
            f"scan {run.scan.cpu:.2f} s CPU / {run.scan.wall:.2f} s wall ({run.hits} hits)",
        )
    row("naive scan cost per alternative", f"large/small subset = {linearity:.2f} (1.00 = linear)")
    row(
        "naive regex, whole registry",
        f"{naive_full_cpu:,.0f} s CPU a pass, {naive_tps:,.1f} tokens/s (extrapolated to {variant_keys:,})",
    )
    row("tagging / tokenizer", f"{vs_tokenizer:.0%} CPU, {vs_tokenizer_wall:.0%} wall (target ≥ 50 %)")
    row("tagging / naive regex", f"{vs_naive:,.0f}x CPU, {vs_naive_wall:,.0f}x wall (target ≥ 20x)")
    names_per_second = len(parties) / party_timing.cpu
    row("party names", f"{names_per_second:,.0f} names/s CPU ({found} hits for {len(parties)})")
    row("peak resident memory at the end", f"{peak_end:,.0f} MB (with the naive baseline's expressions)")

    checks = {
        f"variants ≥ {MIN_VARIANTS}": fewest >= MIN_VARIANTS,
        "≥ 50 % of the tokenizer": vs_tokenizer >= TARGET_VS_TOKENIZER,
        "≥ 20x the naive baseline": vs_naive >= TARGET_VS_NAIVE,
        "build ≤ 30 s": build.cpu <= TARGET_BUILD_SECONDS,
        "≤ 1 GB resident": peak_after_build <= TARGET_PEAK_MB,
    }
    # Said, not asserted: benchmarks measure (`make bench` runs them small, where the naive
    # baseline, which grows with the registry, is not yet 20x slower).
    row("targets", ", ".join(f"{name}: {'met' if ok else 'not met'}" for name, ok in checks.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
