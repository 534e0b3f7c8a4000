"""The timeline editor in the real app: Django's live server, real API and frame store, real Chromium.

Frames carry their index as a bar code (bench/timeline_harness/frames.py), so each check reads back the
pixels actually painted and compares them with the frame store. The face lens is checked on a small
ingested synthetic face video (crops, track and motion as ingest writes them).
"""

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings

from annotator.models import Interval, Prediction, Role
from inference.media.framestore import FrameStore
from inference.media.pipeline import ingest, load_track, read_crops
from inference.synth import SynthEvent, SynthSpec, write_video
from tests.browser import BAR_FRAMES, lane_point, needs_chromium, state, wait_frame, wait_until
from tests.factories import IntervalFactory, PredictionFactory, PredictionRunFactory, VideoFactory

pytest.importorskip("playwright.sync_api")

FRAMES = BAR_FRAMES
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SYNCED = "window.mestudioTimeline.pendingCount === 0"

pytestmark = needs_chromium


READ_PIXELS = """() => {
  const c = document.querySelector('[data-testid=frame-canvas]');
  return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
}"""


@pytest.fixture(scope="module")
def face_store() -> str:
    """A small synthetic face video ingested like any other (aligned crops, face track, motion)."""
    root = Path(settings.MEDIA_ROOT)
    spec = SynthSpec(
        seed=5, fps=30, frame_count=64, width=320, height=240, grayscale=False, head_motion=0.5, noise=1.0,
        events=[SynthEvent("ME", 20, 24, 29, ("mouth",), None, 3.0)],
    )  # fmt: skip
    source = write_video(spec, root / "timeline-face.mp4")
    ingest(source, root / "timeline-face", workers=1)
    return "timeline-face"


def test_keys_paint_the_frame_store_frames(open_page, member, bar_video, bar_store) -> None:
    page = open_page(member(Role.ANNOTATOR), bar_video)
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_frame(page, 5)
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("ArrowLeft")
    wait_frame(page, 14)
    canvas = np.array(page.evaluate(READ_PIXELS), np.int16).reshape(120, 160, 4)[..., :3]
    stored = FrameStore(Path(settings.MEDIA_ROOT) / bar_store).frame(14)[..., ::-1]  # BGR -> RGB
    assert np.abs(canvas - stored).mean() < 2.0, "painted pixels differ from the frame store's frame 14"
    page.keyboard.press("End")
    wait_frame(page, FRAMES - 1)
    page.keyboard.press("Home")
    wait_frame(page, 0)
    page.keyboard.press("g")
    page.keyboard.type("101")  # this video numbers frames from 1
    page.keyboard.press("Enter")
    wait_frame(page, 100)
    assert "#101" in page.locator("[data-testid=counter]").inner_text()
    for _ in range(100):  # a held key: keydowns without keyups
        page.keyboard.down("ArrowRight")
    page.keyboard.up("ArrowRight")
    assert state(page, "frame") == 200
    wait_frame(page, 200)
    page.keyboard.press("?")
    assert page.locator("[data-testid=help]").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("[data-testid=help]").is_visible()
    # the editor fills the window under the top bar: the track's last lane is on screen
    track = page.locator("[data-testid=track]").bounding_box()
    assert track["y"] + track["height"] <= 800
    assert page.errors == []


def test_create_interval_with_keys_is_in_the_api(open_page, member, api, bar_video) -> None:
    user = member(Role.ANNOTATOR)
    page = open_page(user, bar_video)
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
    wait_until(page, f"{SYNCED} && window.mestudioTimeline.intervals.length === 1")
    [saved] = api(user).get(f"/api/intervals/?video={bar_video.pk}").json()
    assert (saved["kind"], saved["onset"], saved["apex"], saved["offset"]) == ("MaE", 10, 13, 17)
    assert saved["updated_by"] == user.username
    assert page.evaluate("localStorage.length") == 0


