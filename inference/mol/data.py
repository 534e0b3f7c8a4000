"""Samples, sub-clip sampling, optical-flow targets and normalisation statistics.

Sub-clips: a clip of L frames gives s = L // T phases; phase p takes frames p, p+s, ..., p+(T-1)s.
A clip shorter than T frames (a 30 fps ME can be 4-7 frames) is resampled to T frames by
nearest-frame indexing over onset..offset (some frames repeat, their pair has zero motion) and
gives one phase: the clip keeps its full onset->offset span, as the longer clips do.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .config import IMAGE_SIZE, MOLConfig


@dataclass(frozen=True)
class MOLSample:
    """One ME clip, onset..offset, of aligned grayscale crops.

    ``flow``: optional (L-1, 2, 128, 128) float flow from frame t to t+1 in pixels (x, y).
    ``landmarks``: optional (L, P, 2) points (x, y) in crop pixels.
    """

    frames: np.ndarray
    label: int | str
    subject: str
    video: str = ""
    flow: np.ndarray | None = None
    landmarks: np.ndarray | None = None


def as_sample(item: "MOLSample | Sequence", where: str) -> MOLSample:
    """Accept a MOLSample or a tuple (frames, label, subject[, flow[, landmarks]])."""
    if isinstance(item, MOLSample):
        return item
    if not 3 <= len(item) <= 5:
        raise ValueError(
            f"{where}: a sample is (frames, label, subject[, flow[, landmarks]]), got {len(item)} items"
        )
    frames, label, subject, *rest = item
    return MOLSample(frames, label, str(subject), "", *rest)


def label_index(label: int | str, config: MOLConfig, where: str) -> int:
    if isinstance(label, str):
        if label not in config.class_names:
            raise ValueError(f"{where}: label {label!r} is not one of {config.class_names}")
        return config.class_names.index(label)
    if not 0 <= int(label) < config.num_classes:
        raise ValueError(f"{where}: label {label} out of range 0..{config.num_classes - 1}")
    return int(label)


def check_clip(frames: np.ndarray, where: str) -> None:
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8:
        raise ValueError(
            f"{where}: frames must be a uint8 numpy array, got {type(frames).__name__} "
            f"{getattr(frames, 'dtype', '')}"
        )
    if frames.ndim != 3 or frames.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or frames.shape[0] < 2:
        raise ValueError(f"{where}: frames must be (L >= 2, {IMAGE_SIZE}, {IMAGE_SIZE}), got {frames.shape}")


def check_sample(sample: MOLSample, config: MOLConfig, where: str) -> None:
    check_clip(sample.frames, where)
    n = sample.frames.shape[0]
    label_index(sample.label, config, where)
    if sample.flow is not None and sample.flow.shape != (n - 1, 2, IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(
            f"{where}: flow must be ({n - 1}, 2, {IMAGE_SIZE}, {IMAGE_SIZE}), got {sample.flow.shape}"
        )
    if sample.landmarks is not None and sample.landmarks.shape != (n, config.num_landmarks, 2):
        raise ValueError(
            f"{where}: landmarks must be ({n}, {config.num_landmarks}, 2), got {sample.landmarks.shape}"
        )


def subclip_indices(length: int, num_frames: int = 8) -> list[np.ndarray]:
    """Frame indices of every phase's sub-clip (see the module docstring)."""
    if length < 2:
        raise ValueError(f"a clip needs at least 2 frames, got {length}")
    if length < num_frames:
        return [np.rint(np.linspace(0, length - 1, num_frames)).astype(np.int64)]
    stride = length // num_frames
    return [p + stride * np.arange(num_frames) for p in range(stride)]


def _flow_fn(method: str):
    if method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        return lambda a, b: dis.calc(a, b, None)
    if method == "farneback":
        return lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    if not hasattr(cv2, "optflow"):
        raise RuntimeError("flow_method 'tvl1' needs opencv-contrib (cv2.optflow); use 'dis' or 'farneback'")
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
    return lambda a, b: tvl1.calc(a, b, None)


def _compose(f_ab: np.ndarray, f_bc: np.ndarray) -> np.ndarray:
    """Flow a->c from a->b and b->c (H, W, 2): f_ac(x) = f_ab(x) + f_bc(x + f_ab(x))."""
    h, w = f_ab.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped = cv2.remap(
        f_bc, gx + f_ab[..., 0], gy + f_ab[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return f_ab + warped


def pair_flows(sample: MOLSample, idx: np.ndarray, method: str) -> np.ndarray:
    """Flow targets (T-1, 2, H, W) between consecutive sub-clip frames ``idx``.

    Given per-frame flow is chained over the frames between the two; otherwise OpenCV computes the
    flow between the two crops directly. Repeated frames (short clips) get zero flow.
    """
    out = np.zeros((len(idx) - 1, 2, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    calc = None if sample.flow is not None else _flow_fn(method)
    for t, (a, b) in enumerate(zip(idx[:-1], idx[1:], strict=True)):
        if a == b:
            continue
        if calc is not None:
            f = calc(sample.frames[a], sample.frames[b])
        else:
            f = sample.flow[a].transpose(1, 2, 0).astype(np.float32)
            for j in range(a + 1, b):
                f = _compose(f, sample.flow[j].transpose(1, 2, 0).astype(np.float32))
        out[t] = f.transpose(2, 0, 1)
    return out


@dataclass(frozen=True)
class SubClip:
    """One training item: T frames, label, flow targets, landmarks of each pair's second frame."""

    frames: np.ndarray  # (T, 128, 128) uint8
    label: int
    flow: np.ndarray  # (T-1, 2, 128, 128) float16, pixels
    landmarks: np.ndarray | None  # (T-1, P, 2) float32, pixels


def prepare(samples: Sequence[MOLSample], config: MOLConfig) -> list[SubClip]:
    """Every phase of every sample as a SubClip (flow kept in float16 to halve memory)."""
    items = []
    for i, s in enumerate(samples):
        where = f"sample {i}" + (f" ({s.video})" if s.video else "")
        check_sample(s, config, where)
        label = label_index(s.label, config, where)
        for idx in subclip_indices(len(s.frames), config.num_frames):
            lm = None if s.landmarks is None else s.landmarks[idx[1:]].astype(np.float32)
            flow = pair_flows(s, idx, config.flow_method).astype(np.float16)
            items.append(SubClip(s.frames[idx], label, flow, lm))
    return items


def normalisation_stats(items: Sequence[SubClip]) -> dict[str, float]:
    """Pixel mean/std and flow scale from the training items only (saved in the checkpoint)."""
    if not items:
        raise ValueError("no training items to compute normalisation statistics from")
    pix = np.concatenate([it.frames.ravel() for it in items]).astype(np.float64)
    flow = np.concatenate([it.flow.ravel() for it in items]).astype(np.float64)
    return {
        "pixel_mean": float(pix.mean()),
        "pixel_std": float(max(pix.std(), 1.0)),
        "flow_scale": float(max(np.sqrt(np.mean(flow**2)), 1e-2)),
    }
