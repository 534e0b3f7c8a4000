"""Weak labels: video-level tags, window-level tags (which become sub-videos), both derivable from
frame-level intervals; and the per-snippet targets of the frame-supervised comparison mode."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .config import CLASSES, MCWESConfig
from .data import SnippetInputs, VideoInput, snippet_frames


def weak_labels_from_intervals(intervals: list[dict]) -> dict[str, int]:
    """Video-level label: which expression kinds occur at all."""
    kinds = {iv["kind"] for iv in intervals}
    unknown = kinds - set(CLASSES)
    if unknown:
        raise ValueError(f"unknown interval kinds {sorted(unknown)}; expected {list(CLASSES)}")
    return {c: int(c in kinds) for c in CLASSES}


def windows_from_intervals(
    intervals: list[dict], n_frames: int, window: int
) -> list[tuple[int, int, dict[str, int]]]:
    """Cut [0, n_frames) into consecutive windows of `window` frames, each tagged with the kinds
    whose interval overlaps it by at least half of the interval (a quick skim would tag it)."""
    if window < 2:
        raise ValueError(f"window must be >= 2 frames, got {window}")
    out = []
    for start in range(0, n_frames, window):
        end = min(start + window, n_frames) - 1
        tags = {c: 0 for c in CLASSES}
        for iv in intervals:
            overlap = min(end, iv["offset"]) - max(start, iv["onset"]) + 1
            if overlap * 2 >= iv["offset"] - iv["onset"] + 1:
                tags[iv["kind"]] = 1
        out.append((start, end, tags))
    return out


def split_windows(video: VideoInput) -> list[VideoInput]:
    """Window-level tags become sub-videos with their own weak labels (and clipped intervals)."""
    if not video.windows:
        return [video]
    if video.features is not None:
        raise ValueError(f"video {video.video_id!r}: window tags need crops and motion, not snippet features")
    subs = []
    for start, end, tags in video.windows:
        if not 0 <= start < end < video.length:
            raise ValueError(
                f"video {video.video_id!r}: window ({start}, {end}) outside 0..{video.length - 1}"
            )
        sl = slice(start, end + 1)
        ivs = None
        if video.intervals is not None:
            ivs = [
                {**iv, "onset": max(iv["onset"], start) - start, "offset": min(iv["offset"], end) - start}
                for iv in video.intervals
                if iv["offset"] >= start and iv["onset"] <= end
            ]
        subs.append(
            replace(
                video,
                crops=None if video.crops is None else video.crops[sl],
                motion=None if video.motion is None else video.motion[sl],
                labels=dict(tags),
                intervals=ivs,
                video_id=f"{video.video_id}[{start}:{end}]",
                offset=video.offset + start,
                windows=[],
                features=None,
                n_frames=end - start + 1,
            )
        )
    return subs


def snippet_targets(video: VideoInput, inputs: SnippetInputs, config: MCWESConfig) -> np.ndarray:
    """Frame-level supervision: per-snippet class index (0 ME, 1 MaE, 2 background) from the
    class covering most of the snippet's own frames."""
    if video.intervals is None:
        raise ValueError(f"video {video.video_id!r}: frame supervision needs intervals")
    per_frame = np.full(inputs.n_frames, 2)
    for iv in video.intervals:
        per_frame[iv["onset"] : iv["offset"] + 1] = CLASSES.index(iv["kind"])
    spans = snippet_frames(inputs.n_snip, inputs.step, inputs.n_frames, config)
    out = np.empty(len(spans), dtype=np.int64)
    for i, (a, b) in enumerate(spans):
        out[i] = np.bincount(per_frame[a : b + 1], minlength=3).argmax()
    return out


def video_labels(video: VideoInput) -> np.ndarray:
    """Weak label vector [ME, MaE]; derived from intervals when no explicit tag is given."""
    if video.labels is not None:
        missing = [c for c in CLASSES if c not in video.labels]
        if missing:
            raise ValueError(f"video {video.video_id!r}: labels lack {missing}")
        return np.array([float(bool(video.labels[c])) for c in CLASSES], dtype=np.float32)
    if video.intervals is not None:
        lab = weak_labels_from_intervals(video.intervals)
        return np.array([lab[c] for c in CLASSES], dtype=np.float32)
    raise ValueError(f"video {video.video_id!r}: no labels and no intervals to train from")


def contrast_problem(videos: list[VideoInput]) -> str | None:
    """Why these videos' weak labels cannot teach MIL what an expression is, or None.

    Top-k pooling learns a class from the difference between videos (or windows) that contain it
    and videos that do not: with no expression at all, or a class in every one of them, any
    activation fits the labels and the score cut has nothing to separate."""
    subs = [sub for v in videos for sub in split_windows(v)]
    labels = np.stack([video_labels(v) for v in subs]) if subs else np.zeros((0, len(CLASSES)))
    if not labels.any():
        return f"none of the {len(subs)} training videos or windows contains an ME or an MaE"
    everywhere = [c for c, column in zip(CLASSES, labels.T, strict=True) if column.all()]
    if everywhere:
        return (
            f"all {len(subs)} training videos or windows contain {' and '.join(everywhere)}; tag some "
            "that hold nothing or only the other kind"
        )
    return None
