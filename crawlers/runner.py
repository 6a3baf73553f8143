"""Run one source's spider in a child process and hand back its documents, state and stats.

Twisted's reactor cannot be restarted in a process, and a scheduler runs many crawls, so each
crawl is a child: ``python -m ipsentry.crawlers.runner --source NAME --work-dir DIR``.  The parent
writes ``DIR/input.json`` (settings, state, dates; created private, deleted once read, since the
settings carry source credentials); the child streams documents to ``DIR/documents.jsonl`` as
they are scraped and writes ``DIR/result.json`` (state, stats) at the end; its log is
``DIR/crawl.log``.  The parent can follow the stream (``on_document``) while the child runs.

    output = run_spider("federal_register", settings=settings, state=previous_state,
                        since=date(2026, 1, 1), work_dir=tmp_path)
    output.documents, output.state, output.stats["errors"], output.ok
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ipsentry.config.settings import Settings
from ipsentry.core.documents import Document

# Source name → spider class ("module:Class"); a new source adds its line here.
SPIDERS: dict[str, str] = {
    "federal_register": "ipsentry.crawlers.spiders.federal_register:FederalRegisterSpider",
    "fr_public_inspection": "ipsentry.crawlers.spiders.fr_public_inspection:FrPublicInspectionSpider",
    "usitc_ids": "ipsentry.crawlers.spiders.usitc_ids:UsitcIdsSpider",
    "edis_rss": "ipsentry.crawlers.spiders.edis_rss:EdisRssSpider",
    "courtlistener": "ipsentry.crawlers.spiders.courtlistener:CourtListenerSpider",
    "pacer_rss": "ipsentry.crawlers.spiders.pacer_rss:PacerRssSpider",
    "uspto_daily": "ipsentry.crawlers.spiders.uspto_daily:UsptoDailySpider",
    "euipo": "ipsentry.crawlers.spiders.euipo:EuipoSpider",
}

INPUT_FILE = "input.json"
DOCUMENTS_FILE = "documents.jsonl"
RESULT_FILE = "result.json"
LOG_FILE = "crawl.log"


@dataclass
class CrawlOutput:
    documents: list[Document]
    state: dict[str, Any]
    # requests, items, errors, error_samples (short strings), ok, finish_reason, and the
    # source's own counters under "source" (ipsentry/<source>/… without the prefix).
    stats: dict[str, Any] = field(default_factory=dict)
    ok: bool = False


class UnknownSource(KeyError):
    pass


def run_spider(
    source: str,
    *,
    settings: Settings,
    state: dict[str, Any],
    since: date | None = None,
    work_dir: Path,
    until: date | None = None,
    spider_args: dict[str, Any] | None = None,
    timeout: float = 3600,
    on_document: Callable[[Document], None] | None = None,
) -> CrawlOutput:
    """Crawl ``source`` in a child process; a crashed or timed-out child gives ``ok=False``
    (with whatever documents it had streamed), never an exception."""
    if source not in SPIDERS:
        raise UnknownSource(f"unknown source {source!r}; known: {', '.join(sorted(SPIDERS))}")
    work_dir = Path(work_dir).resolve()  # the child runs with work_dir as its cwd
    work_dir.mkdir(parents=True, exist_ok=True)
    for name in (DOCUMENTS_FILE, RESULT_FILE):
        (work_dir / name).unlink(missing_ok=True)
    _write_private(
        work_dir / INPUT_FILE,
        {
            "settings": _settings_payload(settings),
            "state": state,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "spider_args": spider_args or {},
        },
    )
    command = [
        sys.executable,
        "-m",
        "ipsentry.crawlers.runner",
        "--source",
        source,
        "--work-dir",
        str(work_dir),
    ]
    documents: list[Document] = []
    reader = _DocumentStream(work_dir / DOCUMENTS_FILE)
    started = time.monotonic()
    with open(work_dir / LOG_FILE, "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=work_dir)
        timed_out = False
        while process.poll() is None:
            _collect(reader, documents, on_document)
            if time.monotonic() - started > timeout:
                timed_out = True
                process.kill()
                break
            time.sleep(0.1)
        process.wait()
    (work_dir / INPUT_FILE).unlink(missing_ok=True)
    _collect(reader, documents, on_document)
    result = _read_json(work_dir / RESULT_FILE)
    stats = dict(result.get("stats") or {})
    ok = process.returncode == 0 and not timed_out and bool(stats.get("ok"))
    if not result:
        stats.setdefault("errors", 1)
        stats.setdefault(
            "error_samples",
            [f"crawl process exited with {process.returncode}" + (" (timed out)" if timed_out else "")],
        )
    stats["ok"] = ok
    stats.setdefault("items", len(documents))
    return CrawlOutput(documents=documents, state=result.get("state") or state, stats=stats, ok=ok)


class _DocumentStream:
    """Reads complete lines appended to the child's documents file since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read(self) -> list[str]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        return [line for line in complete.decode("utf-8").splitlines() if line.strip()]


