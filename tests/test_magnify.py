"""Motion magnification: a pixel oscillating inside the band grows by the factor, outside it does not."""

import numpy as np
import pytest

from inference.media.magnify import magnify

FPS, T = 30.0, 120


def _pixel_series(freq_hz: float, amplitude: float = 2.0) -> np.ndarray:
    """(T, 4, 4) frames: mean 100 plus a sinusoid on every pixel."""
    t = np.arange(T) / FPS
    return (100 + amplitude * np.sin(2 * np.pi * freq_hz * t))[:, None, None] * np.ones((1, 4, 4))


def _amplitude(series: np.ndarray) -> float:
    centred = series[:, 1, 1] - series[:, 1, 1].mean()
    return float(np.sqrt(2) * centred.std())


@pytest.mark.parametrize("factor", [5.0, 20.0])
def test_in_band_sinusoid_grows_by_the_factor(factor):
    frames = _pixel_series(1.5)  # inside 0.4-4 Hz; 6 whole cycles in the window
    out = magnify(frames, FPS, factor, 0.4, 4.0)
    assert _amplitude(out) == pytest.approx(factor * _amplitude(frames), rel=1e-3)
    assert out[:, 1, 1].mean() == pytest.approx(100, abs=1e-3)


def test_out_of_band_sinusoid_is_unchanged():
    frames = _pixel_series(10.0)  # above the band
    out = magnify(frames, FPS, 20.0, 0.4, 4.0)
    np.testing.assert_allclose(out, frames, atol=1e-3)


def test_mixture_only_the_in_band_part_grows():
    slow, fast = _pixel_series(1.0, 1.0), _pixel_series(8.0, 1.0) - 100
    out = magnify(slow + fast, FPS, 10.0, 0.4, 4.0)
    np.testing.assert_allclose(out - fast, 100 + 10 * (slow - 100), atol=1e-3)


def test_spatial_blur_keeps_a_uniform_signal():
    frames = _pixel_series(2.0)
    np.testing.assert_allclose(
        magnify(frames, FPS, 4.0, spatial_sigma=1.5), magnify(frames, FPS, 4.0), atol=1e-3
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factor": 0.5}, "factor must be >= 1"),
        ({"factor": 2.0, "low_hz": 5.0, "high_hz": 1.0}, "need 0 < low < high"),
    ],
)
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        magnify(_pixel_series(1.0), FPS, **kwargs)


def test_frames_must_be_three_dimensional():
    with pytest.raises(ValueError, match="frames must be"):
        magnify(np.zeros((10, 4)), FPS, 2.0)
