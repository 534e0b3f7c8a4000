"""What a synthetic video contains: events with frame-exact ground truth, head motion, geometry.

A ``SynthSpec`` is plain data (JSON via ``to_dict``/``from_dict``); rendering it is a pure
function of the spec, so the same spec always gives the same bytes. Frame indices are 0-based
and inclusive everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from inference.synth.face import BLINK_CLOSED, FACE_BOX, FACE_CENTER, NO_FACE_SCENES, REGIONS, Box, scene_bgr
from inference.synth.motion import photo_to_frame
from inference.synth.patterns import EMOTION_REGIONS, EMOTIONS

KINDS = ("ME", "MaE", "blink")
ME_SECONDS = (0.2, 0.5)
MAE_SECONDS = (0.5, 4.0)
BLINK_SECONDS = (0.1, 0.3)
FACE_HEIGHT = 0.42  # face box height / frame height, as in lab recordings of a seated subject


@dataclass
class SynthEvent:
    """One facial movement; ``amplitude`` is its peak skin displacement in frame pixels."""

    kind: str
    onset: int
    apex: int
    offset: int
    regions: tuple[str, ...]
    emotion: str | None
    amplitude: float

    def __post_init__(self) -> None:
        self.regions = tuple(self.regions)


@dataclass
class HeadTurn:
    """A sudden head movement (a distractor, not an expression): out to a peak pose and back."""

    onset: int
    apex: int
    offset: int
    dx: float  # frame pixels at the apex
    dy: float
    angle: float  # degrees at the apex


@dataclass
class SynthSpec:
    """Everything needed to render a video. ``face_height`` is the face box height / frame height."""

    seed: int
    fps: float
    frame_count: int
    width: int
    height: int
    grayscale: bool
    events: list[SynthEvent]
    head_motion: float
    noise: float
    head_turns: list[HeadTurn] = field(default_factory=list)
    flicker: float = 1.0
    face_height: float = FACE_HEIGHT
    scene: str = "astronaut"

    def __post_init__(self) -> None:
        self.events = [e if isinstance(e, SynthEvent) else SynthEvent(**e) for e in self.events]
        self.head_turns = [t if isinstance(t, HeadTurn) else HeadTurn(**t) for t in self.head_turns]
        self._validate()

    def _validate(self) -> None:
        if self.fps <= 0 or self.frame_count <= 0 or self.width < 16 or self.height < 16:
            raise ValueError(
                f"SynthSpec: need fps > 0, frame_count > 0, width and height >= 16; got fps={self.fps}, "
                f"frame_count={self.frame_count}, size={self.width}x{self.height}"
            )
        if self.scene != "astronaut" and self.scene not in NO_FACE_SCENES:
            raise ValueError(
                f"SynthSpec: unknown scene {self.scene!r}; expected 'astronaut' or one of {NO_FACE_SCENES}"
            )
        if self.scene != "astronaut" and self.events:
            raise ValueError(f"SynthSpec: scene {self.scene!r} has no face, so it cannot carry events")
        for i, e in enumerate(self.events):
            where = f"SynthSpec event {i} ({e.kind} {e.onset}-{e.apex}-{e.offset})"
            if e.kind not in KINDS:
                raise ValueError(f"{where}: kind must be one of {KINDS}")
            if e.emotion is not None and e.emotion not in EMOTIONS:
                raise ValueError(f"{where}: unknown emotion {e.emotion!r}; expected one of {EMOTIONS}")
            unknown = [r for r in e.regions if r not in REGIONS]
            if unknown or not e.regions:
                raise ValueError(f"{where}: regions {e.regions} must be non-empty, from {tuple(REGIONS)}")
        for onset, apex, offset, where in [(e.onset, e.apex, e.offset, "event") for e in self.events] + [
            (t.onset, t.apex, t.offset, "head turn") for t in self.head_turns
        ]:
            if not 0 <= onset <= apex <= offset < self.frame_count:
                raise ValueError(
                    f"SynthSpec {where} {onset}-{apex}-{offset}: need 0 <= onset <= apex <= offset "
                    f"< frame_count={self.frame_count}"
                )
        spans = sorted(
            [(e.onset, e.offset, f"event {i}") for i, e in enumerate(self.events)]
            + [(t.onset, t.offset, f"head turn {i}") for i, t in enumerate(self.head_turns)]
        )
        for (s0, e0, a), (s1, _e1, b) in zip(spans, spans[1:], strict=False):
            if s1 <= e0:
                raise ValueError(f"SynthSpec: {a} (frames {s0}-{e0}) overlaps {b} (starts at {s1})")

    def to_dict(self) -> dict:
        data = asdict(self)
        for e in data["events"]:
            e["regions"] = list(e["regions"])
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SynthSpec:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"SynthSpec.from_dict: unknown keys {sorted(unknown)}")
        return cls(**data)

    @property
    def scale(self) -> float:
        """Photo pixels to frame pixels (before head motion): face at ``face_height``, or cover the frame."""
        if self.scene == "astronaut":
            return self.face_height * self.height / (FACE_BOX[3] - FACE_BOX[1])
        h, w = scene_bgr(self.scene).shape[:2]
        return 1.1 * max(self.width / w, self.height / h)

    @property
    def anchor(self) -> tuple[float, float]:
        """The photo point placed at the frame's centre (slightly above it for a face)."""
        if self.scene == "astronaut":
            return FACE_CENTER
        h, w = scene_bgr(self.scene).shape[:2]
        return (w / 2, h / 2)

    def transform(self, index: int) -> np.ndarray:
        """2x3 affine matrix from photo pixels to frame pixels at frame ``index``."""
        return photo_to_frame(self, np.array([index]))[0]

    def face_box(self, index: int) -> tuple[float, float, float, float]:
        """Axis-aligned face box (x0, y0, x1, y1) in frame pixels at frame ``index``."""
        if self.scene != "astronaut":
            raise ValueError(f"face_box: spec scene {self.scene!r} has no face")
        return _box_in_frame(self.transform(index), FACE_BOX)

    def region_boxes(self, index: int) -> dict[str, list[tuple[float, float, float, float]]]:
        """Per facial region, its boxes in frame pixels at frame ``index`` (left/right parts apart)."""
        if self.scene != "astronaut":
            raise ValueError(f"region_boxes: spec scene {self.scene!r} has no face")
        matrix = self.transform(index)
        return {name: [_box_in_frame(matrix, b) for b in boxes] for name, boxes in REGIONS.items()}