def _collect(
    reader: _DocumentStream, documents: list[Document], on_document: Callable[[Document], None] | None
) -> None:
    for line in reader.read():
        document = Document.model_validate_json(line)
        documents.append(document)
        if on_document is not None:
            on_document(document)


def _settings_payload(settings: Settings) -> dict[str, Any]:
    """Settings as JSON with secrets in clear (the child needs the real credentials)."""

    def reveal(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, dict):
            return {k: reveal(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [reveal(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value

    return reveal(settings.model_dump(mode="python"))


def _write_private(path: Path, payload: dict[str, Any]) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, default=str)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


# ---------------------------------------------------------------------------------------------
# The child


def _child(source: str, work_dir: Path) -> int:
    import importlib

    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from ipsentry.crawlers.settings import scrapy_settings

    payload = _read_json(work_dir / INPUT_FILE)
    (work_dir / INPUT_FILE).unlink(missing_ok=True)
    settings = Settings(**payload.get("settings", {}))
    module_name, _, class_name = SPIDERS[source].partition(":")
    spider_class = getattr(importlib.import_module(module_name), class_name)
    base_url = getattr(settings.sources, getattr(spider_class, "url_setting", None) or source)
    values = scrapy_settings(settings, source=source)
    values["LOG_FILE"] = None  # stdout/stderr already go to crawl.log
    process = CrawlerProcess(values, install_root_handler=True)
    crawler = process.create_crawler(spider_class)
    closed: dict[str, Any] = {}

    with open(work_dir / DOCUMENTS_FILE, "a", encoding="utf-8") as stream:

        def on_item(item: Any, response: Any, spider: Any) -> None:
            document = item if isinstance(item, Document) else Document.model_validate(item)
            stream.write(document.model_dump_json() + "\n")
            stream.flush()

        def on_closed(spider: Any, reason: str) -> None:
            closed["reason"] = reason
            closed["state"] = spider.new_state()

        crawler.signals.connect(on_item, signal=signals.item_scraped)
        crawler.signals.connect(on_closed, signal=signals.spider_closed)
        process.crawl(
            crawler,
            base_url=base_url if isinstance(base_url, str) else json.dumps(base_url),
            state=payload.get("state") or {},
            since=payload.get("since"),
            until=payload.get("until"),
            **(payload.get("spider_args") or {}),
        )
        process.start()

    raw = crawler.stats.get_stats() if crawler.stats is not None else {}
    summary = _summary(source, raw, closed.get("reason"))
    result = {"state": closed.get("state"), "stats": summary}
    (work_dir / RESULT_FILE).write_text(json.dumps(result, default=_json_default), encoding="utf-8")
    return 0


def _summary(source: str, raw: dict[str, Any], reason: str | None) -> dict[str, Any]:
    prefix = f"ipsentry/{source}/"
    own = {key[len(prefix) :]: value for key, value in raw.items() if key.startswith(prefix)}
    errors = int(own.get("errors", 0)) + int(raw.get("spider_exceptions/count", 0) or 0)
    sanity_failed = any(key.startswith("sanity/zero_items") for key in own)
    return {
        "requests": int(raw.get("downloader/request_count", 0)),
        "responses": int(raw.get("downloader/response_count", 0)),
        "items": int(raw.get("item_scraped_count", 0)),
        "errors": errors,
        "error_samples": list(own.get("error_samples", [])),
        "finish_reason": reason,
        # Finished, sane, and every search answered: counted per-record problems (a 404, a block
        # page) do not make a crawl fail, a source that did not answer does.
        "ok": reason == "finished"
        and not sanity_failed
        and not raw.get("spider_exceptions/count")
        and not own.get("search_failures"),
        "source": {k: v for k, v in own.items() if k != "error_samples"},
        "elapsed_seconds": raw.get("elapsed_time_seconds"),
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one ipsentry spider (child process of run_spider).")
    parser.add_argument("--source", required=True, choices=sorted(SPIDERS))
    parser.add_argument("--work-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    logging.captureWarnings(True)
    return _child(args.source, args.work_dir)


if __name__ == "__main__":
    sys.exit(main())
