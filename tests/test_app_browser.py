"""End to end in a real browser: Debian's Chromium driven by Playwright (never a browser Playwright downloads).
Opens the page, reconstructs the bundled sample, waits for the 3D viewer, tries the garment on a parametric body
and saves screenshots under test-output/ (CI keeps them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow
CHROMIUM = Path(os.environ.get("USR_CHROMIUM", "/usr/bin/chromium"))
OUTPUT = Path(os.environ.get("USR_TEST_OUTPUT", REPO / "test-output"))


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("USR_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium, or run make test)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"])
        yield browser
        browser.close()


def _viewer_has_drawn(page) -> bool:
    """The 3D viewer shows a model: its screenshot holds many colours, not just the clear colour."""
    import io

    import numpy as np
    from PIL import Image

    shot = np.asarray(Image.open(io.BytesIO(page.locator("#viewer canvas").screenshot())).convert("RGB"))
    quantised = (shot // 16).reshape(-1, 3)
    return len(np.unique(quantised, axis=0)) > 8


def test_sample_then_tryon_in_a_real_browser(browser, app_url):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1700})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_url)
    page.click("#run-sample")
    page.wait_for_selector("#status >> text=reconstructed", timeout=600_000)
    page.wait_for_selector("#viewer canvas", timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('#layers input[type=checkbox]').length >= 3")
    page.wait_for_timeout(3000)
    assert _viewer_has_drawn(page)
    page.screenshot(path=str(OUTPUT / "app_layers.png"), full_page=True)

    page.click("#try-on")
    page.wait_for_selector("#status >> text=on a body (a_pose)", timeout=600_000)
    page.wait_for_timeout(3000)
    assert _viewer_has_drawn(page)
    labels = page.locator("#layers label").all_inner_texts()
    assert "body" in labels and len(labels) == 2  # the body and the garment tried on
    page.screenshot(path=str(OUTPUT / "app_tryon.png"), full_page=True)
    assert not errors, errors
