"""Fixtures for tests that drive Chromium through real pages with Playwright.

``browser`` is one headless Chromium per session; ``page`` is a fresh Japanese-locale context
per test, whose last view is saved to ``test-artifacts/screenshots/<test name>.png``.
``screenshot(label)`` saves an extra view in the middle of a test.
The whole folder is skipped only when the system Chromium is missing.
"""
import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent.parent
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
SKIP_REASON = f"browser tests need Chromium at {CHROMIUM}, which is not installed"
DEFAULT_TIMEOUT_MS = 10_000


def _chromium_missing() -> bool:
    return not os.path.exists(CHROMIUM)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium through real pages (Playwright)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE not in Path(item.path).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if _chromium_missing():
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", name).strip("_") or "test"


@pytest.fixture(scope="session")
def browser():
    if _chromium_missing():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.page_errors = errors  # uncaught script errors, for tests that want to look
    try:
        yield page
    finally:
        try:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{_safe_name(request.node.name)}.png"))
        except Exception as exc:  # a crashed page must not hide the test's own outcome
            print(f"screenshot of {request.node.name} failed: {exc}")
        context.close()
    if errors:
        pytest.fail("uncaught errors in the page's scripts:\n" + "\n".join(errors))


@pytest.fixture
def screenshot(page, request):
    """Save the current view as ``<test name>-<label>.png``."""
    def take(label: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_safe_name(request.node.name)}-{_safe_name(label)}.png"
        page.screenshot(path=str(path))
        return path
    return take
