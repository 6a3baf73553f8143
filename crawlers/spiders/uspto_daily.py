"""USPTO daily trademark applications (Open Data Portal product TRTDXFAP): new filings only.

Each run lists the product's files (``GET /api/v1/datasets/products/TRTDXFAP``, header
``x-api-key``) and takes every ``apcYYMMDD.zip`` not read before, oldest first.  A day's file can
be 500 MB of XML, more than a Scrapy response should hold (Scrapy keeps a body in memory), so the
file is streamed to a temporary file in the work directory by an HTTP client in a worker thread,
following the API's redirect to object storage itself: the API key goes to the API's own URL
only, never to the storage behind the redirect.  The zip is then read with lxml ``iterparse``
(``parsers.uspto_daily.iter_case_files``) in the same way, one case file at a time.

Only new filings are yielded: action key NA or a new-application status (630, 631, 638).  The
other records of the day (changes to old cases, most of a file) are counted in the stats
(``records``, ``new_filings``, ``other_records``).  A serial listed twice in a day is merged into
its later record (``merge_same_serial``); only the day's new filings are held until the file
ends, so memory stays bounded by them, not by the file.

State::

    {"files": {"apc240925.zip": "2024-09-25", …},   # read, by release date
     "floor": "2024-07-27"}                           # files released earlier are never read

A file that fails to download or to read stays out of ``files`` and is tried again next run.
``since`` / ``until`` bound the files by release date (a backfill gives both, and ``max_files``
enough for every day of its window).

The API key comes from the crawl's Scrapy settings (``IPSENTRY_USPTO_API_KEY``, which
``crawlers.settings.scrapy_settings`` fills from ``keys.uspto_api_key``: how every crawl
ipsentry starts gets it).  Only a crawl whose settings do not carry that name at all (a bare
``scrapy crawl``) reads ipsentry's Settings from the environment instead
(``IPSENTRY_KEYS__USPTO_API_KEY`` or the YAML file).  A key the API refuses (401/403) is a
counted ``unauthorized`` problem that fails the run, never a crash.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import httpx
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.base import ParseProblem
from ipsentry.crawlers.parsers.uspto_daily import iter_case_files, merge_same_serial
from ipsentry.crawlers.spiders.base import SourceSpider, as_date, credential, state_date

KEY_SETTING = "IPSENTRY_USPTO_API_KEY"
PRODUCT = "TRTDXFAP"
PRODUCT_PATH = f"/api/v1/datasets/products/{PRODUCT}"
DAILY_FILE_RE = re.compile(r"^apc\d{6}\.zip$")
DEFAULT_START_DAYS = 2  # a first run without ``since`` reads the last two days' files
KEEP_DAYS = 60  # file names remembered, counted back from the newest file read
MAX_REDIRECTS = 5
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class ListedFile:
    name: str
    url: str
    released: date | None
    size: int | None


@dataclass
class DayRead:
    """What one daily file held: its new filings, and counts of the rest."""

    new_filings: list[Document] = field(default_factory=list)
    records: int = 0
    other_records: int = 0
    problems: list[ParseProblem] = field(default_factory=list)


class DownloadError(Exception):
    pass


def listed_files(payload: Any) -> list[ListedFile]:
    """The files of the product listing (``bulkDataProductBag[0].productFileBag.fileDataBag``)."""
    bags = payload.get("bulkDataProductBag") if isinstance(payload, dict) else None
    if not isinstance(bags, list) or not bags or not isinstance(bags[0], dict):
        raise ValueError("no bulkDataProductBag in the product listing")
    entries = (bags[0].get("productFileBag") or {}).get("fileDataBag") or []
    files: list[ListedFile] = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("fileName") or not entry.get("fileDownloadURI"):
            continue
        try:
            released = as_date(str(entry.get("fileReleaseDate") or "")[:10] or None)
        except ValueError:
            released = None
        size = entry.get("fileSize")
        files.append(
            ListedFile(
                name=str(entry["fileName"]),
                url=str(entry["fileDownloadURI"]),
                released=released,
                size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
            )
        )
    return files


def read_day(path: Path, *, url: str | None = None) -> DayRead:
    """The new filings of one daily file (XML or zip), read in bounded memory."""
    read = DayRead()
    pending: dict[str, Document] = {}
    for item in iter_case_files(path, url=url):
        if isinstance(item, ParseProblem):
            read.problems.append(item)
            continue
        read.records += 1
        earlier = pending.get(item.native_id)
        if earlier is not None:
            pending[item.native_id] = merge_same_serial(earlier, item)
        elif item.extra.get("is_new_filing"):
            pending[item.native_id] = item
        else:
            read.other_records += 1
    read.new_filings = list(pending.values())
    return read


class UsptoDailySpider(SourceSpider):
    name = "uspto_daily"
    url_setting: ClassVar[str] = "uspto"  # Settings.sources field with the base URL

    def __init__(
        self,
        *args: Any,
        download_dir: str | None = None,
        max_files: int | str = 30,
        start_days: int | str = DEFAULT_START_DAYS,
        timeout: float | str = 300,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The runner starts the crawl in its work directory: downloads go there by default.
        self.download_dir = Path(download_dir) if download_dir else Path.cwd()
        self.max_files = int(max_files)
        self.timeout = float(timeout)
        files = self.state.get("files")
        self.done: dict[str, str] = (
            {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
        )
        floor = state_date(self.state.get("floor"))
        self.start_date = self.since or floor or (self.until - timedelta(days=int(start_days)))
        self.api_key: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> UsptoDailySpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, UsptoDailySpider)
        settings = crawler.settings
        if KEY_SETTING in settings:
            spider.api_key = credential(settings.get(KEY_SETTING))
        else:
            spider.api_key = _key_from_environment()
        return spider

    # -- the listing ---------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        if not self.api_key:
            self.problem("config", "no USPTO API key (settings keys.uspto_api_key): nothing fetched")
            self.count("search_failures")
            return
        yield self.request(
            f"{self.base_url}{PRODUCT_PATH}",
            self.parse_listing,
            headers={"x-api-key": self.api_key, "Accept": "application/json"},
            handle_statuses=(401, 403, 404),
            errback=self.on_listing_error,
        )

    def on_listing_error(self, failure: Failure) -> None:
        self.on_error(failure)
        self.count("search_failures")  # the source did not answer: the run is not ok

    async def parse_listing(self, response: Response) -> AsyncIterator[Document]:
        self.count("listings")
        if response.status in (401, 403):
            self.problem(
                "unauthorized",
                f"the USPTO API refused the key (HTTP {response.status}; settings keys.uspto_api_key): "
                f"{response.text[:120]}",
            )
            self.count("search_failures")
            return
        if response.status != 200:
            self.problem(f"http_{response.status}", f"product listing refused: {response.text[:150]}")
            self.count("search_failures")
            return
        try:
            files = listed_files(json.loads(response.body))
        except ValueError as error:
            self.problem("malformed", f"product listing: {error}")
            self.count("search_failures")
            return
        todo = sorted((f for f in files if self._wanted(f)), key=lambda f: (f.released or date.min, f.name))
        self.count("files_listed", len(files))
        self.count("files_new", len(todo))
        for listed in todo[: self.max_files]:
            for document in await self._read_file(listed):
                yield self.emit(document)

    def _wanted(self, listed: ListedFile) -> bool:
        if not DAILY_FILE_RE.match(listed.name) or listed.name in self.done:
            return False
        return listed.released is None or self.start_date <= listed.released <= self.until

    # -- one daily file ------------------------------------------------------------------------

    async def _read_file(self, listed: ListedFile) -> list[Document]:
        """Download and read one file off the reactor thread; problems are counted, never fatal."""
        try:
            path, size = await asyncio.to_thread(self._download, listed)
        except (DownloadError, httpx.HTTPError, OSError) as error:
            self.problem("download", f"{listed.name}: {error}")
            self.count("download_failures")
            return []
        try:
            read = await asyncio.to_thread(read_day, path, url=listed.url)
        finally:
            path.unlink(missing_ok=True)
        self.count("files_read")
        self.count("bytes_read", size)
        self.count("records", read.records)
        self.count("new_filings", len(read.new_filings))
        self.count("other_records", read.other_records)
        for problem in read.problems:
            self.count("malformed")
            self.problem("malformed", f"{listed.name} {problem.record}: {problem.reason}")
        self.new_records += len(read.new_filings)
        self.done[listed.name] = (listed.released or self.until).isoformat()
        return read.new_filings

    def _download(self, listed: ListedFile) -> tuple[Path, int]:
        """Stream the file to a temporary file in the download directory (path and size);
        follow redirects by hand so that the API key goes to the API's download URL only, not
        to the storage it redirects to."""
        api_host = urlsplit(self.base_url).netloc
        user_agent = str(self.settings.get("USER_AGENT") or "ipsentry")
        url = listed.url
        written = 0
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, kept on success
            dir=self.download_dir, prefix="uspto-", suffix=".zip", delete=False
        )
        path = Path(handle.name)
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                for hop in range(MAX_REDIRECTS + 1):
                    headers = {"User-Agent": user_agent}
                    if hop == 0 and urlsplit(url).netloc == api_host and self.api_key:
                        headers["x-api-key"] = self.api_key
                    with client.stream("GET", url, headers=headers) as response:
                        if response.is_redirect:
                            url = urljoin(url, response.headers.get("Location", ""))
                            continue
                        if response.status_code != 200:
                            raise DownloadError(f"HTTP {response.status_code} from {urlsplit(url).netloc}")
                        for chunk in response.iter_bytes(CHUNK_BYTES):
                            handle.write(chunk)
                            written += len(chunk)
                        break
                else:
                    raise DownloadError(f"more than {MAX_REDIRECTS} redirects")
            handle.close()
            if listed.size is not None and written != listed.size:
                raise DownloadError(f"got {written} bytes, the listing says {listed.size} (cut short?)")
            return path, written
        except BaseException:
            handle.close()
            path.unlink(missing_ok=True)
            raise

    # -- state ---------------------------------------------------------------------------------

    def new_state(self) -> dict[str, Any]:
        # The next run starts where this one did (so a file missed during an outage is still
        # read), or KEEP_DAYS before the newest file read once a backfill has gone further.
        newest = max((date.fromisoformat(day) for day in self.done.values()), default=self.start_date)
        floor = max(self.start_date, newest - timedelta(days=KEEP_DAYS))
        kept = {name: day for name, day in sorted(self.done.items()) if date.fromisoformat(day) >= floor}
        return {"files": kept, "floor": floor.isoformat()}


def _key_from_environment() -> str | None:
    """The key as ipsentry's Settings read it from the environment or the YAML file, for a
    crawl whose Scrapy settings were not made by ``scrapy_settings``."""
    from ipsentry.config.settings import Settings

    return credential(Settings().keys.uspto_api_key)
