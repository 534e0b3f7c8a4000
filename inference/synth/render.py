"""Render a ``SynthSpec`` frame by frame: deform the face locally, move the head, add noise.

Per frame the work is one ``cv2.remap`` of the face box (only while an event is under way), one
``cv2.warpAffine`` of the frame for head motion, and two saturating adds of a pre-drawn noise
bank at a random offset. Everything random is drawn up front from the seed, so any frame range
renders identically whether or not the frames before it were rendered.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import cv2
import numpy as np

from inference.synth.face import FACE_BOX, scene_bgr
from inference.synth.motion import envelope, photo_to_frame
from inference.synth.patterns import unit_field
from inference.synth.spec import SynthSpec

_NOISE_PAD = 64
_FACE_MARGIN = 30  # photo pixels around the face box: displacement fields are ~0 beyond it


class _Renderer:
    def __init__(self, spec: SynthSpec) -> None:
        self.spec = spec
        # Colour is kept as BGRA while warping: OpenCV's 4-channel warps are ~3x faster than 3-channel.
        photo = cv2.cvtColor(
            scene_bgr(spec.scene), cv2.COLOR_BGR2GRAY if spec.grayscale else cv2.COLOR_BGR2BGRA
        )
        s = spec.scale
        self.scale = s
        # Pre-scale once so per-frame warps are near-identity and stay sharp.
        self.pristine = cv2.resize(photo, None, fx=s, fy=s, interpolation=cv2.INTER_CUBIC)
        self.work = self.pristine.copy()
        n = spec.frame_count
        rng = np.random.default_rng([spec.seed, 2])
        t = np.arange(n) / spec.fps
        # Flicker is an additive brightness offset (gray levels): a scalar add costs almost nothing.
        self.flicker = spec.flicker * (
            1.0 * np.sin(2 * math.pi * t / rng.uniform(1.5, 4.0) + rng.uniform(0, 2 * math.pi))
            + 0.5 * rng.standard_normal(n)
        )
        self.noise_xy = rng.integers(0, _NOISE_PAD, size=(n, 2))
        self.noise = self._noise_bank(rng) if spec.noise > 0 else None
        self.event_of_frame = np.full(n, -1, np.int64)
        self.strength = np.zeros(n, np.float32)
        for k, e in enumerate(spec.events):
            span = np.arange(e.onset, e.offset + 1)
            self.event_of_frame[span] = k
            self.strength[span] = envelope(e.onset, e.apex, e.offset, span) * e.amplitude
        self.box = self._deform_box()
        x0, y0, x1, y1 = self.box
        self.grid_x, self.grid_y = np.meshgrid(
            np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32)
        )
        self.dirty = False
        self.matrices = self._pre_to_frame()

    def _noise_bank(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        shape = (self.spec.height + _NOISE_PAD, self.spec.width + _NOISE_PAD) + (
            (3,) if self.pristine.ndim == 3 else ()
        )
        values = rng.normal(0.0, 2.0 * self.spec.noise, size=shape).astype(np.float32)
        return (
            np.clip(np.rint(values), 0, 255).astype(np.uint8),
            np.clip(np.rint(-values), 0, 255).astype(np.uint8),
        )

    def _deform_box(self) -> tuple[int, int, int, int]:
        h, w = self.pristine.shape[:2]
        x0, y0, x1, y1 = FACE_BOX
        to = lambda v: (v + 0.5) * self.scale - 0.5  # noqa: E731 - photo pixel to pre-scaled pixel
        return (
            max(0, math.floor(to(x0 - _FACE_MARGIN))),
            max(0, math.floor(to(y0 - _FACE_MARGIN))),
            min(w, math.ceil(to(x1 + _FACE_MARGIN))),
            min(h, math.ceil(to(y1 + _FACE_MARGIN))),
        )

    def _pre_to_frame(self) -> np.ndarray:
        """(N, 2, 3) affine matrices from pre-scaled photo pixels to frame pixels, all frames at once."""
        a = photo_to_frame(self.spec, np.arange(self.spec.frame_count))
        shift = 0.5 / self.scale - 0.5
        offset = a[:, :, :2] @ np.array([shift, shift]) + a[:, :, 2]
        return np.concatenate([a[:, :, :2] / self.scale, offset[:, :, None]], axis=2)

    def _deform(self, index: int) -> None:
        x0, y0, x1, y1 = self.box
        k = int(self.event_of_frame[index])
        if k < 0:
            if self.dirty:
                self.work[y0:y1, x0:x1] = self.pristine[y0:y1, x0:x1]
                self.dirty = False
            return
        e = self.spec.events[k]
        fx, fy = unit_field(e.kind, e.emotion, e.regions, self.box, self.scale)
        a = float(self.strength[index])
        # remap samples the source, so a skin point moves by +d when we sample at x - d.
        self.work[y0:y1, x0:x1] = cv2.remap(
            self.pristine,
            self.grid_x - a * fx,
            self.grid_y - a * fy,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT101,
        )
        self.dirty = True

    def frame(self, index: int) -> np.ndarray:
        spec = self.spec
        if spec.scene == "astronaut":
            self._deform(index)
        out = cv2.warpAffine(
            self.work,
            self.matrices[index],
            (spec.width, spec.height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT101,
        )
        if out.ndim == 3:
            out = cv2.cvtColor(out, cv2.COLOR_BGRA2BGR)
        if self.noise is not None:
            nx, ny = self.noise_xy[index]
            view = np.s_[ny : ny + spec.height, nx : nx + spec.width]
            cv2.add(out, self.noise[0][view], dst=out)
            cv2.subtract(out, self.noise[1][view], dst=out)
        level = float(self.flicker[index])
        if level:
            brighten = cv2.add if level > 0 else cv2.subtract
            brighten(out, (abs(level),) * 3 + (0.0,), dst=out)
        return out


def render_frames(spec: SynthSpec, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
    """Frames ``start``..``stop - 1`` one at a time: BGR uint8 (H, W, 3), or (H, W) if grayscale."""
    stop = spec.frame_count if stop is None else stop
    if not 0 <= start <= stop <= spec.frame_count:
        raise ValueError(f"render_frames: need 0 <= start <= stop <= {spec.frame_count}, got {start}, {stop}")
    renderer = _Renderer(spec)
    for index in range(start, stop):
        yield renderer.frame(index)


def aligned_face_clip(spec: SynthSpec, onset: int, offset: int, size: int = 128) -> np.ndarray:
    """(T, size, size) grayscale face crops for frames onset..offset, head motion removed.

    Uses the known geometry instead of a detector, so model tests get perfectly aligned clips.
    """
    if not 0 <= onset <= offset < spec.frame_count:
        raise ValueError(
            f"aligned_face_clip: need 0 <= onset <= offset < {spec.frame_count}, got {onset}, {offset}"
        )
    if spec.scene != "astronaut":
        raise ValueError(f"aligned_face_clip: spec scene {spec.scene!r} has no face")
    x0, y0, x1, y1 = FACE_BOX
    side = 1.15 * max(x1 - x0, y1 - y0)
    step = side / size
    crop_to_photo = np.array(
        [[step, 0, (x0 + x1 - side) / 2 + step / 2 - 0.5], [0, step, (y0 + y1 - side) / 2 + step / 2 - 0.5]]
    )
    matrices = photo_to_frame(spec, np.arange(onset, offset + 1))
    clip = np.empty((offset - onset + 1, size, size), np.uint8)
    for k, frame in enumerate(render_frames(spec, onset, offset + 1)):
        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        a = matrices[k]
        m = np.concatenate(
            [a[:, :2] @ crop_to_photo[:, :2], (a[:, :2] @ crop_to_photo[:, 2] + a[:, 2])[:, None]], 1
        )
        clip[k] = cv2.warpAffine(gray, m, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    return clip
