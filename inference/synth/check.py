"""Quick look at the generator: render rate, and pictures of the regions and patterns.

python -m inference.synth.check                 # frames per second (wall and CPU), one thread
python -m inference.synth.check --draw out_dir  # regions.png, patterns.png to look at
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from inference.synth.patterns import EMOTION_REGIONS, EMOTIONS
from inference.synth.render import render_frames
from inference.synth.spec import SynthEvent, SynthSpec, make_spec


def render_rate(width: int, height: int, grayscale: bool, seconds: float = 10.0) -> tuple[float, float]:
    """(wall, CPU) frames per second over a whole default video, set-up included."""
    spec = make_spec(0, seconds=seconds, width=width, height=height, grayscale=grayscale, head_turns=1)
    next(render_frames(spec))  # imports and the cached photo are not part of the rate
    wall, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for _ in render_frames(spec))
    return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)


def draw_regions(spec: SynthSpec, index: int) -> np.ndarray:
    frame = next(render_frames(spec, index, index + 1)).copy()
    for name, boxes in spec.region_boxes(index).items():
        for x0, y0, x1, y1 in boxes:
            cv2.rectangle(frame, (round(x0), round(y0)), (round(x1), round(y1)), (0, 255, 0), 1)
        cv2.putText(frame, name, (round(boxes[0][0]), round(boxes[0][1]) - 2), 0, 0.3, (0, 255, 0), 1)
    x0, y0, x1, y1 = spec.face_box(index)
    cv2.rectangle(frame, (round(x0), round(y0)), (round(x1), round(y1)), (0, 0, 255), 1)
    return frame


def draw_patterns(amplitude: float = 8.0) -> np.ndarray:
    """Face crops at the apex of each emotion (MaE size) and of a blink, plus neutral."""
    tiles = []
    for name in (*EMOTIONS, "blink", "neutral"):
        if name == "neutral":
            events = []
        elif name == "blink":
            events = [SynthEvent("blink", 1, 2, 3, ("eyes",), None, 18.0)]
        else:
            events = [SynthEvent("MaE", 1, 2, 3, EMOTION_REGIONS[name], name, amplitude)]
        spec = SynthSpec(0, 30.0, 4, 640, 480, False, events, 0.0, 0.0, flicker=0.0)
        x0, y0, x1, y1 = (round(v) for v in spec.face_box(2))
        tile = next(render_frames(spec, 2, 3))[y0 - 10 : y1, x0:x1].copy()
        cv2.putText(tile, name, (3, 12), 0, 0.4, (0, 0, 255), 1)
        tiles.append(tile)
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % 4)
    rows = [np.hstack(tiles[i : i + 4]) for i in range(0, len(tiles), 4)]
    return np.vstack(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--draw", type=Path, help="folder for regions.png and patterns.png")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    if args.draw:
        args.draw.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(args.draw / "regions.png"), draw_regions(make_spec(0), 0))
        cv2.imwrite(str(args.draw / "patterns.png"), draw_patterns())
        print(f"wrote {args.draw / 'regions.png'} and {args.draw / 'patterns.png'}")
        return
    for width, height in ((640, 480), (2040, 1088)):
        for grayscale in (False, True):
            wall, cpu = render_rate(width, height, grayscale)
            kind = "gray" if grayscale else "BGR"
            print(f"{width}x{height} {kind}: {wall:.0f} frames/s wall, {cpu:.0f} frames/s CPU (one thread)")


if __name__ == "__main__":
    main()