def _box_in_frame(matrix: np.ndarray, box: Box) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float64) @ matrix.T
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def no_face_spec(
    seed: int,
    *,
    scene: str = "rocket",
    fps: float = 30.0,
    seconds: float = 2.0,
    width: int = 640,
    height: int = 480,
    grayscale: bool = False,
) -> SynthSpec:
    """A video with no face in it (a photo from ``NO_FACE_SCENES`` with camera drift and noise)."""
    return SynthSpec(seed, fps, _frames(seconds, fps), width, height, grayscale, [], 1.0, 1.0, scene=scene)


def _frames(seconds: float, fps: float) -> int:
    return max(1, round(seconds * fps))


def _duration(
    rng: np.random.Generator, limits: tuple[float, float], pick: tuple[float, float], fps: float
) -> tuple[int, int]:
    """(drawn, shortest acceptable) length in frames: drawn from ``pick`` seconds, kept in ``limits``."""
    lo, hi = math.ceil(limits[0] * fps - 1e-9), math.floor(limits[1] * fps + 1e-9)
    if hi < max(lo, 1):
        raise ValueError(f"make_spec: fps={fps} cannot fit a {limits[0]}-{limits[1]} s event in whole frames")
    clamp = lambda frames: int(np.clip(frames, max(lo, 1), hi))  # noqa: E731
    return clamp(round(rng.uniform(*pick) * fps)), clamp(math.ceil(pick[0] * fps))


def _fit(durations: list[int], shortest: list[int], room: int) -> list[int]:
    """Shorten the longest events (never below ``shortest``) until they fit in ``room`` frames.

    A short video with many events still gets them all, rather than failing for unlucky seeds.
    """
    durations = list(durations)
    while sum(durations) > room:
        slack = [d - m for d, m in zip(durations, shortest, strict=True)]
        longest = int(np.argmax(slack))
        if slack[longest] <= 0:
            break
        durations[longest] -= 1
    return durations


