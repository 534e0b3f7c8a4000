"""Seeing subtle motion: the face track for overlays, and enhanced aligned crops around the cursor.

Enhanced crops come as a PNG strip of WINDOW consecutive crops (window starts are multiples of
WINDOW, so neighbouring requests hit the same cache file). Results are written once under the
store's `enhance/` folder and answered from there afterwards; the store itself never changes.
Each factor and reference frame is a new file, so the folder keeps only the KEEP_STRIPS most
recently used strips of a video (a strip is 0.4-0.9 MB: at most ~230 MB per video).
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.views.decorators.http import require_GET

from inference.media.framestore import FrameStore, write_atomic
from inference.media.magnify import magnify
from inference.media.pipeline import load_track, read_crops

from .. import access
from ..models import Video
from . import HtmxHttpRequest
from .frames import IMMUTABLE, video_store_path

WINDOW = 32  # crops per strip
MARGIN = 16  # extra frames each side for the temporal band-pass, so strip edges are not ringing
MAX_TRACK_FRAMES = 2000
MODES = ("crop", "diff", "flow", "magnify")
KEEP_STRIPS = 256  # cached strips per video: 8,192 frames of one mode, or a session's worth of settings


class BadParameter(ValueError):
    pass


def _int(request: HtmxHttpRequest, name: str, default: int | None = None) -> int:
    raw = request.GET.get(name, "")
    if raw == "":
        if default is None:
            raise BadParameter(f"query parameter `{name}` is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadParameter(f"`{name}` must be an integer, not {raw!r}") from None


def _float(request: HtmxHttpRequest, name: str, default: float, low: float, high: float) -> float:
    raw = request.GET.get(name, "")
    try:
        value = float(raw) if raw != "" else default
    except ValueError:
        raise BadParameter(f"`{name}` must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise BadParameter(f"`{name}` must be between {low} and {high}, got {value}")
    return value


def _bad(exc: BadParameter) -> JsonResponse:
    return JsonResponse({"detail": str(exc)}, status=400)


def _folder(video: Video, needs: str) -> Path:
    folder = video_store_path(video)
    if not (folder / needs).exists():
        raise Http404(f"This video has no {needs} (ingest computes it from the face track).")
    return folder


@lru_cache(maxsize=2)
def _track(folder: str, mtime: float) -> dict[str, np.ndarray]:
    """Flags, boxes and the 68 landmarks, kept for the next request (mtime in the key: a re-ingest
    is seen). Only the 68-point subset is kept: all 468 points of 100,000 frames would be 370 MB."""
    track = load_track(Path(folder))
    return {
        "flags": track["flags"],
        "boxes": track["boxes"],
        "landmarks68": track["landmarks"][:, track["subset68"]],
    }


@login_required
@require_GET
def video_face_track(request: HtmxHttpRequest, video_id: int) -> JsonResponse:
    """Face boxes and the 68 landmarks per frame in display-frame pixels (null without a face)."""
    video = access.get_video_for_user(request.user, video_id)
    folder = _folder(video, "track.npz")
    try:
        start = _int(request, "start")
        stop = _int(request, "stop")
    except BadParameter as exc:
        return _bad(exc)
    track = _track(str(folder), (folder / "track.npz").stat().st_mtime)
    n = len(track["flags"])
    if not (0 <= start < stop <= n and stop - start <= MAX_TRACK_FRAMES):
        return _bad(
            BadParameter(f"range {start}..{stop} must lie in 0..{n}, at most {MAX_TRACK_FRAMES} frames")
        )
    manifest = FrameStore(folder).manifest
    sx = manifest["width"] / manifest["source_width"]
    sy = manifest["height"] / manifest["source_height"]
    scale = np.array([sx, sy], np.float32)
    found = track["flags"][start:stop] > 0
    boxes = (track["boxes"][start:stop].reshape(-1, 2, 2) * scale).reshape(-1, 4).astype(np.float64).round(1)
    points = (track["landmarks68"][start:stop] * scale).astype(np.float64).round(1)
    return JsonResponse(
        {
            "start": start,
            "stop": stop,
            "boxes": [b.tolist() if ok else None for b, ok in zip(boxes, found, strict=True)],
            "landmarks": [p.tolist() if ok else None for p, ok in zip(points, found, strict=True)],
        }
    )


def _render(
    folder: Path, mode: str, start: int, stop: int, ref: int, factor: float, fps: float
) -> np.ndarray:
    """Enhanced crops [start, stop) side by side, as one BGR image."""
    n = len(FrameStore(folder, folder="crops"))
    if mode == "magnify":
        lo, hi = max(0, start - MARGIN), min(n, stop + MARGIN)
        crops = magnify(read_crops(folder, lo, hi), fps, factor, spatial_sigma=1.0)[start - lo : stop - lo]
        tiles = [cv2.cvtColor(np.clip(c, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR) for c in crops]
        return np.hstack(tiles)
    crops = read_crops(folder, start, stop)
    if mode == "crop":
        return np.hstack([cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) for c in crops])
    reference = read_crops(folder, ref, ref + 1)[0]
    tiles = []
    for crop in crops:
        if mode == "diff":
            delta = 128 + factor * (crop.astype(np.float32) - reference)
            tiles.append(cv2.cvtColor(np.clip(delta, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR))
            continue
        flow = cv2.calcOpticalFlowFarneback(reference, crop, None, 0.5, 3, 9, 3, 5, 1.1, 0)
        magnitude, angle = cv2.cartToPolar(flow[..., 0], flow[..., 1], angleInDegrees=True)
        hsv = np.zeros((*crop.shape, 3), np.uint8)
        hsv[..., 0] = (angle / 2).astype(np.uint8)
        hsv[..., 1] = 255
        hsv[..., 2] = np.clip(magnitude * factor * 16, 0, 255).astype(np.uint8)
        colour = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
        tiles.append(cv2.addWeighted(cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR), 0.55, colour, 1.0, 0))
    return np.hstack(tiles)


def _touch(path: Path) -> bool:
    """Mark a strip as used now, to the nanosecond (file times from the kernel clock are coarser
    than the gap between two requests, which would leave the order of uses to chance); False if
    there is no such strip."""
    now = time.time_ns()
    try:
        os.utime(path, ns=(now, now))
    except FileNotFoundError:
        return False
    return True


def _prune(folder: Path, keep: int) -> None:
    """Delete all but the `keep` most recently used strips of the folder."""
    strips = []
    for entry in os.scandir(folder):
        if entry.name.endswith(".png"):
            try:
                strips.append((entry.stat().st_mtime_ns, entry.name))
            except FileNotFoundError:  # pruned meanwhile by a concurrent request
                continue
    strips.sort(reverse=True)
    for _, name in strips[keep:]:
        (folder / name).unlink(missing_ok=True)


@login_required
@require_GET
def video_enhance(request: HtmxHttpRequest, video_id: int, mode: str):
    """PNG strip of WINDOW aligned crops from `start`: plain, difference to `ref` amplified by `factor`,
    optical flow from `ref` as colour, or motion-magnified by `factor` (0.4-4 Hz band)."""
    video = access.get_video_for_user(request.user, video_id)
    if mode not in MODES:
        raise Http404(f"No enhancement {mode!r}; use one of {', '.join(MODES)}.")
    folder = _folder(video, "crops")
    n = len(FrameStore(folder, folder="crops"))
    try:
        start = _int(request, "start")
        if start < 0 or start >= n or start % WINDOW:
            raise BadParameter(f"`start` must be a multiple of {WINDOW} in 0..{n - 1}, got {start}")
        ref = _int(request, "ref", start) if mode in ("diff", "flow") else 0
        if not 0 <= ref < n:
            raise BadParameter(f"`ref` must be a frame in 0..{n - 1}, got {ref}")
        factor = _float(request, "factor", 4.0, 1.0, 100.0) if mode != "crop" else 1.0
    except BadParameter as exc:
        return _bad(exc)
    stop = min(n, start + WINDOW)
    cache = folder / "enhance" / f"{mode}_{start}_{ref}_{factor:g}.png"
    if not _touch(cache):  # a hit is a use: once touched, a concurrent prune leaves it alone
        image = _render(folder, mode, start, stop, ref, factor, video.fps or 30.0)
        ok, png = cv2.imencode(".png", image)
        if not ok:
            raise RuntimeError("PNG encoding failed")
        os.makedirs(cache.parent, exist_ok=True)
        write_atomic(cache, png.tobytes())
        _touch(cache)
        _prune(cache.parent, KEEP_STRIPS)
    response = FileResponse(cache.open("rb"), content_type="image/png")
    response["Cache-Control"] = IMMUTABLE
    response["X-Window"] = f"{start} {stop}"
    return response
