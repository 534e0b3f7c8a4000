"""Linear Eulerian motion magnification of aligned face crops (Wu et al. 2012, temporal part).

Each pixel's intensity over time is band-passed; the band is added back `factor - 1` times, so a
component inside the band leaves `factor` times larger and one outside it is unchanged. Subtle
muscle movement (0.3-5 Hz) becomes visible while slower lighting drift and faster noise do not grow.
"""

from __future__ import annotations

import cv2
import numpy as np


def temporal_bandpass(frames: np.ndarray, fps: float, low_hz: float, high_hz: float) -> np.ndarray:
    """Ideal (FFT) band-pass along axis 0 of a (T, ...) float array; the mean (0 Hz) is removed."""
    if not 0 < low_hz < high_hz:
        raise ValueError(f"band {low_hz}-{high_hz} Hz: need 0 < low < high")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    spectrum = np.fft.rfft(frames, axis=0)
    freqs = np.fft.rfftfreq(frames.shape[0], d=1.0 / fps)
    keep = (freqs >= low_hz) & (freqs <= high_hz)
    spectrum[~keep] = 0
    return np.fft.irfft(spectrum, n=frames.shape[0], axis=0)


def magnify(
    frames: np.ndarray,
    fps: float,
    factor: float,
    low_hz: float = 0.4,
    high_hz: float = 4.0,
    spatial_sigma: float = 0.0,
) -> np.ndarray:
    """Magnified copy of grayscale frames (T, H, W) uint8 or float; returns float32 (unclipped).

    `spatial_sigma` > 0 blurs the band-passed signal first (the spatial low-pass of the Eulerian
    method), so pixel noise is not amplified along with motion.
    """
    if frames.ndim != 3:
        raise ValueError(f"frames must be (T, H, W), got shape {frames.shape}")
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    data = frames.astype(np.float32)
    band = temporal_bandpass(data, fps, low_hz, high_hz).astype(np.float32)
    if spatial_sigma > 0:
        band = np.stack([cv2.GaussianBlur(b, (0, 0), spatial_sigma) for b in band])
    return data + (factor - 1.0) * band
