"""Aligned onset-to-offset clips for training: a zip of PNG frames per interval and a manifest.

The frames come from `crops(video, start, stop)`, a callable (the Django layer plugs in the stored
aligned face crops) that returns frames start..stop-1 as a (T, H, W) uint8 array.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import cv2
import numpy as np

from annotator.formats.writers.elan import safe_name
from annotator.formats.writers.model import ExportError, ExportInterval, ExportReport, ExportVideo, kept

Crops = Callable[[ExportVideo, int, int], np.ndarray]


def _folder(n: int, iv: ExportInterval) -> str:
    v = iv.video
    return f"{n:05d}_{safe_name(v.subject)}_{safe_name(v.name)}_{iv.kind}_{iv.onset}-{iv.offset}"


def _png(frame: np.ndarray, where: str) -> bytes:
    ok, data = cv2.imencode(".png", frame)
    if not ok:
        raise ExportError(f"{where}: PNG encoding failed")
    return data.tobytes()


def _frames(iv: ExportInterval, crops: Crops) -> np.ndarray:
    stop = iv.offset + 1
    frames = crops(iv.video, iv.onset, stop)
    want = stop - iv.onset
    if not (
        isinstance(frames, np.ndarray)
        and frames.dtype == np.uint8
        and frames.ndim == 3
        and frames.shape[0] == want
    ):
        got = f"{type(frames).__name__} {getattr(frames, 'dtype', '')} {getattr(frames, 'shape', '')}"
        raise ExportError(f"{iv.label()}: crops() must return a ({want}, H, W) uint8 array, got {got}")
    return frames


def clips(
    intervals: list[ExportInterval], report: ExportReport, *, crops: Crops
) -> Iterator[tuple[str, bytes]]:
    """manifest.json first, then `<clip>/<index>.png` per frame (0-based index) and `<clip>/apex.png`."""
    chosen = kept(intervals, report, ("ME", "MaE", "blink", "other"), needs_offset=True)
    entries = []
    for n, iv in enumerate(chosen, start=1):
        v = iv.video
        entries.append(
            {
                "folder": _folder(n, iv),
                "video_id": v.video_id,
                "subject": v.subject,
                "video": v.name,
                "megc_id": v.megc_id,
                "fps": v.fps,
                "kind": iv.kind,
                "onset": iv.onset,
                "apex": iv.apex,
                "offset": iv.offset,
                "frames": iv.offset - iv.onset + 1,
                "apex_file": f"{iv.apex:06d}.png" if iv.apex is not None else None,
                "first_frame_number": v.first_frame_number,
                "aus": iv.aus,
                "emotion": iv.emotion,
                "notes": iv.notes,
            }
        )
    manifest = {
        "frame_convention": "0-based video index; file <index>.png; apex copied to apex.png",
        "clips": entries,
    }
    report.convention("frames: 0-based video index in the PNG names; apex also stored as apex.png")
    yield "manifest.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    for iv, entry in zip(chosen, entries, strict=True):
        frames = _frames(iv, crops)
        for k, frame in enumerate(frames):
            data = _png(frame, iv.label())
            yield f"{entry['folder']}/{iv.onset + k:06d}.png", data
            if iv.apex == iv.onset + k:
                yield f"{entry['folder']}/apex.png", data
        report.counts["frames"] += len(frames)
        report.counts["intervals_written"] += 1
    report.counts["files"] = len(entries)
