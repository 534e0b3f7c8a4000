"""The timeline component in headless Chromium against the fake server (bench/timeline_harness).

Frames carry their index as a bar code, so each check reads back the pixels actually painted.
"""

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api")

from bench.timeline_harness.frames import FrameSource  # noqa: E402
from bench.timeline_harness.server import Harness, start_server  # noqa: E402
from tests.browser import (  # noqa: E402
    READ_BAR_CODE,
    lane_point,
    launch_browser,
    needs_chromium,
    state,
    wait_frame,
    wait_until,
)

FRAMES = 600

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator:
    yield from launch_browser()


@pytest.fixture(scope="module")
def frame_source() -> FrameSource:
    """Shared by all tests: its chunks are rendered once (it keeps no annotation state)."""
    return FrameSource(FRAMES, 160, 120)


@pytest.fixture
def harness(frame_source: FrameSource) -> Iterator[tuple[Harness, str]]:
    h = Harness(frame_count=FRAMES, fps=30, width=160, height=120)
    h.frames = frame_source
    server = start_server(h)
    yield h, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.fixture
def open_page(browser) -> Iterator:
    """Open the timeline in a fresh browser context (a separate person), closed after the test."""
    contexts = []

    def open_one(url: str):
        contexts.append(browser.new_context(viewport={"width": 1280, "height": 800}))
        page = contexts[-1].new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("[data-ready=true][data-frame='0']", timeout=10000)
        page.errors = errors
        return page

    yield open_one
    for context in contexts:
        context.close()


