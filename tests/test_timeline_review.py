"""The timeline's review tools in the real app and real Chromium: comparison with a run (colours, IoU,
jump keys), comments, weak labels and score-curve lanes, each checked against the API or the pixels
drawn on the track, and a track with more lanes than fit, scrolled under its ruler. Screenshots go to
the test's tmp dir and to /tmp/shots/timeline_*.png."""

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from annotator.models import Comment, Interval, PredictionCurve, Role, WeakLabel
from inference.media.motion import REGIONS
from inference.spotting.baseline import BaselineParams
from tests.browser import BAR_FRAMES, lane_point, needs_chromium, show_lane, state, wait_frame, wait_until
from tests.factories import (
    DatasetFactory,
    IntervalFactory,
    PredictionFactory,
    PredictionRunFactory,
    UserFactory,
    VideoFactory,
)

pytest.importorskip("playwright.sync_api")

pytestmark = needs_chromium

SHOTS = Path("/tmp/shots")
COLOURS = {"match": (0x3E, 0xCF, 0x8E), "miss": (0xFF, 0x45, 0x3A), "extra": (0xFF, 0xB0, 0x20)}
COMMENT_YELLOW = (0xFF, 0xD6, 0x0A)

TRACK_PIXEL = """([x, y]) => {
  const c = document.querySelector('[data-testid=track]');
  const d = window.devicePixelRatio || 1;
  return Array.from(c.getContext('2d').getImageData(Math.floor(x * d), Math.floor(y * d), 1, 1).data.slice(0, 3));
}"""
TRACK_COLUMN = """([x, y0, y1]) => {
  const c = document.querySelector('[data-testid=track]');
  const d = window.devicePixelRatio || 1;
  const data = c.getContext('2d').getImageData(Math.floor(x * d), Math.floor(y0 * d), 1, Math.ceil((y1 - y0) * d)).data;
  const out = [];
  for (let i = 0; i < data.length; i += 4) out.push([data[i], data[i + 1], data[i + 2]]);
  return out;
}"""
PAINTED = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


def lane(page, label: str) -> dict:
    """The lane named `label`, its y on the canvas as scrolled."""
    layout = state(page, "layout")
    found = next(lane for lane in layout["lanes"] if lane["label"] == label)
    return {**found, "y": found["y"] - layout["scrollTop"]}


def track_pixel(page, label: str, frame: float, fraction: float) -> tuple[int, ...]:
    """Colour on the track canvas at `frame`, `fraction` of the way down the lane named `label`."""
    page.evaluate(PAINTED)
    found, view = lane(page, label), state(page, "view")
    x = state(page, "layout")["labelWidth"] + (frame - view["start"]) / view["framesPerPixel"]
    return tuple(page.evaluate(TRACK_PIXEL, [x, found["y"] + found["h"] * fraction]))


def near(colour, expected, tolerance: int = 3) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def shoot(page, tmp_path: Path, name: str) -> None:
    page.evaluate(PAINTED)
    page.screenshot(path=str(tmp_path / f"{name}.png"))
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"timeline_{name}.png"))


@pytest.fixture
def compared(dataset, bar_video):
    """Human intervals against a run, by hand (inclusive frames, IoU = shared / spanned frames):
    100-119 vs 105-119 match (15/20 = 0.75); 200-209 extra (0); 300-309 miss (0);
    MaE 450-499 vs 460-479 miss and extra (20/50 = 0.40, under 0.5)."""
    run = PredictionRunFactory(dataset=dataset, name="spotter")
    IntervalFactory(video=bar_video, kind="ME", onset=100, apex=110, offset=119)
    IntervalFactory(video=bar_video, kind="ME", onset=300, apex=304, offset=309)
    IntervalFactory(video=bar_video, kind="MaE", onset=450, apex=470, offset=499)
    PredictionFactory(run=run, video=bar_video, kind="ME", onset=105, apex=110, offset=119)
    PredictionFactory(run=run, video=bar_video, kind="ME", onset=200, apex=204, offset=209)
    PredictionFactory(run=run, video=bar_video, kind="MaE", onset=460, apex=470, offset=479)
    return run