def make_spec(
    seed: int,
    *,
    fps: float = 30.0,
    seconds: float = 10.0,
    width: int = 640,
    height: int = 480,
    grayscale: bool = False,
    n_me: int = 2,
    n_mae: int = 1,
    n_blinks: int = 2,
    emotions: Sequence[str] | None = None,
    head_motion: float = 1.0,
    noise: float = 1.0,
    head_turns: int = 0,
    flicker: float = 1.0,
) -> SynthSpec:
    """A random but seed-determined video: events placed without overlap, 0.4 s apart at least.

    Events start 0.5 s after the first frame and end 0.5 s before the last; when the drawn
    lengths do not fit, the longest are shortened (down to the low end of their range).

    ME last 0.2-0.5 s with 2-4 px amplitude (scaled by height/480), MaE 0.7-2.5 s with 5-9 px,
    blinks 0.1-0.25 s and close the eyes fully. ``emotions`` restricts the drawn emotions.
    ``head_motion`` scales the slow drift, ``noise`` the sensor noise (sigma 2 gray levels at 1),
    ``flicker`` the brightness flicker (about 1.5 gray levels at 1); ``head_turns`` sudden turns
    (0.5-1 s, up to 15 px and 5 degrees) are distractors, kept in ``spec.head_turns``, not events.
    """
    pool = tuple(emotions) if emotions is not None else EMOTIONS
    bad = [e for e in pool if e not in EMOTIONS]
    if bad or not pool:
        raise ValueError(f"make_spec: emotions {bad or pool} not in {EMOTIONS}")
    if min(n_me, n_mae, n_blinks, head_turns) < 0:
        raise ValueError("make_spec: event counts must be >= 0")
    rng = np.random.default_rng([seed, 1])
    frame_count = _frames(seconds, fps)
    unit = height / 480.0
    scale = FACE_HEIGHT * height / (FACE_BOX[3] - FACE_BOX[1])
    kinds = ["ME"] * n_me + ["MaE"] * n_mae + ["blink"] * n_blinks + ["turn"] * head_turns
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    drawn = []
    for kind in kinds:
        if kind == "ME":
            drawn.append(_duration(rng, ME_SECONDS, (0.25, 0.45), fps))
        elif kind == "MaE":
            drawn.append(_duration(rng, MAE_SECONDS, (0.7, 2.5), fps))
        elif kind == "blink":
            drawn.append(_duration(rng, BLINK_SECONDS, (0.12, 0.25), fps))
        else:
            drawn.append(_duration(rng, (0.5, 1.0), (0.5, 1.0), fps))
    gap, margin = max(2, _frames(0.4, fps)), max(2, _frames(0.5, fps))
    room = frame_count - 2 * margin - gap * max(0, len(kinds) - 1)
    durations = _fit([d for d, _ in drawn], [m for _, m in drawn], room)
    free = room - sum(durations)
    if free < 0:
        raise ValueError(
            f"make_spec: {len(kinds)} events need {frame_count - free} frames, the video has {frame_count} "
            f"({seconds} s at {fps} fps)"
        )
    cuts = np.sort(rng.integers(0, free + 1, size=len(kinds)))
    slack = np.diff(np.concatenate([[0], cuts]))
    events, turns, start = [], [], margin
    for kind, length, extra in zip(kinds, durations, slack, strict=True):
        onset = start + int(extra)
        offset = onset + length - 1
        apex = onset + int(round(rng.uniform(0.35, 0.6) * (length - 1)))
        start = offset + 1 + gap
        if kind == "turn":
            dx, dy = rng.uniform(-15, 15) * unit, rng.uniform(-8, 8) * unit
            turns.append(HeadTurn(onset, apex, offset, dx, dy, float(rng.uniform(-5, 5))))
            continue
        if kind == "blink":
            amplitude = BLINK_CLOSED * scale * rng.uniform(0.95, 1.05)
            events.append(SynthEvent(kind, onset, apex, offset, ("eyes",), None, float(amplitude)))
            continue
        emotion = str(rng.choice(pool))
        amplitude = rng.uniform(2.0, 4.0) if kind == "ME" else rng.uniform(5.0, 9.0)
        regions = EMOTION_REGIONS[emotion]
        events.append(SynthEvent(kind, onset, apex, offset, regions, emotion, float(amplitude * unit)))
    return SynthSpec(
        seed=seed,
        fps=fps,
        frame_count=frame_count,
        width=width,
        height=height,
        grayscale=grayscale,
        events=events,
        head_motion=head_motion,
        noise=noise,
        head_turns=turns,
        flicker=flicker,
    )
