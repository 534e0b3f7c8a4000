"""Sources (video file or image-sequence folder): cheap probe and frame-exact streaming decode.

Frame index k is always the k-th decoded frame (video) or the k-th file in numeric order (folder);
nothing ever seeks by time, because a time seek is not frame-exact on every container.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv"}
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp"}
GRAY_PIX_FMTS = {"gray", "gray10le", "gray12le", "gray16le", "gray16be"}
GREY_TEXTURE = 8.0  # grey-level standard deviation of a frame that shows something
GREY_SPREAD = 3  # colour channels of a grey picture differ by at most this (compression noise)
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


class MediaError(Exception):
    """A problem with the user's media, worded for the video page."""


@dataclass
class SourceInfo:
    """What `probe` learns without decoding pixels (the folder case reads one image)."""

    path: str
    kind: str  # "video" or "images"
    frame_count: int
    fps: float
    width: int
    height: int
    grayscale: bool
    first_frame_number: int = 0
    gaps: list[tuple[int, int]] = field(default_factory=list)  # missing (first, last) frame numbers
    vfr: bool = False
    codec: str = ""
    files: list[str] = field(default_factory=list)  # image files in frame order


def frame_number(name: str) -> int | None:
    """The last digit run of a file name's stem: `reg_img46.jpg` -> 46, `006_1_0001.jpg` -> 1."""
    match = _LAST_NUMBER.search(Path(name).stem)
    return int(match.group(1)) if match else None


def probe(source: Path | str, fps: float | None = None) -> SourceInfo:
    source = Path(source)
    if source.is_dir():
        return _probe_folder(source, fps)
    if not source.exists():
        raise MediaError(f"{source.name}: file not found")
    if source.suffix.lower() not in VIDEO_EXTS:
        raise MediaError(
            f"{source.name}: unsupported file type '{source.suffix}' "
            f"(videos: {', '.join(sorted(VIDEO_EXTS))}; or a folder of images)"
        )
    if source.stat().st_size == 0:
        raise MediaError(f"{source.name}: the file is empty (0 bytes)")
    return _probe_video(source, fps)


def _open(path: Path) -> av.container.InputContainer:
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise MediaError(f"{path.name}: not a readable video, or truncated ({exc.strerror or exc})") from exc
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["nothing"]
        container.close()
        raise MediaError(f"{path.name}: no video stream (the file contains {', '.join(kinds)})")
    return container


def _probe_video(path: Path, fps: float | None) -> SourceInfo:
    """Count frames by demuxing packets (no pixel decoding); pts deltas reveal variable frame rate."""
    with _open(path) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        pts: list[int] = []
        try:
            for packet in container.demux(stream):
                if packet.size and packet.pts is not None:
                    pts.append(packet.pts)
                elif packet.size:
                    pts.append(len(pts))
        except av.FFmpegError as exc:
            raise MediaError(f"{path.name}: stream is corrupt or truncated after frame {len(pts)}") from exc
        if not pts:
            raise MediaError(f"{path.name}: the video stream has no frames (empty or truncated file)")
        deltas = np.diff(np.sort(np.asarray(pts, dtype=np.int64)))
        vfr = bool(len(deltas) > 1 and deltas.min() > 0 and deltas.max() > 1.5 * deltas.min())
        _check_complete(path, container, stream, pts, deltas)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if fps is None:
            if vfr and stream.time_base and deltas.size:
                fps = float(1 / (Fraction(int(np.median(deltas))) * stream.time_base))
            elif rate:
                fps = float(rate)
            else:
                raise MediaError(f"{path.name}: the container gives no frame rate; please enter it")
        return SourceInfo(
            path=str(path),
            kind="video",
            frame_count=len(pts),
            fps=float(fps),
            width=ctx.width,
            height=ctx.height,
            grayscale=(ctx.pix_fmt or "") in GRAY_PIX_FMTS or _grey_content(path, pts),
            vfr=vfr,
            codec=ctx.name,
        )