def test_compare_endpoint_answers_the_hand_made_case_and_hides_other_datasets(
    api, member, compared, bar_video
):
    client = api(member(Role.VIEWER))
    body = client.get(f"/api/review/{bar_video.pk}/compare/?run={compared.pk}").json()
    found = [(i["type"], (i["human"] or i["other"])["onset"], round(i["iou"], 2)) for i in body["items"]]
    assert found == [
        ("match", 100, 0.75),
        ("extra", 200, 0.0),
        ("miss", 300, 0.0),
        ("miss", 450, 0.4),
        ("extra", 460, 0.4),
    ]
    foreign = DatasetFactory()
    foreign_run = PredictionRunFactory(dataset=foreign)
    foreign_video = VideoFactory(dataset=foreign)
    assert client.get(f"/api/review/{bar_video.pk}/compare/?run={foreign_run.pk}").status_code == 404
    assert client.get(f"/api/review/{foreign_video.pk}/compare/?run={foreign_run.pk}").status_code == 404
    stranger = api(UserFactory())
    assert stranger.get(f"/api/review/{bar_video.pk}/compare/?run={compared.pk}").status_code == 404


def test_timeline_config_names_the_review_tools(client, member, dataset, bar_video):
    baseline = PredictionRunFactory(
        dataset=dataset, name="baseline", params=BaselineParams().to_dict(), threshold=0.5
    )
    mcwes = PredictionRunFactory(dataset=dataset, name="mcwes", model="mcwes", threshold=0.3)
    PredictionRunFactory(dataset=DatasetFactory(), name="elsewhere")
    PredictionCurve.objects.create(run=baseline, video=bar_video, name="accumulated", values=[0.0] * 600)
    PredictionCurve.objects.create(run=mcwes, video=bar_video, name="ME", values=[0.0] * 600)
    coder = member(Role.ANNOTATOR, "coder")
    IntervalFactory(video=bar_video, annotator=coder)
    client.force_login(coder)
    config = client.get(f"/videos/{bar_video.pk}/timeline.json").json()
    assert [r["name"] for r in config["compare_with"]["runs"]] == ["baseline", "mcwes"]
    assert config["compare_with"]["annotators"] == ["coder"]
    lines = {r["name"]: r["threshold_on_curve"] for r in config["curve_runs"]}
    assert lines == {"baseline": pytest.approx(10.0), "mcwes": None}  # score_z * 0.5 / (1 - 0.5)
    assert config["comment_resolve_url"].endswith("/{id}/resolve/")
    client.force_login(UserFactory())
    assert client.get(f"/videos/{bar_video.pk}/timeline.json").status_code == 404


def test_comparison_colours_iou_and_disagreement_keys(open_page, member, compared, bar_video, tmp_path):
    page = open_page(member(Role.ANNOTATOR), bar_video)
    page.select_option("[data-testid=compare-with]", f"run:{compared.pk}")
    wait_until(page, "window.mestudioTimeline.review.comparison?.items.length === 5")
    assert state(page, "review")["comparison"]["counts"] == {"match": 1, "miss": 2, "extra": 2}
    label = "vs spotter"
    upper, lower = 0.3, 0.75  # human intervals in the upper half, the run's in the lower half
    assert near(track_pixel(page, label, 102, upper), COLOURS["match"])
    assert near(track_pixel(page, label, 107, lower), COLOURS["match"])
    assert near(track_pixel(page, label, 202, lower), COLOURS["extra"])
    assert near(track_pixel(page, label, 202, upper), track_pixel(page, label, 250, upper)), "nothing human"
    assert near(track_pixel(page, label, 302, upper), COLOURS["miss"])
    assert near(track_pixel(page, label, 452, upper), COLOURS["miss"])
    assert near(track_pixel(page, label, 461, lower), COLOURS["extra"])
    rows = page.locator("[data-testid=compare-list] li").all_inner_texts()
    assert "IoU 0.75" in rows[0] and rows[0].startswith("match")
    assert [r.split(" · ")[0] for r in rows[1:]] == ["extra (FP)", "miss (FN)", "miss (FN)", "extra (FP)"]
    assert [r.rsplit(" ", 1)[1] for r in rows] == ["0.75", "0.00", "0.00", "0.40", "0.40"]
    assert "#451–#500" in rows[3]  # dataset numbering: this video's first frame is number 1
    shoot(page, tmp_path, "compare")
    for frame, index in [(200, 0), (300, 1), (450, 2), (460, 3)]:
        page.keyboard.press(".")
        wait_frame(page, frame)
        assert state(page, "review")["comparison"]["current"] == index
    page.keyboard.press(".")
    assert "no disagreement after the cursor" in page.locator(".mt-flash").inner_text()
    assert state(page, "frame") == 460
    page.keyboard.press(",")
    wait_frame(page, 450)
    page.keyboard.press(",")
    wait_frame(page, 300)
    assert "mt-current" in page.locator("[data-testid=compare-list] li").nth(2).get_attribute("class")
    for _ in range(4):
        page.keyboard.press("+")
    shoot(page, tmp_path, "compare_zoomed")
    page.keyboard.press("?")
    assert "next / previous disagreement" in page.locator("[data-testid=help]").inner_text()
    assert page.errors == []


