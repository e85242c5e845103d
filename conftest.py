"""Project-wide test fixtures: servers started by the test command, Chromium for journeys.

`make test` (scripts/run_tests.py) starts PostgreSQL and Redis on 127.0.0.1 and
passes them in DATABASE_URL / QUARTER_TEST_REDIS_URL (and a 3-master Redis Cluster
in QUARTER_TEST_REDIS_CLUSTER_URL). A test that needs a server
that is absent is skipped with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quarter.core import clock
from tests.live import SHARED_CONNECTION, end_of_test, start_live_server

# Playwright's sync API keeps an event loop in the test thread; the ORM is used
# beside it from synchronous test code only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() == "true"
ARTIFACTS = Path(os.environ.get("QUARTER_TEST_ARTIFACTS", "test-results"))
CHROMIUM = os.environ.get("QUARTER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    """Run the browser journeys last.

    Once Playwright's sync API runs, test code executes in its greenlets, each
    with its own context; Django keeps database connections per context, so a
    plain database test after a journey could open a connection that the
    test-database teardown never sees (PostgreSQL then refuses to drop it).
    """
    items.sort(key=lambda item: "/e2e/" in str(item.path))


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, one request at a time on a shared connection."""
    server = start_live_server(request.config.getvalue("liveserver"))
    yield server
    server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Tear a journey down only when no request is using the shared connection."""
    if "live_server" not in getattr(item, "fixturenames", ()):
        return (yield)
    if not SHARED_CONNECTION.acquire(timeout=120):
        raise RuntimeError("a live-server request held the database for 120 s")
    try:
        end_of_test()  # requests waiting now are the finished test's
        return (yield)
    finally:
        end_of_test()  # and so are those that arrived during the teardown
        SHARED_CONNECTION.release()


def _missing(reason: str):
    if IN_CI:
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


@pytest.fixture
def nginx_front() -> None:
    """nginx and its Lua module, for `quarter serve --front` (`make test`
    installs them)."""
    from quarter.vouchers import front

    gaps = front.missing()
    if gaps:
        _missing(f"no {' '.join(gaps)} for quarter serve --front (apt-get install)")


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.freeze(None)


@pytest.fixture
def redis_url() -> str:
    """A clean Redis database on loopback, flushed before the test."""
    url = os.environ.get("QUARTER_TEST_REDIS_URL")
    if not url:
        _missing("no Redis: QUARTER_TEST_REDIS_URL is not set (make test starts one)")
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        _missing(f"Redis at {url} is not reachable: {exc}")
    yield url
    client.flushdb()


@pytest.fixture
def redis_cluster_url() -> str:
    """The 3-master Redis Cluster of the test command, flushed before the test."""
    url = os.environ.get("QUARTER_TEST_REDIS_CLUSTER_URL")
    if not url:
        _missing(
            "no Redis Cluster: QUARTER_TEST_REDIS_CLUSTER_URL is not set "
            "(scripts/run_tests.py starts one)"
        )
    import redis

    from quarter.vouchers.engines.redis_engine import new_client

    try:
        client = new_client(url)
        client.flushall(target_nodes=client.PRIMARIES)
    except redis.RedisError as exc:
        _missing(f"Redis Cluster at {url} is not reachable: {exc}")
    yield url
    client.flushall(target_nodes=client.PRIMARIES)
    client.close()


@pytest.fixture(scope="session")
def playwright_driver():
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def launch_with_camera(playwright_driver, video: Path):
    """A Chromium whose camera shows `video` (a .y4m file), permission granted."""
    return playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )


@pytest.fixture
def page(browser, request):
    """A fresh browser page (phone-sized); a screenshot is saved when the test ends."""
    context = browser.new_context(
        viewport={"width": 412, "height": 915},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(
            path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True
        )
    finally:
        context.close()


def shot(page, name: str) -> Path:
    """Save a named full-page screenshot under the test artefacts and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