def _declared_seconds(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    """The video's duration as the container header states it (None when it does not say)."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    text = stream.metadata.get("DURATION")  # Matroska writes it per track as HH:MM:SS.fraction
    if text:
        hours, minutes, seconds = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if len(container.streams) == 1 and container.duration:
        return container.duration / 1e6
    return None


def _grey_picture(bgr: np.ndarray) -> bool | None:
    """Whether a colour image shows a grey picture (equal B, G and R up to compression noise);
    None when it shows nothing to judge by (a blank or black frame)."""
    sample = bgr[::4, ::4].astype(np.int16)
    if sample.std() < GREY_TEXTURE:
        return None
    spread = np.abs(sample - sample.mean(axis=2, keepdims=True)).max(axis=2)
    return bool(np.percentile(spread, 99.9) <= GREY_SPREAD)


def _grey_content(path: Path, pts: list[int], frames: int = 30) -> bool:
    """A colour-format stream that carries grey pictures (a greyscale camera's footage in H.264
    4:2:0, say): the first frame with texture among the first `frames` is grey, and so are the
    frames at the keyframes before the middle and the end (a grey title card first does not make a
    colour recording grey). Blank frames (a fade from black) decide nothing; without a textured
    frame the stream counts as colour, which loses nothing."""
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1  # frame threads would decode several frames first
        try:
            verdict = None
            for index, frame in enumerate(container.decode(stream)):
                verdict = _grey_picture(frame.to_ndarray(format="bgr24", threads=1))
                if verdict is not None or index + 1 >= frames:
                    break
            if not verdict:
                return False
            ordered = sorted(pts)
            for target in (ordered[len(ordered) // 2], ordered[-1]):
                container.seek(target, stream=stream, backward=True)
                frame = next(container.decode(stream), None)
                if frame is not None and _grey_picture(frame.to_ndarray(format="bgr24", threads=1)) is False:
                    return False
        except av.FFmpegError:
            return False  # iter_frames reports the damage with its frame number
    return True


def _check_complete(path: Path, container, stream, pts: list[int], deltas: np.ndarray) -> None:
    """A cut file often demuxes without error: compare the frames found with the header's claims."""
    if stream.frames and len(pts) < stream.frames:
        raise MediaError(
            f"{path.name}: stream is truncated: the header lists {stream.frames} frames, "
            f"only {len(pts)} are present"
        )
    declared = _declared_seconds(container, stream)
    if declared is None or not stream.time_base or not deltas.size:
        return
    step = float(np.median(deltas) * stream.time_base)
    found = float((max(pts) - (stream.start_time or 0)) * stream.time_base) + step
    if declared - found > 0.5 * step:
        raise MediaError(
            f"{path.name}: stream is truncated: the header says {declared:.2f} s, "
            f"frames stop at {found:.2f} s (after frame {len(pts) - 1})"
        )


def _probe_folder(folder: Path, fps: float | None) -> SourceInfo:
    numbered: list[tuple[int, str]] = []
    for entry in folder.iterdir():
        if entry.is_file() and entry.suffix.lower() in IMAGE_EXTS:
            number = frame_number(entry.name)
            if number is None:
                raise MediaError(f"{folder.name}/{entry.name}: no frame number in the file name")
            numbered.append((number, entry.name))
    if not numbered:
        raise MediaError(f"{folder.name}: no images ({', '.join(sorted(IMAGE_EXTS))}) in the folder")
    numbered.sort()
    numbers = [n for n, _ in numbered]
    for (a, name_a), (b, name_b) in zip(numbered, numbered[1:], strict=False):
        if a == b:
            raise MediaError(f"{folder.name}: {name_a} and {name_b} have the same frame number {a}")
    gaps = [(a + 1, b - 1) for a, b in zip(numbers, numbers[1:], strict=False) if b > a + 1]
    first = _read_image(folder / numbered[0][1])
    return SourceInfo(
        path=str(folder),
        kind="images",
        frame_count=len(numbered),
        fps=float(fps) if fps else 0.0,
        width=first.shape[1],
        height=first.shape[0],
        grayscale=first.ndim == 2 or bool(_grey_picture(first)),
        first_frame_number=numbers[0],
        gaps=gaps,
        files=[name for _, name in numbered],
    )


def _read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise MediaError(f"{path.parent.name}/{path.name}: unreadable image")
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1, int(image.max())))
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def iter_frames(
    info: SourceInfo, start: int = 0, stop: int | None = None, threads: int = 0
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (index, frame) for start <= index < stop; frames are BGR uint8, or 2-D for grayscale.

    Memory stays bounded: one frame at a time. A video is decoded from its first frame so that
    indices are counts of decoded frames; frames before `start` are decoded but not converted.
    `threads`: decoder threads (0 = FFmpeg's choice; 1 when several processes share the cores).
    """
    stop = info.frame_count if stop is None else min(stop, info.frame_count)
    if info.kind == "images":
        yield from _iter_images(info, start, stop)
    else:
        yield from _iter_video(info, start, stop, threads)


def _iter_images(info: SourceInfo, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
    folder = Path(info.path)
    for index in range(start, min(stop, len(info.files))):
        image = _read_image(folder / info.files[index])
        if image.shape[:2] != (info.height, info.width):
            raise MediaError(
                f"{folder.name}/{info.files[index]}: image size {image.shape[1]}x{image.shape[0]} differs "
                f"from the first image's {info.width}x{info.height}"
            )
        if info.grayscale and image.ndim == 3:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        elif not info.grayscale and image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        yield index, image


def _iter_video(info: SourceInfo, start: int, stop: int, threads: int) -> Iterator[tuple[int, np.ndarray]]:
    """Start at a keyframe when packet timestamps identify every frame; otherwise decode from frame 0."""
    path = Path(info.path)
    next_index = start
    plan = _seek_plan(path, start) if start > 0 else None
    if plan is not None:
        for index, image in _decode_from_keyframe(path, info, start, stop, threads, *plan):
            yield index, image
            next_index = index + 1
    if next_index < stop:
        yield from _decode_linear(path, info, next_index, stop, threads)


def _seek_plan(path: Path, start: int) -> tuple[int, dict[int, int]] | None:
    """(pts of the last keyframe at or before frame `start`, frame index of every pts), or None
    when timestamps are missing or repeated and so cannot name frames."""
    with _open(path) as container:
        stream = container.streams.video[0]
        packets = [(p.pts, p.is_keyframe) for p in container.demux(stream) if p.size]
    pts = [p for p, _ in packets]
    if None in pts or len(set(pts)) != len(pts):
        return None
    index_of = {p: i for i, p in enumerate(sorted(pts))}
    keys = [p for p, key in packets if key and index_of[p] <= start]
    return (max(keys, key=index_of.__getitem__), index_of) if keys else None


def _decode_from_keyframe(
    path: Path, info: SourceInfo, start: int, stop: int, threads: int, key_pts: int, index_of: dict[int, int]
) -> Iterator[tuple[int, np.ndarray]]:
    """Frames identified by their pts rank; stops (the caller falls back) at the first frame whose
    pts is unknown or out of sequence, so an index is never guessed."""
    fmt = "gray" if info.grayscale else "bgr24"
    expected: int | None = None
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        container.seek(key_pts, stream=stream, backward=True, any_frame=False)
        try:
            for frame in container.decode(stream):
                index = index_of.get(frame.pts) if frame.pts is not None else None
                if index is None or (expected is None and index > start) or index != (expected or index):
                    return
                if index >= stop:
                    return
                if index >= start:
                    yield index, frame.to_ndarray(format=fmt, threads=1)
                expected = index + 1
        except av.FFmpegError:
            return


def _decode_linear(
    path: Path, info: SourceInfo, start: int, stop: int, threads: int
) -> Iterator[tuple[int, np.ndarray]]:
    fmt = "gray" if info.grayscale else "bgr24"
    index = 0
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        try:
            for frame in container.decode(stream):
                if index >= stop:
                    return
                if index >= start:
                    yield index, frame.to_ndarray(format=fmt, threads=1)
                index += 1
        except av.FFmpegError as exc:
            raise MediaError(f"{path.name}: stream is corrupt or truncated at frame {index}") from exc
    if index < stop:
        raise MediaError(
            f"{path.name}: stream is corrupt or truncated at frame {index} "
            f"(decoded {index} frames, the container holds {info.frame_count})"
        )
