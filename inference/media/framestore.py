"""Frame store: display frames as JPEG in self-describing chunk files, a manifest and an overview strip.

Chunk format (the browser parses it): little-endian uint32 count, count x uint32 byte lengths, then
the JPEG bytes concatenated. Chunk i holds frames [i * chunk_size, (i + 1) * chunk_size).
Chunks are written to a temporary name and renamed, so a chunk file that exists is complete.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import cv2
import numpy as np

from .decode import MediaError

VERSION = 1
CHUNK_SIZE = 64
JPEG_QUALITY = 88
OVERVIEW_HEIGHT = 64  # pixels of the overview strip's thumbnails
OVERVIEW_COUNT = 200  # thumbnails in the strip


def chunk_name(index: int) -> str:
    return f"{index:06d}.mfc"


def pack_chunk(jpegs: list[bytes]) -> bytes:
    header = struct.pack(f"<I{len(jpegs)}I", len(jpegs), *(len(j) for j in jpegs))
    return header + b"".join(jpegs)


def unpack_chunk(data: bytes) -> list[bytes]:
    (count,) = struct.unpack_from("<I", data, 0)
    lengths = struct.unpack_from(f"<{count}I", data, 4)
    offset = 4 + 4 * count
    if offset + sum(lengths) != len(data):
        raise MediaError(f"chunk is torn: header says {offset + sum(lengths)} bytes, file has {len(data)}")
    frames = []
    for length in lengths:
        frames.append(data[offset : offset + length])
        offset += length
    return frames


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary sibling, then rename: readers never see a partial file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk leaves no partial file behind
        raise


def display_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Downscale to size (width, height) with nearly INTER_AREA's quality at a fraction of its cost.

    OpenCV's area filter is fast only for whole factors (2040x1088 -> 640x341 direct: ~14 ms;
    halved first: ~2 ms, within 0.3 grey levels): halve while twice too large, then bilinear.
    """
    width, height = size
    while image.shape[1] >= 2 * width and image.shape[0] >= 2 * height:
        even = image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2]
        image = cv2.resize(even, (even.shape[1] // 2, even.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if (image.shape[1], image.shape[0]) == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def encode_jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise MediaError("JPEG encoding failed")
    return buf.tobytes()


class ChunkWriter:
    """Collects JPEG frames of consecutive indices and writes each full chunk atomically.

    Frames of a chunk that already exists on disk are not encoded again (resume after a kill).
    """

    def __init__(self, folder: Path, chunk_size: int = CHUNK_SIZE, size: tuple[int, int] | None = None):
        self.folder = folder
        self.chunk_size = chunk_size
        self.size = size
        self.pending: list[bytes] = []
        self.chunk = -1
        self.on_disk: tuple[int, bool] = (-1, False)  # (chunk, exists): one stat per chunk, not per frame
        folder.mkdir(parents=True, exist_ok=True)

    def needs(self, index: int) -> bool:
        """False when the chunk holding `index` is already complete on disk."""
        chunk = index // self.chunk_size
        if self.on_disk[0] != chunk:
            self.on_disk = (chunk, (self.folder / chunk_name(chunk)).exists())
        return not self.on_disk[1]

    def add(self, index: int, image: np.ndarray) -> None:
        chunk, position = divmod(index, self.chunk_size)
        if not self.needs(index):
            return
        if position == 0:
            self.pending, self.chunk = [], chunk
        elif chunk != self.chunk or position != len(self.pending):
            raise MediaError(f"frame store: frame {index} arrived out of order")
        if self.size and (image.shape[1], image.shape[0]) != self.size:
            image = shrink(image, self.size)
        self.pending.append(encode_jpeg(image))
        if len(self.pending) == self.chunk_size:
            self.flush()

    def flush(self) -> None:
        """Write the pending (possibly last, short) chunk."""
        if self.pending:
            write_atomic(self.folder / chunk_name(self.chunk), pack_chunk(self.pending))
            self.pending = []


def overview_indices(frame_count: int, count: int = OVERVIEW_COUNT) -> list[int]:
    return sorted({int(round(i)) for i in np.linspace(0, frame_count - 1, min(count, frame_count))})


class FrameStore:
    """Reader of a store folder: `manifest.json`, `chunks/`, `overview.jpg` (and `crops/` for faces)."""

    def __init__(self, path: Path | str, folder: str = "chunks", manifest: dict | None = None) -> None:
        self.path = Path(path)
        self.folder = folder
        if manifest is None:
            file = self.path / "manifest.json"
            if not file.exists():
                raise MediaError(f"{self.path}: no frame store here (manifest.json missing)")
            manifest = json.loads(file.read_text())
        self.manifest = manifest
        self._cache: tuple[int, list[bytes]] | None = None

    def __len__(self) -> int:
        return int(self.manifest["frame_count"])

    def chunk_path(self, index: int) -> Path:
        return self.path / self.folder / chunk_name(index)

    def frame_jpeg(self, k: int) -> bytes:
        if not 0 <= k < len(self):
            raise IndexError(f"frame {k} outside 0..{len(self) - 1}")
        chunk, position = divmod(k, int(self.manifest["chunk_size"]))
        if self._cache is None or self._cache[0] != chunk:
            self._cache = (chunk, unpack_chunk(self.chunk_path(chunk).read_bytes()))
        return self._cache[1][position]

    def frame(self, k: int) -> np.ndarray:
        gray = self.folder != "chunks" or self.manifest["grayscale"]
        flags = cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR
        return cv2.imdecode(np.frombuffer(self.frame_jpeg(k), np.uint8), flags)


_REDUCED = {
    (False, 8): cv2.IMREAD_REDUCED_COLOR_8,
    (False, 4): cv2.IMREAD_REDUCED_COLOR_4,
    (False, 2): cv2.IMREAD_REDUCED_COLOR_2,
    (False, 1): cv2.IMREAD_COLOR,
    (True, 8): cv2.IMREAD_REDUCED_GRAYSCALE_8,
    (True, 4): cv2.IMREAD_REDUCED_GRAYSCALE_4,
    (True, 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
    (True, 1): cv2.IMREAD_GRAYSCALE,
}


def overview_size(width: int, height: int, thumb_height: int = OVERVIEW_HEIGHT) -> tuple[int, int]:
    """(width, height) of one overview thumbnail of a width x height display frame."""
    return max(1, round(width * thumb_height / height)), thumb_height


def write_strip(folder: Path, thumbs: list[np.ndarray]) -> None:
    """The overview strip: thumbnails side by side in one JPEG."""
    write_atomic(folder / "overview.jpg", encode_jpeg(np.hstack(thumbs), 85))


def write_overview(
    store: FrameStore, height: int = OVERVIEW_HEIGHT, count: int = OVERVIEW_COUNT
) -> list[int]:
    """Overview strip of a finished store, evenly spaced; returns the frame indices (ingest makes
    its thumbnails while it decodes instead). Decoded at a reduced JPEG scale (1/2, 1/4, 1/8),
    several times faster than full."""
    indices = overview_indices(len(store), count)
    factor = next(f for f in (8, 4, 2, 1) if int(store.manifest["height"]) / f >= height)
    flags = _REDUCED[(bool(store.manifest["grayscale"]), factor)]
    size = overview_size(int(store.manifest["width"]), int(store.manifest["height"]), height)
    thumbs = []
    for k in indices:
        image = cv2.imdecode(np.frombuffer(store.frame_jpeg(k), np.uint8), flags)
        thumbs.append(shrink(image, size))
    write_strip(store.path, thumbs)
    return indices