def test_drag_offset_handle_snaps_to_frames(open_page, member, bar_video) -> None:
    interval = IntervalFactory(video=bar_video, onset=20, apex=25, offset=30)
    page = open_page(member(Role.ANNOTATOR), bar_video)
    page.keyboard.press("n")
    for _ in range(4):
        page.keyboard.press("+")
    wait_until(page, "window.mestudioTimeline.selected && window.mestudioTimeline.selected.onset === 20")
    x, y = lane_point(page, "ME", 31)  # the offset handle is the right edge of frame 30
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(lane_point(page, "ME", 36.3)[0], y, steps=5)
    page.mouse.up()
    wait_until(page, f"{SYNCED} && window.mestudioTimeline.selected.version === 2")
    interval.refresh_from_db()
    assert (interval.offset, interval.version) == (35, 2)
    page.locator(".mt-history li", has_text="offset 31→36").wait_for()  # revision history, dataset numbers


def test_undo_and_redo_reach_the_database(open_page, member, bar_video) -> None:
    page = open_page(member(Role.ANNOTATOR), bar_video)
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("i")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    wait_until(page, f"{SYNCED} && window.mestudioTimeline.selected?.version === 2")
    assert Interval.objects.get(video=bar_video).offset == 15
    page.keyboard.press("Control+z")
    wait_until(page, f"{SYNCED} && window.mestudioTimeline.selected?.version === 3")
    assert Interval.objects.get(video=bar_video).offset is None
    page.keyboard.press("Control+z")
    wait_until(page, f"{SYNCED} && window.mestudioTimeline.intervals.length === 0")
    assert not Interval.objects.filter(video=bar_video).exists()
    page.keyboard.press("Control+Shift+Z")
    page.keyboard.press("Control+Shift+Z")
    wait_until(page, f"{SYNCED} && window.mestudioTimeline.intervals[0]?.offset === 15")
    again = Interval.objects.get(video=bar_video)
    assert (again.onset, again.offset) == (10, 15)


def test_conflict_from_a_second_browser_is_shown_and_resolved(open_page, member, bar_video) -> None:
    interval = IntervalFactory(video=bar_video, onset=20, apex=25, offset=30)
    mine, theirs = (
        open_page(member(Role.ANNOTATOR, "me"), bar_video),
        open_page(member(Role.ANNOTATOR, "them"), bar_video),
    )
    theirs.keyboard.press("n")
    for _ in range(12):
        theirs.keyboard.press("ArrowRight")
    theirs.keyboard.press("o")  # offset 32, version 2
    wait_until(theirs, SYNCED)
    mine.keyboard.press("n")
    for _ in range(14):
        mine.keyboard.press("ArrowRight")
    mine.keyboard.press("o")  # offset 34 against version 1: the API answers 409 with the current row
    conflict = mine.locator("[data-testid=conflict]")
    conflict.wait_for(state="visible")
    assert "them (version 2)" in conflict.inner_text()
    assert "offset\t35 ✎\t33" in conflict.inner_text()  # mine and theirs, dataset numbering
    interval.refresh_from_db()
    assert interval.offset == 32, "the other coder's edit must not be overwritten silently"
    mine.locator("[data-testid=keep-mine]").click()
    wait_until(mine, SYNCED)
    interval.refresh_from_db()
    assert (interval.offset, interval.version, interval.updated_by.username) == (34, 3, "me")
    theirs.keyboard.press("Delete")  # their delete carries version 2: refused, the interval comes back
    wait_until(theirs, "window.mestudioTimeline.intervals[0]?.status === 'conflict'")
    theirs.keyboard.press("p")
    theirs.locator("[data-testid=conflict]").wait_for(state="visible")
    assert Interval.objects.filter(pk=interval.pk).exists()
    theirs.locator("[data-testid=take-theirs]").click()
    wait_until(theirs, f"{SYNCED} && window.mestudioTimeline.selected?.offset === 34")


