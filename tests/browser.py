"""Debian's headless Chromium for the timeline's browser tests, a reader of the painted frame, and
helpers for the editor's page (its fixtures, which need Django, are in conftest.py).

Frames in these tests carry their index as a 20-bit bar code near the bottom of the image, so a
test can tell which frame is really on the canvas.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
BAR_FRAMES = 600  # frames of the bar-coded store of the `bar_video` fixture
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


def state(page, name: str):
    """A field of the editor's read-only `window.mestudioTimeline`."""
    return page.evaluate(f"window.mestudioTimeline.{name}")


def wait_until(page, predicate: str, timeout: int = 8000) -> None:
    page.wait_for_function(predicate, timeout=timeout)


def wait_frame(page, frame: int) -> None:
    page.wait_for_selector(f"[data-testid=timeline][data-frame='{frame}']", timeout=8000)
    assert page.evaluate(READ_BAR_CODE) == frame, "the canvas shows another frame than data-frame claims"


def lane_point(page, label: str, frame: float) -> tuple[float, float]:
    """Page coordinates of `frame` in the lane named `label` on the track canvas, which must be
    scrolled into view (show_lane)."""
    layout, view = state(page, "layout"), state(page, "view")
    lane = next(lane for lane in layout["lanes"] if lane["label"] == label)
    top = lane["y"] - layout["scrollTop"]
    if top < layout["rulerHeight"] or top + lane["h"] > layout["viewHeight"]:
        raise AssertionError(f"lane {label!r} is scrolled out of view: show_lane() first")
    box = page.locator("[data-testid=track]").bounding_box()
    x = layout["labelWidth"] + (frame - view["start"]) / view["framesPerPixel"]
    return box["x"] + x, box["y"] + top + lane["h"] / 2


def show_lane(page, label: str) -> None:
    """Scroll the lane named `label` into view as a coder does: the mouse wheel over the lane labels."""
    box = page.locator("[data-testid=track]").bounding_box()
    for _ in range(100):
        layout = state(page, "layout")
        lane = next(lane for lane in layout["lanes"] if lane["label"] == label)
        top = lane["y"] - layout["scrollTop"]
        if top < layout["rulerHeight"]:
            delta = -40
        elif top + lane["h"] > layout["viewHeight"]:
            delta = 40
        else:
            return
        page.mouse.move(box["x"] + 20, box["y"] + layout["viewHeight"] / 2)
        page.mouse.wheel(0, delta)
        wait_until(page, f"window.mestudioTimeline.layout.scrollTop !== {layout['scrollTop']}")
    raise AssertionError(f"lane {label!r} did not scroll into view")
