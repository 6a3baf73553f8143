"""Browser tests: the real app served by uvicorn on 127.0.0.1 (an ephemeral port, in a thread),
driven by headless Debian Chromium through Selenium and the Debian chromedriver.

Skipped with the reason when Chromium or chromedriver is missing, unless
``IPSENTRY_REQUIRE_BROWSER=1`` (CI), which makes their absence a failure.  Screenshots of the
pages go to ``test-artifacts/screenshots/`` at the top of the repository."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

from ipsentry.api.app import create_app
from ipsentry.config.settings import REPO_ROOT

CHROMIUM = os.environ.get("IPSENTRY_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("IPSENTRY_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
WINDOW = (1400, 1000)


def _api_conftest() -> ModuleType:
    """The API tests' seeding (tests/api/conftest.py), loaded by path: test folders are not
    packages, and one world for both keeps the two suites on the same data."""
    name = "ipsentry_tests_api_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).parent.parent / "api" / "conftest.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() or shutil.which(path)):
            return f"{path} is not installed (Debian: apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def browser_available() -> None:
    missing = _browser_missing()
    if missing is None:
        return
    if os.environ.get("IPSENTRY_REQUIRE_BROWSER") == "1":
        pytest.fail(f"IPSENTRY_REQUIRE_BROWSER=1 but {missing}")
    pytest.skip(missing)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The console is the same on either database (the API suite covers both): SQLite here."""
    return sqlite_url


@pytest.fixture
def world(app_context: Any, samples_dir: Path) -> Any:
    return _api_conftest().seed(app_context, samples_dir)


class LiveServer:
    """uvicorn serving the app in a thread, on a port the OS picks."""

    def __init__(self, app: Any) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture
def live_server(browser_available: None, world: Any) -> Iterator[LiveServer]:
    with LiveServer(create_app(world.context)) as server:
        yield server


@pytest.fixture
def driver(browser_available: None, tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.implicitly_wait(0)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def screenshot(driver: Any) -> Any:
    """``screenshot("search")`` saves the whole page as test-artifacts/screenshots/search.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(name: str) -> Path:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(WINDOW[0], min(max(int(height) + 40, WINDOW[1]), 4000))
        path = SCREENSHOTS / f"{name}.png"
        driver.save_screenshot(str(path))
        driver.set_window_size(*WINDOW)
        return path

    return save
