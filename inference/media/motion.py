"""Motion signals: optical flow between consecutive aligned face crops, per facial region.

Both crops of a pair are cut with the same transform (the current one), so a re-estimated
alignment never reads as motion. Head motion is then removed before taking magnitudes: an affine
motion model (translation, rotation, scale, shear) is fitted to the flow of the whole face area,
refitted on the 75 % of points that fit best, and subtracted. Expressions move small patches of
skin, so the robust fit follows the rigid majority; a translating, turning or nodding head leaves
little (a median vector alone removes translation only: a 3 degree turn then reads like an ME).
Pre-warping the previous frame by the landmarks' rigid motion was tried and dropped: it doubled
the noise floor (two interpolations, landmark jitter) and did not shrink head-turn residuals.
"""

from __future__ import annotations

import io

import cv2
import numpy as np

from .decode import MediaError

# Regions on the aligned template (fractions of the crop side; eyes sit at y = 0.36, see face.Aligner):
# name -> list of (x0, y0, x1, y1) boxes.
REGION_BOXES: dict[str, list[tuple[float, float, float, float]]] = {
    "brows": [(0.16, 0.18, 0.84, 0.31)],
    "eyes": [(0.16, 0.31, 0.84, 0.43)],
    "nose": [(0.40, 0.43, 0.60, 0.60)],
    "mouth": [(0.28, 0.60, 0.72, 0.80)],
    "cheeks": [(0.14, 0.44, 0.37, 0.60), (0.63, 0.44, 0.86, 0.60)],
}
REGIONS = list(REGION_BOXES)
FACE_BOX = (0.12, 0.15, 0.88, 0.90)
FLOW_MARGIN = 8  # pixels of context around the face box for the flow
DIS_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def _mask(size: int, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
    mask = np.zeros((size, size), bool)
    for x0, y0, x1, y1 in boxes:
        mask[round(y0 * size) : round(y1 * size), round(x0 * size) : round(x1 * size)] = True
    return mask


def region_masks(size: int = 128) -> np.ndarray:
    """(R, size, size) boolean masks in REGIONS order."""
    return np.stack([_mask(size, REGION_BOXES[name]) for name in REGIONS])


class FlowMeter:
    """Per-region head-motion-free flow magnitude between two aligned grayscale crops."""

    def __init__(
        self, size: int = 128, method: str = "dis", preset: str = "medium", margin: int = FLOW_MARGIN
    ) -> None:
        # Flow is computed on the face box plus a margin only: nothing outside it is read, and a
        # smaller image costs less.
        x0, y0, x1, y1 = FACE_BOX
        self.window = (
            slice(max(0, round(y0 * size) - margin), min(size, round(y1 * size) + margin)),
            slice(max(0, round(x0 * size) - margin), min(size, round(x1 * size) + margin)),
        )
        masks = region_masks(size)[:, self.window[0], self.window[1]]
        masks = masks.reshape(len(REGIONS), -1).astype(np.float32)
        self.region_weights = (masks / masks.sum(1, keepdims=True)).T  # (pixels, R): means as one product
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
        self.grid = np.stack([xs, ys, np.ones_like(xs)], axis=-1)[self.window]  # (h, w, 3) affine design
        sample = np.zeros((size, size), bool)
        sample[::3, ::3] = True
        self.sample = (sample & _mask(size, [FACE_BOX]))[self.window]
        self.design = self.grid[self.sample]
        self.pseudo_inverse = np.linalg.pinv(self.design)
        self.quantile_index = int(0.75 * (len(self.design) - 1))
        if method == "dis":
            if preset not in DIS_PRESETS:
                raise MediaError(f"unknown DIS preset '{preset}' (choose {', '.join(DIS_PRESETS)})")
            dis = cv2.DISOpticalFlow_create(DIS_PRESETS[preset])
            self._flow = lambda a, b: dis.calc(a, b, None)
        elif method == "farneback":
            self._flow = lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        elif method == "tvl1":
            if not hasattr(cv2, "optflow"):
                raise MediaError("TV-L1 flow needs opencv-contrib (cv2.optflow), which is not installed")
            tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
            self._flow = lambda a, b: tvl1.calc(a, b, None)
        else:
            raise MediaError(f"unknown flow method '{method}' (dis, farneback, tvl1)")

    def measure(self, previous: np.ndarray, current: np.ndarray) -> np.ndarray:
        flow = self._flow(
            np.ascontiguousarray(previous[self.window]), np.ascontiguousarray(current[self.window])
        )
        flow = flow - self.grid @ self._head_motion(flow)
        magnitude = cv2.magnitude(flow[..., 0], flow[..., 1])
        return (magnitude.reshape(-1) @ self.region_weights).astype(np.float32)

    def _head_motion(self, flow: np.ndarray) -> np.ndarray:
        """(3, 2) affine flow model fitted to the face area, robust to local expression motion."""
        design, target = self.design, flow[self.sample]
        coef = self.pseudo_inverse @ target
        residual = ((target - design @ coef) ** 2).sum(1)
        # The 75th percentile by selection (np.percentile's interpolation is not needed: the set of
        # points at or below it is the same), then the normal equations of the 3-parameter fit.
        cut = np.partition(residual, self.quantile_index)[self.quantile_index]
        inliers = residual <= cut
        fit, goal = design[inliers], target[inliers]
        return np.linalg.solve(fit.T @ fit, fit.T @ goal)


def motion_plot(values: np.ndarray, regions: list[str], fps: float, width_in: float = 10.0) -> bytes:
    """SVG of each region's signal over time (seconds when fps is known, else frames)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    x = np.arange(len(values)) / fps if fps else np.arange(len(values))
    with plt.rc_context({"svg.fonttype": "none"}):  # text stays text: smaller, searchable
        fig, ax = plt.subplots(figsize=(width_in, 2.4))
        for r, name in enumerate(regions):
            ax.plot(x, values[:, r], linewidth=0.8, label=name)
        ax.set_xlabel("time (s)" if fps else "frame")
        ax.set_ylabel("flow (px/frame)")
        ax.set_xlim(x[0], x[-1] if len(x) > 1 else 1)
        ax.legend(loc="upper right", ncol=len(regions), fontsize="small", frameon=False)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg")
        plt.close(fig)
    return buffer.getvalue()
