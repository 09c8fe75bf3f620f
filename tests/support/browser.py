"""A page of Debian's chromium driven by Playwright, as every browser test
opens it (never a downloaded browser)."""
from __future__ import annotations

import contextlib
import os

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextlib.contextmanager
def chromium_page(**context_options):
    """Yield a fresh page in an Italian-locale context; skip the test when
    Playwright or chromium is missing (.ci/run installs chromium)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(locale="it-IT", **context_options)
            yield context.new_page()
        finally:
            browser.close()
