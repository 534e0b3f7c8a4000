"""Motion signals: region magnitudes with head motion removed, on crafted crops and a generated video."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference.media.decode import MediaError
from inference.media.face import Aligner, FaceModels, FaceTracker, aligned_crop
from inference.media.motion import REGIONS, FlowMeter, motion_plot, region_masks
from inference.media.pipeline import ingest, load_motion
from inference.synth import HeadTurn, SynthEvent, SynthSpec, write_image_folder
from inference.synth.face import scene_bgr


@pytest.fixture(scope="module")
def crop():
    photo = scene_bgr("astronaut")
    tracker = FaceTracker(FaceModels())
    tracker.step(photo)
    transform, _ = Aligner(128).update(tracker.step(photo).landmarks)
    return aligned_crop(photo, transform)


def _warp(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return cv2.warpAffine(image, matrix, (128, 128), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _bump(
    image: np.ndarray, centres: list[tuple[float, float]], shift: tuple[float, float], sigma: float = 6.0
):
    """Move skin around each centre (crop pixels) by `shift`, fading out with distance: a local movement."""
    ys, xs = np.mgrid[0:128, 0:128].astype(np.float32)
    weight = sum(np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2)) for x, y in centres)
    return cv2.remap(image, xs - shift[0] * weight, ys - shift[1] * weight, cv2.INTER_LINEAR)


def test_region_masks_are_disjoint_and_cover_the_face():
    masks = region_masks(128)
    assert masks.shape == (len(REGIONS), 128, 128)
    assert masks.sum(0).max() == 1
    assert all(m.sum() > 150 for m in masks)


def test_still_face_reads_zero(crop):
    assert FlowMeter().measure(crop, crop).max() < 0.01


def test_head_translation_rotation_and_scale_are_removed(crop):
    meter = FlowMeter()
    shifted = _warp(crop, np.float32([[1, 0, 1.5], [0, 1, -1.0]]))
    turned = _warp(crop, cv2.getRotationMatrix2D((64, 64), 1.0, 1.01))
    for moved in (shifted, turned):
        assert meter.measure(crop, moved).max() < 0.06


@pytest.mark.parametrize(
    "region, centres",
    [
        ("mouth", [(46, 88), (82, 88)]),
        ("brows", [(44, 31), (84, 31)]),
        ("cheeks", [(30, 66), (98, 66)]),
        ("eyes", [(44, 46), (84, 46)]),
    ],
)
def test_local_movement_peaks_in_its_region_even_with_head_motion(crop, region, centres):
    meter = FlowMeter()
    head = cv2.getRotationMatrix2D((64, 64), 0.7, 1.0)
    head[:, 2] += (1.2, 0.5)
    moved = _warp(_bump(crop, centres, (0.0, -1.5)), head)
    values = meter.measure(crop, moved)
    assert REGIONS[int(np.argmax(values))] == region
    assert values.max() > 2 * np.median(values)


def test_flow_methods():
    a = cv2.GaussianBlur(np.random.default_rng(1).integers(0, 255, (128, 128), dtype=np.uint8), (0, 0), 3)
    for meter in (FlowMeter(method="farneback"), FlowMeter(preset="ultrafast"), FlowMeter(preset="fast")):
        assert meter.measure(a, a).shape == (len(REGIONS),)
    with pytest.raises(MediaError, match="unknown DIS preset 'slow'"):
        FlowMeter(preset="slow")
    if not hasattr(cv2, "optflow"):
        with pytest.raises(MediaError, match="TV-L1 flow needs opencv-contrib"):
            FlowMeter(method="tvl1")


def test_motion_plot_is_an_svg_with_every_region():
    values = np.abs(np.random.default_rng(0).normal(0, 0.05, (90, len(REGIONS)))).astype(np.float32)
    svg = motion_plot(values, REGIONS, fps=30.0)
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    for name in REGIONS:
        assert name.encode() in svg
    assert b"time (s)" in svg


# ---- a generated video with known events, through the whole pipeline ----

SPAN = 1  # flow at frame k compares k-1 and k: an event spanning onset..offset moves frames onset..offset+1


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """320x240 lossless frames: three local movements, a blink and a head turn, with head sway."""
    spec = SynthSpec(
        seed=4,
        fps=30,
        frame_count=120,
        width=320,
        height=240,
        grayscale=False,
        head_motion=1.0,
        noise=1.0,
        events=[
            SynthEvent("ME", 12, 16, 21, ("mouth",), None, 3.0),
            SynthEvent("blink", 36, 38, 41, ("eyes",), None, 8.5),
            SynthEvent("ME", 56, 60, 65, ("brows",), None, 3.0),
            SynthEvent("ME", 78, 82, 87, ("cheeks",), None, 3.0),
        ],
        head_turns=[HeadTurn(97, 103, 110, -3.0, 1.0, -3.0)],
    )
    root = tmp_path_factory.mktemp("motion")
    write_image_folder(spec, root / "frames", "img{n}.png")
    ingest(root / "frames", root / "out", fps=30, workers=1)
    regions, values = load_motion(root / "out")
    return spec, regions, values


def test_motion_file_layout(generated):
    spec, regions, values = generated
    assert regions == REGIONS
    assert values.shape == (spec.frame_count, len(REGIONS)) and values.dtype == np.float32
    assert not values[0].any()


def test_events_peak_in_their_region_inside_their_span(generated):
    spec, regions, values = generated
    quiet = np.ones(spec.frame_count, bool)
    quiet[0] = False
    for item in [*spec.events, *spec.head_turns]:
        quiet[item.onset : item.offset + 1 + SPAN] = False
    peaks = []
    for event in spec.events:
        r = regions.index(event.regions[0])
        span = values[event.onset : event.offset + 1 + SPAN]
        assert regions[int(np.argmax(span.max(0)))] == event.regions[0], event
        assert span[:, r].max() > 2.5 * values[quiet, r].max(), event
        peaks.append(span[:, r].max())
    turn = spec.head_turns[0]
    head_turn = values[turn.onset : turn.offset + 1 + SPAN]
    assert head_turn.max() < 0.6 * min(peaks)  # head motion removed: a turn is not an expression
    assert values[quiet].max() < 0.4 * min(peaks)  # flat elsewhere
