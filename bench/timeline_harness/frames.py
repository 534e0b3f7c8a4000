"""Synthetic frames whose content encodes their index, so a test can read back which frame is painted.

Each frame shows its index in large digits (for people) and as a 20-bit bar code along the bottom
(for tests: white block = 1, most significant bit first).
"""

import json
import struct
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

BITS = 20
Render = Callable[[int, int], list[np.ndarray]]  # (start, stop) -> BGR frames start..stop-1
BAR_HEIGHT_FRACTION = 0.15


def render_frame(index: int, width: int, height: int) -> np.ndarray:
    """Return a BGR frame for `index`: digits in the middle, bar code at the bottom."""
    if not 0 <= index < 2**BITS:
        raise ValueError(f"frame index {index} outside 0..{2**BITS - 1}")
    hue = (index * 7) % 180
    frame = np.full((height, width, 3), 40, np.uint8)
    frame[: height // 10] = cv2.cvtColor(np.uint8([[[hue, 200, 200]]]), cv2.COLOR_HSV2BGR)[0, 0]
    text = str(index)
    scale = width / 60 / max(len(text), 3)
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    org = ((width - tw) // 2, (height + th) // 2 - int(height * 0.05))
    cv2.putText(frame, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2, cv2.LINE_AA)
    return stamp_index(frame, index)


def stamp_index(frame: np.ndarray, index: int) -> np.ndarray:
    """Overwrite the bottom strip of `frame` with the bar code of `index` (in place; returns it)."""
    height, width = frame.shape[:2]
    bar_top = height - int(height * BAR_HEIGHT_FRACTION)
    for bit in range(BITS):
        x0, x1 = bit * width // BITS, (bit + 1) * width // BITS
        frame[bar_top:, x0:x1] = 255 if (index >> (BITS - 1 - bit)) & 1 else 0
    return frame


def encode_jpeg(frame: np.ndarray, quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()


def pack_chunk(jpegs: list[bytes]) -> bytes:
    """Chunk wire format: uint32 count, count x uint32 byte length, then the JPEGs, little-endian."""
    header = struct.pack(f"<I{len(jpegs)}I", len(jpegs), *(len(j) for j in jpegs))
    return header + b"".join(jpegs)


class FrameSource:
    """Makes frames, chunks and the overview strip lazily: a 100,000-frame video costs nothing up front."""

    def __init__(
        self, frame_count: int, width: int, height: int, chunk_size: int = 64, render: Render | None = None
    ) -> None:
        self.frame_count, self.width, self.height, self.chunk_size = frame_count, width, height, chunk_size
        self.render = render or (
            lambda start, stop: [render_frame(i, width, height) for i in range(start, stop)]
        )
        self.frame_jpeg = lru_cache(maxsize=256)(self._frame_jpeg)
        self.chunk = lru_cache(maxsize=64)(self._chunk)

    def _frame_jpeg(self, index: int) -> bytes:
        if not 0 <= index < self.frame_count:
            raise KeyError(f"frame {index} outside 0..{self.frame_count - 1}")
        return encode_jpeg(self.render(index, index + 1)[0])

    def _chunk(self, chunk_index: int) -> bytes:
        start = chunk_index * self.chunk_size
        if not 0 <= start < self.frame_count:
            raise KeyError(f"chunk {chunk_index} outside the video")
        stop = min(start + self.chunk_size, self.frame_count)
        return pack_chunk([encode_jpeg(f) for f in self.render(start, stop)])

    def overview_frames(self, count: int = 60) -> list[int]:
        count = min(count, self.frame_count)
        return [round(i * (self.frame_count - 1) / max(count - 1, 1)) for i in range(count)]

    @lru_cache(maxsize=1)  # noqa: B019 - one source per server, lives as long as it
    def overview_jpeg(self) -> bytes:
        thumb_h = 36
        thumb_w = max(1, round(self.width * thumb_h / self.height))
        thumbs = [
            cv2.resize(self.render(i, i + 1)[0], (thumb_w, thumb_h), interpolation=cv2.INTER_AREA)
            for i in self.overview_frames()
        ]
        return encode_jpeg(np.hstack(thumbs))


def write_barcode_store(folder: Path, frame_count: int, width: int = 160, height: int = 120) -> dict:
    """A real frame store (chunks, overview, manifest) of bar-coded frames, without decoding a video.

    The Django app serves it like an ingested one once a Video's media_dir points at `folder`.
    """
    from inference.media.framestore import CHUNK_SIZE, ChunkWriter, FrameStore, write_overview

    writer = ChunkWriter(folder / "chunks", CHUNK_SIZE)
    for index in range(frame_count):
        if writer.needs(index):
            writer.add(index, render_frame(index, width, height))
    writer.flush()
    manifest = {
        "version": 1, "frame_count": frame_count, "chunk_size": CHUNK_SIZE, "width": width,
        "height": height, "source_width": width, "source_height": height, "grayscale": False,
        "fps": 30.0, "first_frame_number": 0,
    }  # fmt: skip
    if not (folder / "manifest.json").exists():
        manifest["overview_frames"] = write_overview(FrameStore(folder, manifest=manifest), height=36)
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return json.loads((folder / "manifest.json").read_text())