def test_comparison_with_a_second_annotator_follows_the_coders_edits(open_page, member, bar_video):
    me, other = member(Role.ANNOTATOR, "ann_a"), member(Role.ANNOTATOR, "ann_b")
    IntervalFactory(video=bar_video, annotator=me, onset=100, apex=110, offset=119)
    IntervalFactory(video=bar_video, annotator=me, onset=300, apex=304, offset=309)
    IntervalFactory(video=bar_video, annotator=other, onset=102, apex=110, offset=119)  # IoU 18/20
    IntervalFactory(video=bar_video, annotator=other, onset=330, apex=334, offset=339)
    page = open_page(me, bar_video)
    page.select_option("[data-testid=compare-with]", "annotator:ann_b")
    wait_until(page, "window.mestudioTimeline.review.comparison?.items.length === 3")
    assert page.locator("[data-testid=compare-base]").input_value() == "ann_a", "my labels against theirs"
    assert state(page, "review")["comparison"]["counts"] == {"match": 1, "miss": 1, "extra": 1}
    assert state(page, "review")["comparison"]["items"][0]["iou"] == pytest.approx(0.9)
    page.keyboard.press(".")
    wait_frame(page, 300)
    page.keyboard.press(".")
    wait_frame(page, 330)
    page.keyboard.press("i")  # the coder adds the interval they missed ...
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    page.keyboard.press("Enter")
    wait_until(  # ... and once it is saved the comparison is asked for again
        page,
        "window.mestudioTimeline.pendingCount === 0 && "
        "window.mestudioTimeline.review.comparison?.counts.match === 2",
    )
    assert state(page, "review")["comparison"]["counts"] == {"match": 2, "miss": 1, "extra": 0}
    assert page.errors == []


def test_comments_added_at_the_cursor_and_resolved(open_page, member, api, bar_video, tmp_path):
    interval = IntervalFactory(video=bar_video, onset=100, apex=110, offset=119)
    user = member(Role.REVIEWER, "rita")
    page = open_page(user, bar_video)
    page.keyboard.press("n")  # select the interval: the comment is anchored to it
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_frame(page, 105)
    page.keyboard.press("c")
    page.keyboard.type("brow raise starts earlier")
    page.keyboard.press("Enter")
    wait_until(page, "window.mestudioTimeline.review.comments.length === 1")
    page.keyboard.press("Escape")
    page.keyboard.press("End")
    wait_frame(page, 599)
    page.locator("[data-testid=comment-text]").click()
    page.keyboard.type("check the end")
    page.get_by_role("button", name="Comment (c)").click()
    wait_until(page, "window.mestudioTimeline.review.comments.length === 2")
    listed = api(user).get(f"/api/comments/?video={bar_video.pk}").json()
    assert [(c["frame"], c["interval"], c["text"], c["author"], c["resolved"]) for c in listed] == [
        (105, interval.pk, "brow raise starts earlier", "rita", False),
        (599, None, "check the end", "rita", False),
    ]
    assert near(track_pixel(page, "comments", 105.5, 0.25), COMMENT_YELLOW)
    shoot(page, tmp_path, "comments")
    first = page.locator("[data-testid=comments] li").first
    assert "#106" in first.inner_text()
    first.get_by_role("button", name="Resolve").click()
    wait_until(page, "window.mestudioTimeline.review.comments[0].resolved === true")
    assert Comment.objects.get(frame=105).resolved
    assert api(user).get(f"/api/comments/?video={bar_video.pk}&resolved=false").json()[0]["frame"] == 599
    assert not near(track_pixel(page, "comments", 105.5, 0.25), COMMENT_YELLOW), (
        "a resolved comment is dimmed"
    )
    assert page.errors == []


