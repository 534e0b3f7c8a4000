"""Debian's headless Chromium for the timeline's browser tests, and a reader of the painted frame.

Frames in these tests carry their index as a 20-bit bar code near the bottom of the image, so a
test can tell which frame is really on the canvas.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)

READ_BAR_CODE = """() => {
  const c = document.querySelector('[data-testid=frame-canvas]');
  const ctx = c.getContext('2d');
  const y = Math.floor(c.height * 0.93);
  let v = 0;
  for (let b = 0; b < 20; b++) {
    const p = ctx.getImageData(Math.floor((b + 0.5) * c.width / 20), y, 1, 1).data;
    v = v * 2 + (p[0] > 128 ? 1 : 0);
  }
  return v;
}"""


def launch_browser() -> Iterator:
    """Body of a module-scoped `browser` fixture: one Chromium for all tests of a module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()
