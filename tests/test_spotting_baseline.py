"""Baseline spotter on hand-made motion signals with known onsets and offsets."""

import json
import math

import cv2
import numpy as np
import pytest

from inference.spotting.baseline import BaselineParams, spot

REGIONS = ["brows", "eyes", "nose", "mouth", "cheeks"]


def speed(onset: int, apex: int, offset: int, n: int, amplitude: float = 1.0) -> np.ndarray:
    """Per-frame speed of a movement whose displacement is non-zero exactly on onset..offset.

    Displacement rises smoothly (sin^2) to 1 at the apex and falls back; the speed at t is the
    step t-1 -> t, as the media pipeline measures flow between consecutive frames.
    """
    i = np.arange(n, dtype=float)
    t = np.where(i <= apex, (i - onset + 1) / (apex - onset + 1), (offset + 1 - i) / (offset + 1 - apex))
    shape = np.where((i >= onset) & (i <= offset), np.sin(np.clip(t, 0, 1) * math.pi / 2) ** 2, 0.0)
    return amplitude * np.abs(np.diff(shape, prepend=0.0))


def background(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.05 + np.abs(rng.normal(0.0, 0.02, (n, len(REGIONS))))).astype(np.float32)


def col(name: str) -> int:
    return REGIONS.index(name)


def test_micro_expression_found_exactly():
    x = background(600)
    x[:, col("mouth")] += speed(100, 104, 109, 600)
    x[:, col("cheeks")] += speed(100, 104, 109, 600, 0.5)
    r = spot(x, REGIONS, 30.0)
    assert [(c.kind, c.onset, c.offset) for c in r.intervals] == [("ME", 100, 109)]
    (me,) = r.intervals
    assert abs(me.apex - 104) <= 1 and me.regions[0] == "mouth"
    assert 0.0 < me.score < 1.0


def test_macro_expression_with_a_still_apex_is_one_interval():
    n = 600
    x = background(n, seed=1)
    x[:, col("brows")] += speed(300, 330, 359, n, 3.0)  # the speed is ~0 around the apex
    r = spot(x, REGIONS, 30.0)
    assert [c.kind for c in r.intervals] == ["MaE"]
    (mae,) = r.intervals
    inter = min(mae.offset, 359) - max(mae.onset, 300) + 1
    assert inter / ((mae.offset - mae.onset + 1) + 60 - inter) >= 0.8


def test_blink_in_the_eyes_only_is_not_an_expression():
    x = background(400, seed=2)
    x[:, col("eyes")] += speed(200, 202, 205, 400, 5.0)
    r = spot(x, REGIONS, 30.0)
    assert r.intervals == []
    (blink,) = [c for c in r.candidates if c.peak_z > 20]
    # a sharp, strong onset leaks one frame early through the 0.1 s smoothing
    assert blink.kind == "blink" and abs(blink.onset - 200) <= 1 and blink.offset == 205


def test_slow_drift_is_ignored_and_does_not_hide_a_movement():
    n = 900
    x = background(n, seed=3)
    x[:, col("mouth")] += np.linspace(0.0, 0.5, n)  # drift 10x the noise, over 30 s
    x[:, col("brows")] += 0.1 * (1 + np.sin(np.arange(n) / n * 2 * math.pi))
    assert spot(x, REGIONS, 30.0).intervals == []
    x[:, col("mouth")] += speed(500, 504, 509, n)
    assert [(c.kind, c.onset, c.offset) for c in spot(x, REGIONS, 30.0).intervals] == [("ME", 500, 509)]


def test_noise_alone_gives_at_most_one_false_interval_in_15_minutes():
    found = [len(spot(background(9000, seed=s), REGIONS, 30.0).intervals) for s in (20, 21, 22)]
    assert sum(found) <= 1


def test_head_movement_in_every_region_is_rejected():
    n = 600
    x = background(n, seed=5)
    for name, gain in zip(REGIONS, [3.0, 2.5, 0.5, 2.8, 2.2], strict=True):  # rotation: the nose moves least
        x[:, col(name)] += speed(300, 310, 320, n, gain)
    r = spot(x, REGIONS, 30.0)
    assert r.intervals == []
    assert any(c.kind == "head" and c.onset <= 310 <= c.offset for c in r.candidates)