def test_step_keys_paint_the_exact_frame(open_page, harness) -> None:
    page = open_page(harness[1])
    assert page.evaluate(READ_BAR_CODE) == 0
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_frame(page, 5)
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("ArrowLeft")
    wait_frame(page, 14)
    page.keyboard.press("End")
    wait_frame(page, FRAMES - 1)  # a chunk never fetched before
    page.keyboard.press("Home")
    wait_frame(page, 0)
    page.keyboard.press("g")
    page.keyboard.type("101")  # the dataset numbers frames from 1
    page.keyboard.press("Enter")
    wait_frame(page, 100)
    assert "#101" in page.locator("[data-testid=counter]").inner_text()
    page.mouse.click(*lane_point(page, "other", 300.5))  # click on the track seeks
    wait_frame(page, 300)
    box = page.locator("[data-testid=overview]").bounding_box()
    left = box["x"] + state(page, "layout")["labelWidth"]
    page.mouse.move(left + 1, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(left + (box["x"] + box["width"] - left) * 0.75, box["y"] + 20, steps=8)  # scrub
    page.mouse.up()
    assert abs(state(page, "frame") - 0.75 * FRAMES) <= 2
    wait_frame(page, state(page, "frame"))
    assert page.errors == []


def test_a_frame_still_loading_is_never_claimed(open_page, harness) -> None:
    h, url = harness
    page = open_page(url)
    h.chunk_delay = 0.6
    page.keyboard.press("End")
    page.wait_for_timeout(200)
    attrs = page.evaluate("[document.getElementById('timeline').dataset.frame, mestudioTimeline.frame]")
    assert attrs == [None, FRAMES - 1], "while the frame loads, data-frame must not name another frame"
    assert "loading" in page.locator("[data-testid=counter]").inner_text()
    wait_frame(page, FRAMES - 1)


def test_held_key_moves_exactly_one_frame_per_keydown(open_page, harness) -> None:
    page = open_page(harness[1])
    for _ in range(100):  # auto-repeat: keydowns without keyups, faster than frames arrive
        page.keyboard.down("ArrowRight")
    page.keyboard.up("ArrowRight")
    assert state(page, "frame") == 100
    wait_frame(page, 100)


def test_create_interval_with_keys_reaches_the_server(open_page, harness) -> None:
    h, url = harness
    page = open_page(url)
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("i")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("a")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    wait_until(
        page, "window.mestudioTimeline.pendingCount === 0 && window.mestudioTimeline.intervals.length === 1"
    )
    [saved] = h.store.all()
    assert (saved["kind"], saved["onset"], saved["apex"], saved["offset"]) == ("MaE", 10, 13, 17)
    assert state(page, "selected") is None
    assert page.evaluate("localStorage.length") == 0  # nothing left unsaved


def test_drag_offset_handle_snaps_to_frames(open_page, harness) -> None:
    h, url = harness
    h.store.create({"video": 7, "kind": "ME", "onset": 20, "apex": 25, "offset": 30}, "other")
    page = open_page(url)
    page.keyboard.press("n")
    for _ in range(4):
        page.keyboard.press("+")
    wait_until(page, "window.mestudioTimeline.selected && window.mestudioTimeline.selected.onset === 20")
    x, y = lane_point(page, "ME", 31)  # the offset handle sits at the right edge of frame 30
    page.mouse.move(x, y)
    page.mouse.down()
    tx, _ = lane_point(page, "ME", 36.3)
    page.mouse.move(tx, y, steps=5)
    page.mouse.up()
    wait_until(
        page, "window.mestudioTimeline.pendingCount === 0 && window.mestudioTimeline.selected.version === 2"
    )
    assert h.store.all()[0]["offset"] == 35
    page.locator(".mt-history li", has_text="offset 31→36").wait_for()  # dataset numbering
    assert page.locator(".mt-history li").first.inner_text().startswith("update")  # newest first


def test_undo_and_redo_are_saved(open_page, harness) -> None:
    h, url = harness
    page = open_page(url)
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("i")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    synced = "window.mestudioTimeline.pendingCount === 0"
    wait_until(page, synced)
    assert h.store.all()[0]["offset"] == 15
    page.keyboard.press("Control+z")
    wait_until(page, synced)
    assert h.store.all()[0]["offset"] is None
    page.keyboard.press("Control+z")
    wait_until(page, f"{synced} && window.mestudioTimeline.intervals.length === 0")
    assert h.store.all() == []
    page.keyboard.press("Control+Shift+Z")
    page.keyboard.press("Control+Shift+Z")
    wait_until(page, f"{synced} && window.mestudioTimeline.intervals[0]?.offset === 15")
    [again] = h.store.all()
    assert (again["onset"], again["offset"]) == (10, 15)


def test_conflicting_edit_is_shown_and_resolved_by_the_coder(open_page, harness) -> None:
    h, url = harness
    h.store.create({"video": 7, "kind": "ME", "onset": 20, "apex": 25, "offset": 30}, "other")
    mine, theirs = open_page(url), open_page(url)
    synced = "window.mestudioTimeline.pendingCount === 0"
    theirs.keyboard.press("n")
    for _ in range(12):
        theirs.keyboard.press("ArrowRight")
    theirs.keyboard.press("o")  # offset 32, version 2
    wait_until(theirs, synced)
    mine.keyboard.press("n")
    for _ in range(14):
        mine.keyboard.press("ArrowRight")
    mine.keyboard.press("o")  # offset 34 against version 1: refused
    conflict = mine.locator("[data-testid=conflict]")
    conflict.wait_for(state="visible")
    assert "offset\t35 ✎\t33" in conflict.inner_text()  # mine (changed by me) and theirs, dataset numbering
    assert h.store.all()[0]["offset"] == 32, "the other coder's edit must not be overwritten silently"
    mine.locator("[data-testid=keep-mine]").click()
    wait_until(mine, synced)
    assert (h.store.all()[0]["offset"], h.store.all()[0]["version"]) == (34, 3)
    theirs.keyboard.press("a")  # their apex edit is now stale too; they take the server's values
    theirs.locator("[data-testid=take-theirs]").click()
    wait_until(theirs, f"{synced} && window.mestudioTimeline.selected.offset === 34")
    assert h.store.all()[0]["apex"] == 25


def test_unsaved_interval_survives_a_reload(open_page, harness) -> None:
    h, url = harness
    page = open_page(url)
    h.offline = True
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("i")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    wait_until(page, "window.mestudioTimeline.selected?.status === 'offline'")
    assert h.store.all() == []
    page.reload()
    page.wait_for_selector("[data-ready=true]")
    restored = state(page, "intervals")
    assert [(i["onset"], i["offset"]) for i in restored] == [(5, 9)]
    h.offline = False
    wait_until(page, "window.mestudioTimeline.pendingCount === 0", timeout=8000)  # retried by itself
    [saved] = h.store.all()
    assert (saved["onset"], saved["offset"]) == (5, 9)
    assert page.evaluate("localStorage.length") == 0  # nothing left unsaved


def test_closed_tabs_unsaved_work_is_taken_over_but_a_live_tabs_is_not(open_page, harness) -> None:
    h, url = harness
    page = open_page(url)
    interval = {"kind": "ME", "onset": 50, "apex": None, "offset": 60, "aus": "", "emotion": "", "notes": ""}
    page.evaluate(
        """(local) => {
          const put = (tab, seen, onset) => localStorage.setItem(`mestudio:timeline:7:unsaved:${tab}`,
            JSON.stringify({ seen, unsaved: [{ base: null, local: { ...local, onset } }] }));
          put('closed', 0, 50);
          put('live', Date.now(), 70);
        }""",
        interval,
    )
    page.reload()
    wait_until(page, "mestudioTimeline.intervals.length === 1 && mestudioTimeline.pendingCount === 0")
    assert [(i["onset"], i["offset"]) for i in h.store.all()] == [(50, 60)]
    keys = page.evaluate("Object.keys(localStorage)")
    assert keys == ["mestudio:timeline:7:unsaved:live"], "the live tab's record stays for that tab"


def test_invalid_edit_is_refused_and_reported(open_page, harness) -> None:
    h, url = harness
    h.store.create({"video": 7, "kind": "ME", "onset": 20, "apex": None, "offset": 30}, "other")
    page = open_page(url)
    page.keyboard.press("n")
    page.locator("input[data-field=offset]").fill("5")  # before the onset (21 in dataset numbers)
    page.keyboard.press("Tab")
    status = page.locator("[data-testid=save-status]")
    wait_until(page, "window.mestudioTimeline.selected?.status === 'invalid'")
    assert "Onset <= apex <= offset" in status.inner_text()
    assert h.store.all()[0]["offset"] == 30
    page.keyboard.press("Escape")  # leaves the field
    page.keyboard.press("Escape")  # cancels what the server refused
    wait_until(page, "window.mestudioTimeline.selected?.offset === 30")


def test_predictions_accept_with_adjustment_and_reject(open_page, harness) -> None:
    h, url = harness
    page = open_page(url)
    first = h.store.predictions[1]
    page.mouse.click(*lane_point(page, "baseline", first["onset"] + 5))
    wait_until(page, "window.mestudioTimeline.selected?.type === 'prediction'")
    page.keyboard.press("g")
    page.keyboard.type(str(first["offset"] + 1 + 3))  # offset three frames later, in dataset numbers
    page.keyboard.press("Enter")
    page.keyboard.press("o")
    page.keyboard.press("y")
    wait_until(page, "window.mestudioTimeline.selected?.type === 'interval'")
    [accepted] = h.store.all()
    assert (accepted["source_prediction"], accepted["offset"]) == (first["id"], first["offset"] + 3)
    assert first["status"] == "accepted"
    second = next(p for p in h.store.predictions.values() if p["run"] == 2)
    page.mouse.click(*lane_point(page, "mcwes", second["onset"] + 5))
    wait_until(page, "window.mestudioTimeline.selected?.type === 'prediction'")
    page.keyboard.press("x")
    wait_until(page, "window.mestudioTimeline.selected?.status === 'rejected'")
    assert second["status"] == "rejected"


def test_playback_advances_with_the_clock_and_pauses(open_page, harness) -> None:
    page = open_page(harness[1])
    page.keyboard.press("]")  # 2x
    page.keyboard.press(" ")
    page.wait_for_timeout(1000)
    page.keyboard.press(" ")
    frame = state(page, "frame")
    assert 30 <= frame <= 75, f"2x at 30 fps for ~1 s should reach ~60 frames, got {frame}"
    assert state(page, "playedFrames") + state(page, "droppedFrames") >= frame - 1
    wait_frame(page, frame)
    page.wait_for_timeout(200)
    assert state(page, "frame") == frame


def test_parsers_report_what_they_read(open_page, harness) -> None:
    page = open_page(harness[1])
    aus = page.evaluate(
        """async () => (await import('/static/timeline/aus.js')).parseAUs('4+7+L10, R12A AU4(k) 4(B/C) r18? zz')"""
    )
    assert [(t["side"], t["au"], t["intensity"], t["uncertain"]) for t in aus["tokens"]] == [
        ("", 4, "", False), ("", 7, "", False), ("L", 10, "", False), ("R", 12, "A", False),
        ("", 4, "", False), ("", 4, "B", False), ("R", 18, "", True),
    ]  # fmt: skip
    assert aus["errors"] == ["zz"]
    chunk_error = page.evaluate(
        """async () => {
          const { parseChunk } = await import('/static/timeline/frames.js');
          const buffer = new Uint32Array([2, 10, 10, 0]).buffer;  // claims 20 bytes of JPEG, holds 4
          try { parseChunk(buffer); return null; } catch (err) { return err.message; }
        }"""
    )
    assert chunk_error == "chunk frame 0 runs past the end of the chunk"


def test_read_only_viewer_cannot_edit(open_page, harness) -> None:
    h, url = harness
    h.can_edit = False
    h.store.create({"video": 7, "kind": "ME", "onset": 20, "apex": None, "offset": 30}, "other")
    page = open_page(url)
    page.keyboard.press("i")
    page.keyboard.press("n")
    page.keyboard.press("Delete")
    assert "read only" in page.locator(".mt-flash").inner_text()
    assert page.locator("input[data-field=offset]").is_disabled()
    assert state(page, "pendingCount") == 0 and len(h.store.all()) == 1