def test_weak_labels_tagged_from_the_timeline(open_page, member, api, bar_video, tmp_path):
    IntervalFactory(video=bar_video, onset=100, apex=110, offset=119)
    user = member(Role.ANNOTATOR)
    page = open_page(user, bar_video)
    review = page.locator("[data-testid=review]")
    review.locator("[data-tag='ME']").click()  # the whole video
    wait_until(page, "window.mestudioTimeline.review.weakLabels.length === 1")
    page.keyboard.press("n")
    page.select_option("[data-testid=weak-scope]", "selection")
    review.locator("[data-tag='nothing']").click()
    wait_until(page, "window.mestudioTimeline.review.weakLabels.length === 2")
    for _ in range(3):
        page.keyboard.press("+")
    wait_until(page, "window.mestudioTimeline.view.framesPerPixel < 0.1")
    view = state(page, "view")
    plot = page.locator("[data-testid=track]").bounding_box()["width"] - state(page, "layout")["labelWidth"]
    page.select_option("[data-testid=weak-scope]", "window")
    review.locator("[data-tag='MaE']").click()
    wait_until(page, "window.mestudioTimeline.review.weakLabels.length === 3")
    found = api(user).get(f"/api/weak-labels/?video={bar_video.pk}").json()
    tags = sorted(
        ((w["start"] is not None, w["start"], w["end"], w["contains_me"], w["contains_mae"]) for w in found),
    )
    first = math.ceil(view["start"])  # the window in view: frames shown whole, or begun at the right edge
    last = math.ceil(view["start"] + plot * view["framesPerPixel"]) - 1
    assert first <= 100 < last < first + 100, (first, last)
    assert tags == sorted(
        [(False, None, None, True, False), (True, 100, 119, False, False), (True, first, last, False, True)]
    )
    shoot(page, tmp_path, "weak_labels")
    review.locator("[data-weak] button").first.click()
    wait_until(page, "window.mestudioTimeline.review.weakLabels.length === 2")
    assert WeakLabel.objects.filter(video=bar_video).count() == 2
    assert page.errors == []


def test_read_only_viewer_cannot_comment_or_tag(open_page, member, bar_video):
    page = open_page(member(Role.VIEWER), bar_video)
    page.keyboard.press("c")
    assert "read only" in page.locator(".mt-flash").inner_text()
    assert page.locator("[data-testid=comment-text]").is_disabled()
    assert page.locator("[data-testid=review] [data-tag='ME']").is_disabled()


def test_score_curve_lane_with_the_run_threshold(open_page, member, dataset, bar_video, tmp_path):
    run = PredictionRunFactory(
        dataset=dataset, name="spotter", params=BaselineParams().to_dict(), threshold=0.5
    )
    values = [0.0] * 600
    values[300:311] = [20.0] * 11  # a peak twice the threshold's height (10)
    PredictionCurve.objects.create(run=run, video=bar_video, name="accumulated", values=values)
    page = open_page(member(Role.ANNOTATOR), bar_video)
    wait_until(page, "window.mestudioTimeline.review.curves.length === 1")
    [curve] = state(page, "review")["curves"]
    assert (curve["names"], curve["lineAt"]) == (["accumulated"], 10.0)
    found = lane(page, "∿ spotter")
    assert found["type"] == "curve"
    page.evaluate(PAINTED)
    x_peak = lane_point(page, "∿ spotter", 305.5)[0] - page.locator("[data-testid=track]").bounding_box()["x"]
    column = page.evaluate(TRACK_COLUMN, [x_peak, found["y"], found["y"] + found["h"]])
    gold = [i for i, c in enumerate(column) if near(c, (0xF0, 0xB4, 0x29), 40)]
    assert gold and min(gold) <= 4, "the peak reaches the top of the lane"
    x_flat = lane_point(page, "∿ spotter", 150.5)[0] - page.locator("[data-testid=track]").bounding_box()["x"]
    column = page.evaluate(TRACK_COLUMN, [x_flat, found["y"], found["y"] + found["h"]])
    gold = [i for i, c in enumerate(column) if near(c, (0xF0, 0xB4, 0x29), 40)]
    assert gold and min(gold) >= found["h"] - 4, "zero lies at the bottom of the lane"
    line_y = found["y"] + round(found["h"] - 2 - 0.5 * (found["h"] - 4))  # 10 of 20: halfway up
    row = [page.evaluate(TRACK_PIXEL, [x_flat + dx, line_y]) for dx in range(8)]  # dashes 4 on, 3 off
    assert any(near(c, (255, 255, 255), 30) for c in row), "the threshold line is drawn"
    shoot(page, tmp_path, "curves")
    assert page.errors == []