def test_rethresholding_without_rerunning():
    n = 900
    x = background(n, seed=6)
    x[:, col("mouth")] += speed(200, 204, 209, n, 1.0)
    x[:, col("brows")] += speed(600, 604, 609, n, 0.1)  # weak: found only at a lower threshold
    r = spot(x, REGIONS, 30.0)
    assert [c.onset for c in r.intervals] == [200]
    weak = [c for c in r.candidates if c.onset <= 604 <= c.offset]
    assert len(weak) == 1 and weak[0].score < r.params.score_cut()
    assert [c.onset for c in r.filter(weak[0].score)] == [200, weak[0].onset]
    assert r.filter(r.params.score_cut()) == r.intervals
    assert r.filter(1.0) == []
    assert all(0.0 <= c.score <= 1.0 for c in r.candidates)


def test_cap_per_minute_keeps_the_best():
    n = 1800  # one minute
    x = background(n, seed=7)
    for k, onset in enumerate(range(100, 1700, 200)):
        x[:, col("mouth")] += speed(onset, onset + 4, onset + 9, n, 1.0 + 0.2 * k)
    assert len(spot(x, REGIONS, 30.0).intervals) == 8
    capped = spot(x, REGIONS, 30.0, BaselineParams(max_per_minute=3))
    assert [c.onset for c in capped.intervals] == [1100, 1300, 1500]


def test_200_fps_is_spotted_at_30_and_mapped_back_to_its_own_frames():
    fps, n = 200.0, 4000  # 20 s
    x = background(n, seed=8)
    x[:, col("mouth")] += speed(1000, 1030, 1059, n, 1.0)  # a 0.3 s ME
    x[:, col("brows")] += speed(2500, 2700, 2899, n, 3.0)  # a 2 s MaE
    r = spot(x, REGIONS, fps)
    assert all(len(curve) == n for curve in r.curves.values())
    assert [c.kind for c in r.intervals] == ["ME", "MaE"]
    me, mae = r.intervals
    assert abs(me.onset - 1000) <= 7 and abs(me.offset - 1059) <= 7  # one 30 fps frame = 6.7 frames here
    assert me.onset <= me.apex <= me.offset
    inter = min(mae.offset, 2899) - max(mae.onset, 2500) + 1
    assert inter / ((mae.offset - mae.onset + 1) + 400 - inter) >= 0.8


def test_range_threshold_mode():
    x = background(600, seed=9)
    x[:, col("mouth")] += speed(100, 104, 109, 600)
    r = spot(x, REGIONS, 30.0, BaselineParams(threshold_mode="range", height=0.5))
    assert [(c.kind, c.onset, c.offset) for c in r.intervals] == [("ME", 100, 109)]
    assert r.intervals[0].score == 1.0  # the video's highest peak


def test_results_are_json():
    x = background(300)
    x[:, col("mouth")] += speed(100, 104, 109, 300)
    r = spot(x, REGIONS, 30.0)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["params"]["height"] == BaselineParams().height
    assert len(d["curves"]["activity"]) == 300 and "z:mouth" in d["curves"]
    assert d["intervals"][0]["onset"] == 100


def test_tiny_and_empty_inputs():
    assert spot(np.zeros((0, 5)), REGIONS, 30.0).intervals == []
    assert spot(np.zeros((1, 5)), REGIONS, 30.0).intervals == []
    assert spot(np.zeros((50, 5)), REGIONS, 30.0).intervals == []


@pytest.mark.parametrize(
    ("values", "regions", "fps", "message"),
    [
        (np.zeros((10, 4)), REGIONS, 30.0, r"shape \(frames, 5 regions\)"),
        (np.zeros(10), REGIONS, 30.0, "shape"),
        (np.zeros((10, 5)), REGIONS, 0.0, "fps"),
        (np.zeros((10, 2)), ["eyes", "eyes"], 30.0, "duplicates"),
    ],
)
def test_bad_input(values, regions, fps, message):
    with pytest.raises(ValueError, match=message):
        spot(values, regions, fps)


