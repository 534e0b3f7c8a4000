"""Frame store: the chunk byte format, atomic writes, resume, display size, reading frames back."""

from __future__ import annotations

import os
import struct

import cv2
import numpy as np
import pytest

from inference.media import framestore
from inference.media.decode import MediaError, iter_frames, probe
from inference.media.framestore import (
    ChunkWriter,
    FrameStore,
    display_size,
    overview_indices,
    pack_chunk,
    unpack_chunk,
    write_atomic,
    write_overview,
)
from inference.synth import SynthSpec, write_video


def _plain(seed: int, width: int, height: int, grayscale: bool = False) -> SynthSpec:
    """One second of the generated face at 30 fps with head sway and noise, no events."""
    return SynthSpec(seed, 30.0, 30, width, height, grayscale, events=[], head_motion=1.0, noise=1.0)


def test_chunk_layout_is_little_endian_count_lengths_then_jpegs():
    jpegs = [b"\xff\xd8aa\xff\xd9", b"\xff\xd8bbbb\xff\xd9", b"\xff\xd8c\xff\xd9"]
    data = pack_chunk(jpegs)
    assert data[:4] == (3).to_bytes(4, "little")
    assert [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "little") for i in range(3)] == [6, 8, 5]
    assert data[16:] == b"".join(jpegs)
    assert unpack_chunk(data) == jpegs


def test_torn_chunk_is_detected():
    data = pack_chunk([b"x" * 100, b"y" * 50])
    with pytest.raises(MediaError, match="chunk is torn"):
        unpack_chunk(data[:-10])


def test_write_atomic_never_leaves_a_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "000000.mfc"

    def killed(src, dst):
        raise KeyboardInterrupt("killed before rename")

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"data")
    assert not target.exists()
    monkeypatch.undo()
    write_atomic(target, b"data")
    assert target.read_bytes() == b"data"


@pytest.mark.parametrize(
    "size, expected",
    [
        ((2040, 1088), (640, 341)),
        ((640, 480), (640, 480)),
        ((320, 240), (320, 240)),
        ((480, 960), (320, 640)),
    ],
)
def test_display_size_limits_the_longer_side(size, expected):
    assert display_size(*size, 640) == expected


def _frames(n: int, h: int = 48, w: int = 64, gray: bool = False) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (0, 0), 2.0)
    frames = [np.roll(base, k, axis=1) for k in range(n)]
    return [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames] if gray else frames


def test_chunk_writer_writes_full_chunks_and_a_short_last_one(tmp_path):
    writer = ChunkWriter(tmp_path / "chunks", chunk_size=4)
    for k, frame in enumerate(_frames(10)):
        writer.add(k, frame)
    writer.flush()
    names = sorted(p.name for p in (tmp_path / "chunks").iterdir())
    assert names == ["000000.mfc", "000001.mfc", "000002.mfc"]
    counts = [struct.unpack_from("<I", (tmp_path / "chunks" / n).read_bytes())[0] for n in names]
    assert counts == [4, 4, 2]
    jpeg = unpack_chunk((tmp_path / "chunks" / names[0]).read_bytes())[0]
    assert jpeg[:2] == b"\xff\xd8" and b"WEBP" not in jpeg[:16]


def test_chunk_writer_rejects_frames_out_of_order(tmp_path):
    writer = ChunkWriter(tmp_path, chunk_size=4)
    frames = _frames(3)
    writer.add(0, frames[0])
    with pytest.raises(MediaError, match="frame 2 arrived out of order"):
        writer.add(2, frames[2])


def test_resume_skips_complete_chunks_and_ignores_temporary_leftovers(tmp_path):
    folder = tmp_path / "chunks"
    frames = _frames(8)
    writer = ChunkWriter(folder, chunk_size=4)
    for k in range(4):
        writer.add(k, frames[k])
    first = (folder / "000000.mfc").read_bytes()
    (folder / ".000001.mfc.999.tmp").write_bytes(b"torn")  # a killed writer's temporary file
    resumed = ChunkWriter(folder, chunk_size=4)
    assert not resumed.needs(0) and resumed.needs(4)
    for k, frame in enumerate(frames):
        resumed.add(k, np.zeros_like(frame) if k < 4 else frame)  # chunk 0 must not be re-encoded
    resumed.flush()
    assert (folder / "000000.mfc").read_bytes() == first
    assert len(unpack_chunk((folder / "000001.mfc").read_bytes())) == 4


def _manifest(n: int, w: int, h: int, gray: bool, chunk: int = 4) -> dict:
    return {"version": 1, "frame_count": n, "chunk_size": chunk, "width": w, "height": h, "grayscale": gray}


@pytest.mark.parametrize("gray", [False, True])
def test_reader_returns_frame_k_within_jpeg_tolerance(tmp_path, gray):
    frames = _frames(9, gray=gray)
    writer = ChunkWriter(tmp_path / "chunks", chunk_size=4)
    for k, frame in enumerate(frames):
        writer.add(k, frame)
    writer.flush()
    store = FrameStore(tmp_path, manifest=_manifest(9, 64, 48, gray))
    assert store.chunk_path(2) == tmp_path / "chunks" / "000002.mfc"
    for k in (8, 0, 5, 4, 3):
        image = store.frame(k)
        assert image.shape == frames[k].shape
        errors = [np.abs(image.astype(int) - f).mean() for f in frames]
        assert np.argmin(errors) == k and errors[k] < 4
    assert cv2.imdecode(np.frombuffer(store.frame_jpeg(1), np.uint8), cv2.IMREAD_UNCHANGED).ndim == (
        2 if gray else 3
    )
    with pytest.raises(IndexError):
        store.frame_jpeg(9)


def test_store_of_a_real_video_resized_for_display(tmp_path):
    spec = _plain(2, 1280, 720)
    info = probe(write_video(spec, tmp_path / "v.mp4"))
    size = display_size(info.width, info.height, 640)
    writer = ChunkWriter(tmp_path / "chunks", size=size)
    decoded = []
    for k, frame in iter_frames(info):
        writer.add(k, frame)
        if k in (0, 17, 29):
            decoded.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    writer.flush()
    store = FrameStore(tmp_path, manifest=_manifest(info.frame_count, *size, False, framestore.CHUNK_SIZE))
    for k, reference in zip((0, 17, 29), decoded, strict=True):
        image = store.frame(k)
        assert image.shape == (360, 640, 3)
        assert np.abs(image.astype(int) - reference).mean() < 3


def test_overview_strip(tmp_path):
    frames = _frames(300, gray=True)
    writer = ChunkWriter(tmp_path / "chunks", chunk_size=64)
    for k, frame in enumerate(frames):
        writer.add(k, frame)
    writer.flush()
    indices = write_overview(
        FrameStore(tmp_path, manifest=_manifest(300, 64, 48, True, 64)), height=32, count=200
    )
    assert len(indices) == 200 and indices[0] == 0 and indices[-1] == 299
    assert np.all(np.diff(indices) >= 1) and np.diff(indices).max() <= 2
    strip = cv2.imread(str(tmp_path / "overview.jpg"), cv2.IMREAD_UNCHANGED)
    assert strip.shape == (32, 200 * round(64 * 32 / 48))
    assert overview_indices(5) == [0, 1, 2, 3, 4]