def test_unsaved_interval_survives_a_reload(open_page, member, bar_video) -> None:
    page = open_page(member(Role.ANNOTATOR), bar_video)
    page.route(
        "**/api/intervals/",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("i")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    wait_until(page, "window.mestudioTimeline.selected?.status === 'offline'")
    assert not Interval.objects.filter(video=bar_video).exists()
    page.unroute("**/api/intervals/")
    page.reload()
    page.wait_for_selector("[data-ready=true]")
    wait_until(page, f"{SYNCED} && window.mestudioTimeline.intervals.length === 1")
    saved = Interval.objects.get(video=bar_video)
    assert (saved.onset, saved.offset) == (5, 9)
    assert page.evaluate("localStorage.length") == 0


def test_create_whose_reply_was_lost_is_not_duplicated_after_a_reload(open_page, member, bar_video) -> None:
    page = open_page(member(Role.ANNOTATOR), bar_video)

    def lose_reply(route) -> None:
        if route.request.method != "POST":
            return route.continue_()
        route.fetch()  # the server creates the interval ...
        route.abort()  # ... and the browser never hears of it

    page.route("**/api/intervals/", lose_reply)
    page.keyboard.press("i")
    for _ in range(80):  # polled from here: a page-side wait would hold up the route handler
        page.wait_for_timeout(100)
        if state(page, "selected")["status"] == "offline":
            break
    assert state(page, "selected")["status"] == "offline"
    assert Interval.objects.filter(video=bar_video).count() == 1
    page.unroute("**/api/intervals/")
    page.reload()
    page.wait_for_selector("[data-ready=true]")
    wait_until(page, f"{SYNCED} && window.mestudioTimeline.intervals.length === 1")
    assert Interval.objects.filter(video=bar_video).count() == 1, "the re-sent create made a second interval"


def test_create_with_a_client_id_is_idempotent(api, member, bar_video) -> None:
    client = api(member(Role.ANNOTATOR))
    body = {"video": bar_video.pk, "kind": "ME", "onset": 5, "offset": 9, "client_id": "tab1-abc"}
    first = client.post("/api/intervals/", body, format="json")
    again = client.post("/api/intervals/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Interval.objects.count() == 1
    other = client.post("/api/intervals/", body | {"client_id": "tab1-abd"}, format="json")
    assert other.status_code == 201 and Interval.objects.count() == 2
    bad = client.post("/api/intervals/", body | {"client_id": "a b"}, format="json")
    assert bad.status_code == 400 and "client_id must be" in str(bad.json()["client_id"])


def test_predictions_accept_adjusted_and_reject(open_page, member, dataset, bar_video) -> None:
    run = PredictionRunFactory(dataset=dataset, name="baseline")
    first = PredictionFactory(run=run, video=bar_video, onset=100, apex=106, offset=115)
    second = PredictionFactory(run=run, video=bar_video, onset=300, apex=305, offset=310)
    page = open_page(member(Role.ANNOTATOR), bar_video)
    page.mouse.click(*lane_point(page, "baseline", 105))
    wait_until(page, "window.mestudioTimeline.selected?.type === 'prediction'")
    page.keyboard.press("g")
    page.keyboard.type("120")  # frame index 119: offset four frames later
    page.keyboard.press("Enter")
    page.keyboard.press("o")
    page.keyboard.press("y")
    wait_until(page, "window.mestudioTimeline.selected?.type === 'interval'")
    accepted = Interval.objects.get(video=bar_video)
    assert (accepted.source_prediction_id, accepted.onset, accepted.offset) == (first.pk, 100, 119)
    first.refresh_from_db()
    assert first.status == Prediction.Status.ACCEPTED
    page.keyboard.press("Escape")
    page.mouse.click(*lane_point(page, "baseline", 305))
    wait_until(page, "window.mestudioTimeline.selected?.type === 'prediction'")
    page.keyboard.press("x")
    wait_until(page, "window.mestudioTimeline.selected?.status === 'rejected'")
    second.refresh_from_db()
    assert second.status == Prediction.Status.REJECTED
    assert page.locator("[data-testid=panel] [data-field=status]").inner_text() == "rejected"


def test_suggested_emotion_is_shown_and_taken_with_y(open_page, member, bar_video) -> None:
    interval = IntervalFactory(
        video=bar_video, onset=20, apex=25, offset=30, suggested_emotion="surprise",
        emotion_scores={"surprise": 0.74, "others": 0.26},
    )  # fmt: skip
    page = open_page(member(Role.ANNOTATOR), bar_video)
    page.keyboard.press("n")
    suggestion = page.locator("[data-testid=suggestion]")
    suggestion.wait_for(state="visible")
    assert "surprise (confidence 0.74)" in suggestion.inner_text()
    page.keyboard.press("y")
    wait_until(page, f"{SYNCED} && window.mestudioTimeline.selected?.version === 2")
    interval.refresh_from_db()
    assert interval.emotion == "surprise"
    assert "taken" in suggestion.inner_text()


def test_read_only_viewer_cannot_edit(open_page, member, bar_video) -> None:
    IntervalFactory(video=bar_video, onset=20, apex=None, offset=30)
    page = open_page(member(Role.VIEWER), bar_video)
    page.keyboard.press("i")
    page.keyboard.press("n")
    page.keyboard.press("Delete")
    assert "read only" in page.locator(".mt-flash").inner_text()
    assert page.locator("input[data-field=offset]").is_disabled()
    assert Interval.objects.filter(video=bar_video).count() == 1


def test_screenshots_at_several_zoom_levels(open_page, member, dataset, bar_video) -> None:
    IntervalFactory(video=bar_video, onset=40, apex=46, offset=55)
    IntervalFactory(video=bar_video, kind="MaE", onset=150, apex=170, offset=200)
    PredictionFactory(
        run=PredictionRunFactory(dataset=dataset, name="baseline"),
        video=bar_video,
        onset=44,
        apex=48,
        offset=52,
    )
    page = open_page(member(Role.ANNOTATOR), bar_video)
    page.keyboard.press("n")
    ARTIFACTS.mkdir(exist_ok=True)
    widths = []
    for level, presses in enumerate([0, 2, 3, 3]):
        for _ in range(presses):
            page.keyboard.press("+")
        page.wait_for_timeout(100)
        widths.append(state(page, "view")["framesPerPixel"])
        page.screenshot(path=str(ARTIFACTS / f"timeline_zoom_{level}.png"))
    assert widths == sorted(widths, reverse=True) and widths[-1] < 0.1, "zoomed in to single frames"


# ---- face lens: endpoints and the page ----


@pytest.fixture
def face_video(transactional_db, dataset, face_store):
    return VideoFactory(
        dataset=dataset, frame_count=64, width=320, height=240, media_dir=face_store, ingest_state="ready"
    )


def _png(response) -> np.ndarray:
    assert response.status_code == 200, response.content[:300]
    return cv2.imdecode(np.frombuffer(b"".join(response.streaming_content), np.uint8), cv2.IMREAD_GRAYSCALE)


def test_enhance_strips_hold_the_crops_and_their_enhancements(client, member, face_video, face_store) -> None:
    client.force_login(member(Role.VIEWER))
    folder = Path(settings.MEDIA_ROOT) / face_store
    crops = read_crops(folder, 32, 64).astype(np.int16)
    url = f"/videos/{face_video.pk}/enhance"
    plain = _png(client.get(f"{url}/crop.png?start=32"))
    assert plain.shape == (128, 32 * 128)
    assert np.array_equal(plain.reshape(128, 32, 128).transpose(1, 0, 2), crops)
    diff = (
        _png(client.get(f"{url}/diff.png?start=32&ref=40&factor=4")).reshape(128, 32, 128).transpose(1, 0, 2)
    )
    assert np.all(diff[8] == 128), "the reference frame differs from itself by nothing"
    expected = np.clip(128 + 4 * (crops[0] - crops[8]), 0, 255)
    assert np.abs(diff[0].astype(np.int16) - expected).max() <= 1
    magnified = _png(client.get(f"{url}/magnify.png?start=0&factor=10"))
    assert magnified.shape == (128, 32 * 128)
    assert (folder / "enhance" / "magnify_0_0_10.png").exists(), "computed once, then served from the cache"
    flow = client.get(f"{url}/flow.png?start=0&ref=20")
    assert flow.status_code == 200 and flow["Content-Type"] == "image/png"


def test_enhance_cache_keeps_the_most_recently_used_strips(
    client, member, face_video, face_store, monkeypatch
) -> None:
    from annotator.views import enhance

    monkeypatch.setattr(enhance, "KEEP_STRIPS", 3)
    cache = Path(settings.MEDIA_ROOT) / face_store / "enhance"
    shutil.rmtree(cache, ignore_errors=True)
    client.force_login(member(Role.VIEWER))
    url = f"/videos/{face_video.pk}/enhance"
    first = _png(client.get(f"{url}/crop.png?start=0"))
    for address in ("crop.png?start=32", "diff.png?start=0&factor=2", "crop.png?start=0"):  # the last: a hit
        _png(client.get(f"{url}/{address}"))
    assert len(list(cache.iterdir())) == 3, "nothing pruned while under the bound"
    _png(client.get(f"{url}/diff.png?start=0&factor=3"))
    assert sorted(p.name for p in cache.iterdir()) == [
        "crop_0_0_1.png",
        "diff_0_0_2.png",
        "diff_0_0_3.png",
    ], "the least recently used strip (crop 32, not the re-read crop 0) is deleted on write"
    assert np.array_equal(_png(client.get(f"{url}/crop.png?start=0")), first)
    assert np.array_equal(
        _png(client.get(f"{url}/crop.png?start=32"))[:, :128],
        read_crops(Path(settings.MEDIA_ROOT) / face_store, 32, 33)[0],
    ), "a pruned strip is computed again"


def test_enhance_and_track_refuse_bad_input_and_strangers(client, member, face_video, bar_video) -> None:
    from tests.factories import UserFactory

    client.force_login(member(Role.VIEWER))
    url = f"/videos/{face_video.pk}"
    cases = {
        f"{url}/enhance/diff.png?start=5": "`start` must be a multiple of 32",
        f"{url}/enhance/diff.png?start=0&ref=999": "`ref` must be a frame in 0..63",
        f"{url}/enhance/magnify.png?start=0&factor=abc": "`factor` must be a number",
        f"{url}/enhance/magnify.png?start=0&factor=0.5": "`factor` must be between 1.0 and 100.0",
        f"{url}/face-track.json?start=0": "query parameter `stop` is required",
        f"{url}/face-track.json?start=10&stop=99": "range 10..99 must lie in 0..64",
    }
    for address, message in cases.items():
        response = client.get(address)
        assert response.status_code == 400 and message in response.json()["detail"], address
    assert client.get(f"{url}/enhance/blur.png?start=0").status_code == 404
    assert client.get(f"/videos/{bar_video.pk}/enhance/crop.png?start=0").status_code == 404  # no crops
    client.force_login(UserFactory())
    assert client.get(f"{url}/enhance/crop.png?start=0").status_code == 404
    assert client.get(f"{url}/face-track.json?start=0&stop=4").status_code == 404


def test_face_track_is_in_display_pixels(client, member, face_video, face_store) -> None:
    client.force_login(member(Role.VIEWER))
    data = client.get(f"/videos/{face_video.pk}/face-track.json?start=10&stop=14").json()
    track = load_track(Path(settings.MEDIA_ROOT) / face_store)
    assert (data["start"], data["stop"], len(data["boxes"]), len(data["landmarks"][0])) == (10, 14, 4, 68)
    np.testing.assert_allclose(data["boxes"][0], track["boxes"][10], atol=0.06)  # display = source size here
    np.testing.assert_allclose(data["landmarks"][1], track["landmarks"][11][track["subset68"]], atol=0.06)


def test_lens_shows_the_enhanced_crop_of_the_cursor_frame(open_page, member, face_video) -> None:
    page = open_page(member(Role.ANNOTATOR), face_video)
    lens = page.locator("[data-testid=lens]")
    page.wait_for_selector("[data-testid=lens][data-frame='0']")
    for _ in range(33):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector("[data-testid=lens][data-frame='33']")  # the next strip was fetched
    lens.locator("select").select_option("diff")
    page.locator("[data-testid=lens] button").click()  # pin frame 33 as the reference
    page.wait_for_selector("[data-testid=lens][data-frame='33']")
    number = 33 + face_video.first_frame_number
    assert (
        f"diff ×8 from #{number} · frame #{number}" in page.locator("[data-testid=lens-caption]").inner_text()
    )
    centre = page.evaluate(
        "() => Array.from(document.querySelector('[data-testid=lens-canvas]').getContext('2d')"
        ".getImageData(96, 96, 64, 64).data).filter((_, i) => i % 4 === 0)"
    )
    assert max(abs(v - 128) for v in centre) <= 1, "the pinned frame differs from itself by nothing"
    for label in ("face box", "landmarks"):
        lens.get_by_label(label).check()
    page.wait_for_function(
        "() => { const c = document.querySelector('[data-testid=face-overlay]');"
        " return !c.hidden && c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v) => v > 0); }"
    )
    page.keyboard.press("+")
    page.screenshot(path=str(ARTIFACTS / "timeline_lens.png"))
    assert page.errors == []