@pytest.fixture
def crowded_video(transactional_db, dataset, bar_store):
    """The bar-coded frames with motion signals for ingest's five regions, in a store of their own
    (motion lanes would crowd the other tests' tracks)."""
    root = Path(settings.MEDIA_ROOT)
    folder = root / "timeline-bar-motion"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(root / bar_store, folder)
    values = np.abs(np.random.default_rng(0).normal(0, 0.2, (BAR_FRAMES, len(REGIONS)))).astype(np.float32)
    np.savez(folder / "motion.npz", regions=np.array(REGIONS), values=values)
    return VideoFactory(
        dataset=dataset, frame_count=BAR_FRAMES, width=160, height=120, first_frame_number=1,
        media_dir=folder.name, ingest_state="ready",
    )  # fmt: skip


def scrolled(page, top: int) -> None:
    wait_until(page, f"window.mestudioTimeline.layout.scrollTop === {top}")
    page.evaluate(PAINTED)


def test_many_lanes_scroll_under_a_fixed_ruler(open_page, member, dataset, crowded_video, tmp_path):
    """Four kinds, two runs with score curves, the comparison, comments and five motion regions need
    more height than the editor gives the track at 1280x800: the lanes scroll, the ruler and the frame
    stay, and pointing at a scrolled lane hits that lane."""
    video = crowded_video
    runs = [
        PredictionRunFactory(dataset=dataset, name=name, params=BaselineParams().to_dict(), threshold=0.5)
        for name in ("baseline", "mcwes")
    ]
    for run in runs:
        PredictionFactory(run=run, video=video, kind="ME", onset=100, apex=105, offset=115)
        PredictionCurve.objects.create(run=run, video=video, name="accumulated", values=[1.0] * BAR_FRAMES)
    IntervalFactory(video=video, kind="ME", onset=50, apex=55, offset=60)
    other = IntervalFactory(video=video, kind="other", onset=200, apex=210, offset=220)
    page = open_page(member(Role.ANNOTATOR), video)
    page.select_option("[data-testid=compare-with]", f"run:{runs[0].pk}")
    wait_until(
        page,
        "(({ review, layout }) => review.curves.length === 2 && review.comparison !== null"
        " && layout.lanes.filter((l) => l.type === 'motion').length === 5)(window.mestudioTimeline)",
    )
    layout = state(page, "layout")
    assert [lane["type"] for lane in layout["lanes"]] == (
        ["kind"] * 4 + ["run"] * 2 + ["compare", "notes", "curve", "curve", "group"] + ["motion"] * 5
    )
    assert layout["contentHeight"] > layout["viewHeight"], "more lanes than the track shows"
    assert page.locator("[data-testid=track-scroll]").is_visible()
    track = page.locator("[data-testid=track]").bounding_box()
    stage = page.locator(".mt-stage").bounding_box()
    assert track["y"] + track["height"] <= 800 and track["height"] == layout["viewHeight"]
    assert stage["height"] >= 0.45 * 800, "the frame keeps most of the window"
    crisp = page.evaluate(
        "() => { const c = document.querySelector('[data-testid=track]'), d = devicePixelRatio;"
        " return [c.width === Math.round(c.clientWidth * d), c.height === Math.round(c.clientHeight * d)]; }"
    )
    assert crisp == [True, True], "one canvas pixel per device pixel"
    shoot(page, tmp_path, "lanes")

    page.locator("[data-testid=track-scroll]").evaluate("(el) => { el.scrollTop = 1e6; }")  # the scrollbar
    bottom = layout["contentHeight"] - layout["viewHeight"]
    scrolled(page, bottom)
    cheeks = lane(page, "cheeks")
    assert cheeks["y"] + cheeks["h"] <= layout["viewHeight"], "the last lane is in view"
    x = layout["labelWidth"] + 300
    column = page.evaluate(TRACK_COLUMN, [x, cheeks["y"], cheeks["y"] + cheeks["h"]])
    assert any(near(c, (0xD2, 0xA8, 0xFF), 40) for c in column), (
        "the cheeks curve is drawn in its scrolled lane"
    )
    assert near(page.evaluate(TRACK_PIXEL, [x, 1]), (0x14, 0x16, 0x1A)), "the ruler stays on top"
    shoot(page, tmp_path, "lanes_scrolled")

    for found in layout["lanes"]:  # every lane, with the wheel over the labels
        show_lane(page, found["label"])
        lane_point(page, found["label"], 0)
    show_lane(page, "cheeks")
    page.mouse.click(*lane_point(page, "cheeks", 450.5))  # a click in a scrolled lane seeks
    wait_frame(page, 450)

    show_lane(page, "other")  # from the bottom: the lane comes in under the ruler, still scrolled
    assert state(page, "layout")["scrollTop"] > 0
    page.mouse.click(*lane_point(page, "other", 205))
    wait_until(page, f"window.mestudioTimeline.selected?.id === {other.pk}")
    x, y = lane_point(page, "other", 221)  # the offset handle: right edge of frame 220
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(lane_point(page, "other", 231)[0], y, steps=5)
    page.mouse.up()
    wait_until(
        page, "window.mestudioTimeline.pendingCount === 0 && window.mestudioTimeline.selected.version === 2"
    )
    assert Interval.objects.get(pk=other.pk).offset == 230

    def in_view(label: str) -> bool:
        found, layout = lane(page, label), state(page, "layout")
        return layout["rulerHeight"] <= found["y"] and found["y"] + found["h"] <= layout["viewHeight"]

    assert not in_view("ME")
    page.keyboard.press("k")  # other -> ME: the interval moves to the top lane, which comes into view
    wait_until(page, "window.mestudioTimeline.selected?.kind === 'ME'")
    assert in_view("ME")
    for _ in range(3):  # ME -> MaE -> blink -> other: back at the bottom, in view again
        page.keyboard.press("k")
    wait_until(
        page,
        "window.mestudioTimeline.selected?.kind === 'other' && window.mestudioTimeline.pendingCount === 0",
    )
    assert in_view("other") and Interval.objects.get(pk=other.pk).kind == "other"

    show_lane(page, "cheeks")
    page.keyboard.press("Home")
    page.keyboard.press("n")  # selecting an interval brings its lane into view
    wait_until(page, "window.mestudioTimeline.selected?.onset === 50")
    scrolled(page, 0)

    group = lane(page, "▾ motion")
    page.mouse.click(track["x"] + 10, track["y"] + group["y"] + group["h"] / 2)  # fold the motion group
    wait_until(page, "!window.mestudioTimeline.layout.lanes.some((l) => l.type === 'motion')")
    folded = state(page, "layout")
    assert folded["contentHeight"] == layout["contentHeight"] - 5 * cheeks["h"]
    assert folded["lanes"][-1]["label"] == "▸ motion"
    shoot(page, tmp_path, "lanes_folded")

    cdp = page.context.new_cdp_session(page)  # a screen of twice the pixel density
    metrics = {"width": 1280, "height": 800, "deviceScaleFactor": 2, "mobile": False}
    cdp.send("Emulation.setDeviceMetricsOverride", metrics)
    page.reload()
    page.wait_for_selector("[data-ready=true][data-frame='0']", timeout=15000)
    wait_until(
        page,
        "(({ review, layout }) => review.curves.length === 2"
        " && layout.lanes.some((l) => l.label === 'cheeks'))(window.mestudioTimeline)",
    )
    assert page.evaluate(
        "(() => { const c = document.querySelector('[data-testid=track]');"
        " return [devicePixelRatio, c.width / c.clientWidth, c.height / c.clientHeight]; })()"
    ) == [2, 2, 2], "two canvas pixels per CSS pixel"
    page.locator("[data-testid=track-scroll]").evaluate("(el) => { el.scrollTop = 1e6; }")
    layout = state(page, "layout")
    scrolled(page, layout["contentHeight"] - layout["viewHeight"])
    cheeks = lane(page, "cheeks")
    x = layout["labelWidth"] + 300
    column = page.evaluate(TRACK_COLUMN, [x, cheeks["y"], cheeks["y"] + cheeks["h"]])
    assert any(near(c, (0xD2, 0xA8, 0xFF), 40) for c in column), "the scrolled lane's curve at 2x"
    shoot(page, tmp_path, "lanes_dpr2")
    assert page.errors == []
