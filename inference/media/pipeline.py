"""Ingest: probe -> frames + face + motion (in parts, optionally in parallel processes) -> finalize.

Output folder:
    probe.json                 the source as probed (a different source wipes the folder's outputs)
    chunks/NNNNNN.mfc          display frames, JPEG (framestore.py format)
    crops/NNNNNN.mfc           aligned grayscale face crops, same format
    parts/part_START_STOP.npz  per-part face track and motion (atomic; a finished part is skipped)
    track.npz, motion.npz      the merged face track and motion signals
    overview.jpg               thumbnail strip; manifest.json; result.json
    done/probe, done/frames, done/finalize   stage markers

Per frame: decode, display JPEG, aligned crop, DIS flow, region magnitudes; the face mesh runs on
every `mesh_every`-th frame only (the mesh is most of the cost; landmarks between are interpolated,
and the alignment is held between meshes anyway). Parallel parts run in child interpreters
(`python -m inference.media.part_worker OUT NAME`), not multiprocessing, because a Celery prefork
worker is daemonic and may not fork pool children.
Part boundaries are multiples of the chunk size, so every chunk has exactly one writer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from . import face as facemod
from .decode import MediaError, SourceInfo, iter_frames, probe
from .framestore import (
    CHUNK_SIZE,
    ChunkWriter,
    FrameStore,
    display_size,
    overview_indices,
    overview_size,
    shrink,
    unpack_chunk,
    write_atomic,
    write_strip,
)
from .motion import REGIONS, FlowMeter

SEAM = 8  # frames decoded before a part's start to warm up tracking, alignment and flow
LANDMARK_SCALE = 16.0  # landmarks stored as uint16 in 1/16 pixel: compact and exact to 0.06 px
NO_FACE_FRAMES = 60  # a source whose first this-many frames hold no face fails with "no face found"
FORMAT_VERSION = 2  # of the outputs; a folder written by another version is redone, not resumed
TRACK_KEYS = ["landmarks", "boxes", "presence", "flags", "transforms"]
OUTPUTS = ["chunks", "crops", "parts", "done", "track.npz", "motion.npz", "overview.jpg", "manifest.json"]

Progress = Callable[[str, float], None]


@dataclass
class Settings:
    display_max: int = 640
    crop_size: int = 128
    flow: str = "dis"
    preset: str = "medium"  # DIS fast costs a third, but halves micro-expression peaks, not head-turn residue
    chunk_size: int = CHUNK_SIZE
    mesh_every: int = 2  # face mesh on every n-th frame; landmarks between are interpolated


@dataclass
class IngestResult:
    frame_count: int
    fps: float
    width: int
    height: int
    display_width: int
    display_height: int
    grayscale: bool
    first_frame_number: int
    gaps: list[tuple[int, int]]
    vfr: bool
    face_found_ratio: float
    sample_frame: int  # a frame with a face near the middle, for a poster image
    timings: dict[str, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)  # warnings to show the user


def _marker(out: Path, stage: str) -> Path:
    return out / "done" / stage


def _mark(out: Path, stage: str) -> None:
    (out / "done").mkdir(exist_ok=True)
    write_atomic(_marker(out, stage), b"")


def _same_source(out: Path, info: SourceInfo, settings: Settings) -> bool:
    stored = out / "probe.json"
    if not stored.exists():
        return False
    return json.loads(stored.read_text()) == json.loads(json.dumps(_probe_record(info, settings)))


def _probe_record(info: SourceInfo, settings: Settings) -> dict:
    path = Path(info.path)
    stamp = path.stat().st_mtime_ns if path.is_file() else None
    return {
        "version": FORMAT_VERSION,
        "source": asdict(info),
        "size": path.stat().st_size,
        "mtime": stamp,
        "settings": asdict(settings),
    }


def _parts(frame_count: int, workers: int, chunk_size: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges whose inner boundaries fall on chunk boundaries."""
    chunks = -(-frame_count // chunk_size)
    n = max(1, min(workers, chunks))
    bounds = [round(i * chunks / n) * chunk_size for i in range(n)] + [frame_count]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def ingest(
    source: Path,
    out_dir: Path,
    *,
    fps: float | None = None,
    progress: Progress | None = None,
    workers: int = 2,
    settings: Settings | None = None,
) -> IngestResult:
    """Ingest a video file or image folder into out_dir; safe to re-run after a kill.

    `progress(stage, percent)` receives the stage name and the overall percent (0-100).
    """
    source, out = Path(source), Path(out_dir)
    settings = settings or Settings()
    report = progress or (lambda stage, percent: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    report("probe", 0.0)
    info = probe(source, fps)
    out.mkdir(parents=True, exist_ok=True)
    if not _same_source(out, info, settings):
        for name in OUTPUTS + ["result.json"]:
            target = out / name
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
        write_atomic(out / "probe.json", json.dumps(_probe_record(info, settings)).encode())
    elif _marker(out, "finalize").exists() and (out / "result.json").exists():
        report("finalize", 100.0)
        return _load_result(out)
    if not _marker(out, "probe").exists():
        _check_face(info)
    _mark(out, "probe")
    timings["probe"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    parts = _parts(info.frame_count, workers, settings.chunk_size)
    _run_parts(out, info, settings, parts, lambda done: report("frames", 2 + 93 * done / info.frame_count))
    _mark(out, "frames")
    timings["frames"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    report("finalize", 95.0)
    result = _finalize(out, info, settings, parts)
    timings["finalize"] = time.perf_counter() - t0
    result.timings = timings
    write_atomic(out / "result.json", json.dumps(asdict(result)).encode())
    _mark(out, "finalize")
    report("finalize", 100.0)
    return result


def _check_face(info: SourceInfo) -> None:
    """Fail early, before any part starts, when the first frames show no face."""
    models = facemod.FaceModels()
    for _, frame in iter_frames(info, 0, NO_FACE_FRAMES):
        if models.detect(frame):
            return
    count = min(NO_FACE_FRAMES, info.frame_count)
    raise MediaError(f"no face found in the first {count} frames of {Path(info.path).name}")


def _load_result(out: Path) -> IngestResult:
    data = json.loads((out / "result.json").read_text())
    data["gaps"] = [tuple(g) for g in data["gaps"]]
    return IngestResult(**data)


def _part_name(start: int, stop: int) -> str:
    """Parts are named by their frame range, so a run with another split never reuses them."""
    return f"part_{start:08d}_{stop:08d}"


def part_file(out: Path, name: str, suffix: str) -> Path:
    return out / "parts" / f"{name}.{suffix}"


def _run_parts(
    out: Path,
    info: SourceInfo,
    settings: Settings,
    parts: list[tuple[int, int]],
    report: Callable[[int], None],
) -> None:
    (out / "parts").mkdir(exist_ok=True)
    names = [_part_name(start, stop) for start, stop in parts]
    todo = [name for name in names if not part_file(out, name, "npz").exists()]
    for name, (start, stop) in zip(names, parts, strict=True):
        spec = {
            "info": asdict(info),
            "settings": asdict(settings),
            "start": start,
            "stop": stop,
            "parallel": len(todo) > 1,
        }
        write_atomic(part_file(out, name, "json"), json.dumps(spec).encode())
        for stale in ("error", "progress"):
            part_file(out, name, stale).unlink(missing_ok=True)

    def frames_done() -> int:
        total = 0
        for name, (start, stop) in zip(names, parts, strict=True):
            if name not in todo:
                total += stop - start
            elif (file := part_file(out, name, "progress")).exists():
                total += int(file.read_text() or 0)
        return total

    if len(todo) <= 1:
        for name in todo:
            process_part(out, name, on_progress=lambda n: report(frames_done()))
        report(frames_done())
        return
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[2])] + sys.path))
    children = {}
    for name in todo:
        with open(
            part_file(out, name, "log"), "wb"
        ) as log:  # a file, not a pipe: a chatty child never blocks
            children[name] = subprocess.Popen(
                [sys.executable, "-m", "inference.media.part_worker", str(out), name],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
    try:
        while running := [child for child in children.values() if child.poll() is None]:
            report(frames_done())
            try:  # returns as soon as that child ends, so the last one's end is not waited out
                running[0].wait(timeout=0.25)
            except subprocess.TimeoutExpired:
                pass
    finally:
        for child in children.values():
            if child.poll() is None:
                child.kill()
            child.wait()
    for name, child in children.items():
        if (error := part_file(out, name, "error")).exists():
            raise MediaError(error.read_text())
        if child.returncode != 0:
            tail = part_file(out, name, "log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"ingest {name} failed (exit {child.returncode}): {tail}")
    report(frames_done())


def process_part(out: Path, name: str, on_progress: Callable[[int], None] | None = None) -> None:
    """Decode frames [start, stop) of the part; write display chunks, crops and parts/NAME.npz."""
    spec = json.loads(part_file(out, name, "json").read_text())
    info = SourceInfo(**{**spec["info"], "gaps": [tuple(g) for g in spec["info"]["gaps"]]})
    settings = Settings(**spec["settings"])
    start, stop = spec["start"], spec["stop"]
    if spec["parallel"]:
        cv2.setNumThreads(1)
    size = settings.crop_size
    shown = display_size(info.width, info.height, settings.display_max)
    frames = ChunkWriter(out / "chunks", settings.chunk_size, shown)
    crops = ChunkWriter(out / "crops", settings.chunk_size)
    tracker = facemod.FaceTracker(facemod.FaceModels())
    aligner = facemod.Aligner(size)
    meter = FlowMeter(size, settings.flow, settings.preset)
    n = stop - start
    landmarks = np.zeros((n, 468, 2), np.uint16)
    boxes = np.full((n, 4), np.nan, np.float32)
    presence = np.zeros(n, np.float16)
    flags = np.zeros(n, np.uint8)
    transforms = np.full((n, 2, 3), np.nan, np.float32)
    motion = np.zeros((n, len(REGIONS)), np.float32)
    # overview thumbnails are made from the decoded frames here, not re-read from the chunks later
    thumb_size = overview_size(*shown)
    thumb_index = [k for k in overview_indices(info.frame_count) if start <= k < stop]
    thumb_slot = {k: i for i, k in enumerate(thumb_index)}
    thumbs = np.zeros(
        (len(thumb_index), thumb_size[1], thumb_size[0]) + (() if info.grayscale else (3,)), np.uint8
    )
    progress_file = part_file(out, name, "progress")
    previous_gray: np.ndarray | None = None
    previous_crop: np.ndarray | None = None
    blank = np.zeros((size, size), np.uint8)

    def handle(k: int, frame: np.ndarray, face: facemod.FaceResult) -> None:
        """Align, crop, measure and store frame k, in frame order, given its face."""
        nonlocal previous_gray, previous_crop
        transform, changed = aligner.update(face.landmarks)
        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        crop = blank if transform is None else facemod.aligned_crop(gray, transform, size)
        values = None
        if transform is not None and previous_gray is not None and face.landmarks is not None:
            before = facemod.aligned_crop(previous_gray, transform, size) if changed else previous_crop
            values = meter.measure(before, crop)
        previous_gray, previous_crop = gray, crop
        j = k - start
        if k < start:
            return
        if start == 0 and j + 1 == min(NO_FACE_FRAMES, n) and not flags[:j].any() and face.landmarks is None:
            raise MediaError(f"no face found in the first {j + 1} frames of {Path(info.path).name}")
        if face.landmarks is not None:
            landmarks[j] = np.clip(np.round(face.landmarks * LANDMARK_SCALE), 0, 65535)
            boxes[j], presence[j], flags[j] = face.box, face.presence, face.flag
            transforms[j] = transform
        if values is not None:
            motion[j] = values
        frames.add(k, frame)
        crops.add(k, crop)
        if (slot := thumb_slot.get(k)) is not None:
            thumbs[slot] = shrink(frame, thumb_size)
        if (j + 1) % settings.chunk_size == 0 or j + 1 == n:
            write_atomic(progress_file, str(j + 1).encode())
            if on_progress:
                on_progress(j + 1)

    # The mesh runs on every `every`-th frame (and on every frame while no face is tracked). Frames
    # between two meshes wait (at most every - 1 of them) for the second one, then go through
    # `handle` with interpolated landmarks, so alignment and motion see a face on every frame.
    # Decoding runs on to the first mesh frame after the part: the split does not change results.
    every = max(1, settings.mesh_every)
    waiting: list[tuple[int, np.ndarray]] = []
    meshed: tuple[int, facemod.FaceResult] | None = None  # the last mesh: frame index and result
    last = min(stop + every - 1, info.frame_count)
    for k, frame in iter_frames(info, max(0, start - SEAM), last, threads=1 if spec["parallel"] else 0):
        if k % every and k != info.frame_count - 1 and tracker.roi is not None:
            if k < stop:
                waiting.append((k, frame))
            continue
        face = tracker.step(frame)
        for waited, image in waiting:
            handle(waited, image, facemod.interpolate(meshed, (k, face), waited))
        waiting, meshed = [], (k, face)
        if k >= stop:
            break
        handle(k, frame, face)
    frames.flush()
    crops.flush()
    tmp = part_file(out, name, "tmp.npz")
    np.savez(
        tmp,
        landmarks=landmarks,
        boxes=boxes,
        presence=presence,
        flags=flags,
        transforms=transforms,
        motion=motion,
        thumbs=thumbs,
        thumb_index=np.array(thumb_index, np.int64),
    )
    os.replace(tmp, part_file(out, name, "npz"))


def _finalize(out: Path, info: SourceInfo, settings: Settings, ranges: list[tuple[int, int]]) -> IngestResult:
    parts = [np.load(part_file(out, _part_name(*r), "npz")) for r in ranges]
    track = {key: np.concatenate([p[key] for p in parts]) for key in TRACK_KEYS}
    values = np.concatenate([p["motion"] for p in parts])
    n = len(values)
    if n != info.frame_count:
        raise MediaError(f"{Path(info.path).name}: decoded {n} frames, expected {info.frame_count}")
    with open(out / "track.tmp.npz", "wb") as f:  # not compressed: 25 % larger, written 20x faster
        np.savez(
            f,
            **track,
            landmark_scale=np.float32(LANDMARK_SCALE),
            subset68=facemod.SUBSET68,
            crop_size=settings.crop_size,
        )
    os.replace(out / "track.tmp.npz", out / "track.npz")
    with open(out / "motion.tmp.npz", "wb") as f:
        np.savez(f, regions=np.array(REGIONS), values=values)
    os.replace(out / "motion.tmp.npz", out / "motion.npz")

    width, height = display_size(info.width, info.height, settings.display_max)
    manifest = {
        "version": 1,
        "frame_count": n,
        "chunk_size": settings.chunk_size,
        "width": width,
        "height": height,
        "source_width": info.width,
        "source_height": info.height,
        "grayscale": info.grayscale,
        "fps": info.fps,
        "first_frame_number": info.first_frame_number,
        "crop_size": settings.crop_size,
    }
    write_strip(out, list(np.concatenate([p["thumbs"] for p in parts])))
    manifest["overview_frames"] = np.concatenate([p["thumb_index"] for p in parts]).tolist()
    write_atomic(out / "manifest.json", json.dumps(manifest, indent=1).encode())

    found = track["flags"] > 0
    with_face = np.flatnonzero(found)
    sample = int(with_face[np.argmin(np.abs(with_face - n // 2))]) if with_face.size else n // 2
    messages = []
    if info.gaps:
        missing = sum(b - a + 1 for a, b in info.gaps)
        messages.append(
            f"{missing} frame numbers missing in {len(info.gaps)} gap(s), first at {info.gaps[0][0]}"
        )
    if info.vfr:
        messages.append(
            f"variable frame rate; frame indices are exact, times use the median rate {info.fps:.3f} fps"
        )
    if not info.fps:
        messages.append("no frame rate known for an image folder: set the dataset's fps")
    if found.mean() < 0.95:
        messages.append(f"face found in {100 * found.mean():.1f}% of frames")
    return IngestResult(
        frame_count=n,
        fps=info.fps,
        width=info.width,
        height=info.height,
        display_width=width,
        display_height=height,
        grayscale=info.grayscale,
        first_frame_number=info.first_frame_number,
        gaps=info.gaps,
        vfr=info.vfr,
        face_found_ratio=float(found.mean()),
        sample_frame=sample,
        messages=messages,
    )


def load_motion(out_dir: Path) -> tuple[list[str], np.ndarray]:
    """(regions, values (N, R) float32); frame 0 and frames without a face are 0."""
    with np.load(Path(out_dir) / "motion.npz") as data:
        return [str(r) for r in data["regions"]], data["values"]


def load_track(out_dir: Path) -> dict[str, np.ndarray]:
    """Face track: boxes (N, 4) x0 y0 x1 y1, landmarks (N, 468, 2) float32 pixels (NaN without a face),
    presence, flags (0 none, 1 tracked, 2 detected), transforms (N, 2, 3) image -> crop, subset68."""
    with np.load(Path(out_dir) / "track.npz") as data:
        track = {key: data[key] for key in data.files}
    landmarks = track["landmarks"].astype(np.float32) / float(track.pop("landmark_scale"))
    landmarks[track["flags"] == 0] = np.nan
    track["landmarks"] = landmarks
    return track


def read_crops(out_dir: Path, start: int, stop: int) -> np.ndarray:
    """Aligned grayscale crops [start, stop) as (n, size, size) uint8, without touching the video."""
    store = FrameStore(out_dir, folder="crops")
    if not 0 <= start <= stop <= len(store):
        raise IndexError(f"crops {start}..{stop} outside 0..{len(store)}")
    size = int(store.manifest["crop_size"])
    result = np.empty((stop - start, size, size), np.uint8)
    chunk_size = int(store.manifest["chunk_size"])
    for chunk in range(start // chunk_size, -(-stop // chunk_size)):
        jpegs = unpack_chunk(store.chunk_path(chunk).read_bytes())
        for position, jpeg in enumerate(jpegs):
            k = chunk * chunk_size + position
            if start <= k < stop:
                result[k - start] = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    return result
