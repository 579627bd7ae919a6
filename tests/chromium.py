"""Headless Chromium for the tests that look at the report as a reader
does: Debian's chromium and chromium-driver, driven by Selenium (.ci/run
installs them; a test skips, saying why, where they are missing)."""

import contextlib
import shutil

import pytest


@contextlib.contextmanager
def headless_chromium(width, height):
    """A Selenium driver of a headless Chromium window ``width`` x ``height``
    that logs the page's console."""
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.skip(
            "needs Debian's chromium and chromium-driver (.ci/run installs them)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(driver_path)
    )
    try:
        browser.set_window_size(width, height)
        yield browser
    finally:
        browser.quit()
