"""Benchmark: build the enterprise matcher and tag the 792 real Federal Register 337 abstracts.

    python benchmarks/tagging_throughput.py                      # 10,000 enterprises
    python benchmarks/tagging_throughput.py --enterprises 100000
    python benchmarks/tagging_throughput.py --quick              # 2,000 enterprises, one pass

Enterprises are generated with a seeded RNG the way registries look: a Chinese name (place,
trade name from common 字号 characters, industry words, legal form; some with a place in
parentheses), most with an English name, some with a former name, stores and seller IDs; the
complainants named in the abstracts are registered too, so the text scan has real hits.

Printed: build time, resident memory added by the build, variant keys, tagging speed in
documents/s and tokens/s (tokens as spaCy's blank English tokenizer counts them), that
tokenizer's own speed on the same text, as the baseline the tagger is held to (≥ 50 %), and the
speed of party-name look-ups (exact hits, one-letter typos that go to the near search, decoys).
Speeds are per CPU second of this process (``time.process_time``): the machines are shared, and
wall time on a busy one says more about the neighbours than about the code.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

import spacy

from ipsentry.config.settings import Settings
from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.core.registry import EnterpriseRecord
from ipsentry.tagging.lexicon import ZH_CITIES, ZH_INDUSTRY_WORDS, ZH_LEGAL_FORMS, ZH_PROVINCES
from ipsentry.tagging.matcher import EnterpriseMatcher

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


def _rss_mb() -> float:
    """Resident memory now (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _latin_word(rng: random.Random) -> str:
    return "".join(rng.choice(LATIN_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def generate_registry(count: int, real_names: list[str], seed: int) -> list[EnterpriseRecord]:
    rng = random.Random(seed)
    industries = list(ZH_INDUSTRY_WORDS)
    legal_forms = [form for form in ZH_LEGAL_FORMS if "公司" in form]
    records: list[EnterpriseRecord] = []
    for number in range(count):
        city = rng.choice(ZH_CITIES)
        trade = "".join(rng.choice(TRADE_CHARS) for _ in range(rng.randint(2, 4)))
        industry = "".join(rng.sample(industries, rng.choice((1, 1, 2))))
        roll = rng.random()
        if roll < 0.1:  # a place in parentheses: 英诺赛科（苏州）科技
            name_zh = f"{trade}（{city}）{industry}{rng.choice(legal_forms)}"
        elif roll < 0.2:
            name_zh = f"{rng.choice(ZH_PROVINCES)}省{city}市{trade}{industry}{rng.choice(legal_forms)}"
        else:
            name_zh = f"{city}{'市' if rng.random() < 0.7 else ''}{trade}{industry}{rng.choice(legal_forms)}"
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
                name_zh=name_zh,
                names_en=names_en,
                former_names=former,
                stores=stores,
                seller_ids=sellers,
            )
        )
    for offset, name in enumerate(real_names):
        records.append(EnterpriseRecord(id=count + offset + 1, external_id=f"real-{offset}", names_en=[name]))
    return records


def _typo(name: str) -> str:
    """Drop one letter of the longest word: the kind of slip a notice makes ("Shenzen")."""
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    words[longest] = word[: len(word) // 2] + word[len(word) // 2 + 1 :]
    return " ".join(words)


def load_documents(samples: Path) -> list[Document]:
    rows = json.loads((samples / "itc337" / "federal_register_337_titles_abstracts.json").read_text())
    return [
        Document(
            id=f"fr:{row['document_number']}",
            source="federal_register",
            kind=RiskKind.ITC337,
            native_id=row["document_number"],
            title=row["title"],
            summary=row.get("abstract") or "",
        )
        for row in rows
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="passes over the 792 documents")
    parser.add_argument("--seed", type=int, default=337)
    parser.add_argument("--quick", action="store_true", help="2,000 enterprises, one pass")
    args = parser.parse_args(argv)
    if args.quick:
        args.enterprises, args.repeat = 2_000, 1

    documents = load_documents(Settings().samples_dir)
    texts = [f"{doc.title}\n{doc.summary}" for doc in documents]
    real_names = sorted({m.group(1).strip() for text in texts for m in ON_BEHALF.finditer(text)})
    records = generate_registry(args.enterprises, real_names, args.seed)

    rss_before = _rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    matcher = EnterpriseMatcher.build(records)
    build_seconds, build_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rss_added = _rss_mb() - rss_before

    tokenizer = spacy.blank("en").tokenizer
    tokens = sum(len(doc) for doc in tokenizer.pipe(texts))
    started = time.process_time()
    for _ in range(args.repeat):
        for text in texts:
            tokenizer(text)
    baseline = tokens * args.repeat / (time.process_time() - started)

    matched = 0
    started = time.process_time()
    for _ in range(args.repeat):
        for document in documents:
            matched += len(matcher.tag(document).matches)
    tag_seconds = time.process_time() - started
    docs_per_second = len(documents) * args.repeat / tag_seconds
    tokens_per_second = tokens * args.repeat / tag_seconds

    # Party names: the real complainants (exact hits), the same with a typo (near search) and
    # generic decoys (rejected early), as a parser hands them over.
    parties = [Party(name=name, role=Role.COMPLAINANT) for name in real_names]
    parties += [Party(name=_typo(name), role=Role.RESPONDENT) for name in real_names]
    parties += [
        Party(name=f"{city} Technology Co., Ltd.", role=Role.RESPONDENT) for city in ("Shenzhen", "Suzhou")
    ]
    started = time.process_time()
    found = sum(len(matcher.match_party(party)) for party in parties)
    party_seconds = time.process_time() - started

    print(f"enterprises            {len(records):>12,}   ({len(real_names)} real complainant names)")
    print(f"variant keys           {matcher.key_count:>12,}")
    print(f"build                  {build_seconds:>12.2f} s wall, {build_cpu:.2f} s CPU")
    print(f"memory added by build  {rss_added:>12.0f} MB (resident)")
    print(f"documents x passes     {len(documents):>12,} x {args.repeat}   ({tokens:,} tokens a pass)")
    print(f"matches a pass         {matched // args.repeat:>12,}")
    print(f"tagging                {docs_per_second:>12,.0f} docs/s   {tokens_per_second:>10,.0f} tokens/s")
    print(f"blank tokenizer        {baseline:>12,.0f} tokens/s")
    print(f"tagging / tokenizer    {tokens_per_second / baseline:>12.0%}")
    names_per_second = len(parties) / party_seconds
    print(f"party names            {names_per_second:>12,.0f} names/s   ({found} hits for {len(parties)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