def test_non_finite_value_is_named():
    x = background(20)
    x[7, col("nose")] = np.nan
    with pytest.raises(ValueError, match=r"values\[7, 2\] \(region 'nose'\)"):
        spot(x, REGIONS, 30.0)


def test_bad_params():
    with pytest.raises(ValueError, match="global_reference"):
        BaselineParams(global_reference="mean")
    with pytest.raises(ValueError, match="smooth_s"):
        BaselineParams(smooth_s=-1.0)
    with pytest.raises(ValueError, match="'nose' region"):
        spot(np.zeros((10, 2)), ["eyes", "mouth"], 30.0, BaselineParams(global_reference="nose"))


def test_window_values_reveal_a_slow_movement_and_do_not_duplicate_a_fast_one():
    n, half = 900, 5
    x = background(n, seed=10)
    x[:, col("mouth")] += speed(200, 204, 209, n)  # an ME, seen by both signals
    # A slow MaE below the per-frame noise: it shows only in the window speed (the per-frame
    # speed averaged over 2 * half + 1 frames, with the window's own, lower, noise).
    slow = speed(500, 540, 579, n, 3.0)
    window = background(n, seed=11) * 0.3
    window[:, col("brows")] += np.convolve(slow, np.ones(2 * half + 1) / (2 * half + 1), mode="same")
    window[:, col("mouth")] += np.convolve(
        speed(200, 204, 209, n), np.ones(2 * half + 1) / (2 * half + 1), "same"
    )
    assert [c.kind for c in spot(x, REGIONS, 30.0).intervals] == ["ME"]
    r = spot(x, REGIONS, 30.0, window_values=window)
    assert [c.kind for c in r.intervals] == ["ME", "MaE"]
    me, mae = r.intervals
    assert (me.onset, me.offset, me.source) == (200, 209, "frame")
    assert any(c.kind == "echo" and c.onset <= 204 <= c.offset for c in r.candidates)
    inter = min(mae.offset, 579) - max(mae.onset, 500) + 1
    assert mae.source == "window" and inter / ((mae.offset - mae.onset + 1) + 80 - inter) >= 0.7
    assert "window:activity" in r.curves
    with pytest.raises(ValueError, match="window_values has shape"):
        spot(x, REGIONS, 30.0, window_values=window[:-1])


def test_window_speed_measures_a_region_moving_across_the_window():
    from inference.media.motion import REGION_BOXES
    from inference.media.motion import REGIONS as MEDIA_REGIONS
    from inference.spotting.signals import window_speed

    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (160, 160)).astype(np.float32), (0, 0), 2.0)
    texture = cv2.normalize(texture, None, 0, 255, cv2.NORM_MINMAX)
    x0, y0, x1, y1 = (round(v * 128) for v in REGION_BOXES["mouth"][0])

    def crops(step: float) -> np.ndarray:
        out = []
        for t in range(10):
            frame = texture[16:144, 16:144].copy()
            moved = cv2.warpAffine(texture, np.float32([[1, 0, step * t], [0, 1, 0]]), (160, 160))[
                16:144, 16:144
            ]
            frame[y0:y1, x0:x1] = moved[y0:y1, x0:x1]  # only the mouth moves, `step` px per frame
            out.append(frame.astype(np.uint8))
        return np.stack(out)

    fast = window_speed(crops(0.5), 30.0, half_s=2 / 30)
    slow = window_speed(crops(0.25), 30.0, half_s=2 / 30)
    mouth = MEDIA_REGIONS.index("mouth")
    assert fast.shape == (10, len(MEDIA_REGIONS))
    assert 0.25 < fast[:, mouth].mean() < 0.6  # px per frame, whatever the window width
    assert np.delete(fast, mouth, axis=1).max() < 0.1
    assert 0.4 < slow[:, mouth].mean() / fast[:, mouth].mean() < 0.6
    with pytest.raises(ValueError, match="uint8"):
        window_speed(crops(0.5).astype(np.float32), 30.0)
