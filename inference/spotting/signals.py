"""Window speed: region motion across a window of frames, for movements too slow for per-frame flow.

The media pipeline measures flow between consecutive aligned crops. A slow MaE (a few pixels over
a second) moves less per frame than the flow noise, so it vanishes there. Flow between frames
t - h and t + h sees 2h frames of movement against the noise of one flow field (the MDMD idea
of comparing a frame with one k frames away); divided by 2h it is a speed again, centred on t,
so the spotter reads it like the per-frame signal.
"""

from __future__ import annotations

import numpy as np

from inference.media.motion import REGIONS, FlowMeter


def window_speed(
    crops: np.ndarray, fps: float, half_s: float = 0.17, meter: FlowMeter | None = None
) -> np.ndarray:
    """(N, R) region speed in pixels per frame over [t - h, t + h], h = round(half_s * fps) frames.

    ``crops``: (N, S, S) uint8 aligned grayscale crops (``media.pipeline.read_crops``). Regions are
    those of ``media.motion.REGIONS``. Near both ends the window is cut to the frames that exist.
    """
    crops = np.asarray(crops)
    if crops.ndim != 3 or crops.shape[1] != crops.shape[2] or crops.dtype != np.uint8:
        raise ValueError(f"crops must be (N, S, S) uint8, got {crops.shape} {crops.dtype}")
    if not fps > 0 or not half_s > 0:
        raise ValueError(f"need fps > 0 and half_s > 0, got fps={fps}, half_s={half_s}")
    meter = meter or FlowMeter(crops.shape[1])
    n, half = len(crops), max(1, round(half_s * fps))
    out = np.zeros((n, len(REGIONS)), np.float32)
    for t in range(n):
        a, b = max(0, t - half), min(n - 1, t + half)
        if b > a:
            out[t] = meter.measure(crops[a], crops[b]) / (b - a)
    return out
