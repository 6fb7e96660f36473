"""End to end in a real browser: Debian's Chromium driven by Playwright (never a browser Playwright downloads).
Opens the page, reconstructs the bundled sample, waits for the 3D viewer, tries the garment on a parametric body
and saves screenshots under test-output/ (CI keeps them)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

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
    import torch

    # Chromium draws the 3D viewer in software (SwiftShader) and keeps one core busy: the page's server (this
    # process) reconstructs and fits on one thread meanwhile, instead of two threads waiting on each other
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"])
        yield browser
        browser.close()
    torch.set_num_threads(threads)


def _viewer_shot(page) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.locator("#viewer canvas").screenshot())).convert("RGB"))


def _has_drawn(shot: np.ndarray) -> bool:
    """The 3D viewer shows a model: its screenshot holds many colours, not just the clear colour."""
    quantised = (shot // 16).reshape(-1, 3)
    return len(np.unique(quantised, axis=0)) > 8


def _viewer_draws(page, unlike: np.ndarray | None = None, seconds: float = 30.0) -> np.ndarray | None:
    """The viewer's picture once it shows a model (and, given `unlike`, a different picture from that one), looked
    at every half second for up to `seconds`; None if it never does."""
    end = time.monotonic() + seconds
    while True:
        shot = _viewer_shot(page)
        if _has_drawn(shot) and (unlike is None or shot.shape != unlike.shape or (shot != unlike).any()):
            return shot
        if time.monotonic() > end:
            return None
        page.wait_for_timeout(500)


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
    layers_shot = _viewer_draws(page)
    assert layers_shot is not None
    page.screenshot(path=str(OUTPUT / "app_layers.png"), full_page=True)

    page.click("#try-on")
    page.wait_for_selector("#status >> text=on a body (a_pose)", timeout=600_000)
    assert _viewer_draws(page, unlike=layers_shot) is not None  # the body and garment replaced the sample
    labels = page.locator("#layers label").all_inner_texts()
    assert "body" in labels and len(labels) == 2  # the body and the garment tried on
    page.screenshot(path=str(OUTPUT / "app_tryon.png"), full_page=True)
    assert not errors, errors
