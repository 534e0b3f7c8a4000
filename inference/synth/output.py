"""Write a spec's frames as a video file (PyAV) or as a numbered image folder.

Both stream: one frame is in memory at a time. Videos are constant frame rate: frame i has
pts i in a time base of 1/fps, so decoders count exactly ``frame_count`` frames.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import av
import cv2

from inference.synth.render import render_frames
from inference.synth.spec import SynthSpec

# codec -> (pixel format in the file, encoder options, containers that take it; tried with PyAV 18)
CODECS: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "libx264": ("yuv420p", {"crf": "18", "preset": "veryfast"}, (".mp4", ".avi", ".mkv", ".mov")),
    "mpeg4": ("yuv420p", {"qscale": "2"}, (".mp4", ".avi", ".mkv", ".mov")),
    "mjpeg": ("yuvj420p", {"q:v": "2"}, (".mp4", ".avi", ".mkv", ".mov")),
    "rawvideo": ("bgr24", {}, (".avi", ".mov")),
    "ffv1": ("bgr0", {}, (".avi", ".mkv")),
}
_IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp"}


def fps_fraction(fps: float) -> Fraction:
    """The rate as a fraction: 30000/1001 for 29.97002997..., 2997/100 for 29.97."""
    return Fraction(fps).limit_denominator(1001)


def write_video(spec: SynthSpec, path: Path, codec: str = "libx264") -> Path:
    """Encode all frames to ``path`` (.mp4, .avi, .mkv or .mov, as the codec allows); returns the path."""
    path = Path(path)
    if codec not in CODECS:
        raise ValueError(f"write_video: unknown codec {codec!r}; expected one of {tuple(CODECS)}")
    pix_fmt, options, containers = CODECS[codec]
    if path.suffix.lower() not in containers:
        raise ValueError(f"write_video: {codec} goes in {', '.join(containers)} files, not {path.name}")
    if spec.grayscale and codec in ("rawvideo", "ffv1"):
        pix_fmt = "gray"
    if pix_fmt.startswith("yuv") and (spec.width % 2 or spec.height % 2):
        raise ValueError(
            f"write_video: {codec} ({pix_fmt}) needs even width and height, got {spec.width}x{spec.height}"
        )
    rate = fps_fraction(spec.fps)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, pix_fmt
        stream.codec_context.time_base = 1 / rate
        source_format = "gray" if spec.grayscale else "bgr24"
        for index, image in enumerate(render_frames(spec)):
            frame = av.VideoFrame.from_ndarray(image, format=source_format)
            frame.pts = index
            frame.time_base = stream.codec_context.time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def frame_name(pattern: str, number: int) -> str:
    """The file name for one frame number, e.g. ``frame_name("006_{n:05d}.jpg", 7)``."""
    return pattern.format(n=number)


def write_image_folder(
    spec: SynthSpec, folder: Path, pattern: str = "img{n}.jpg", first_number: int = 1
) -> list[Path]:
    """Write frame i as ``folder / pattern.format(n=first_number + i)``; jpg, png or bmp by extension."""
    if not re.search(r"\{n(:[^}]*)?\}", pattern) or "/" in pattern:
        raise ValueError(f"write_image_folder: pattern {pattern!r} needs one '{{n}}' field and no '/'")
    if Path(pattern).suffix.lower() not in _IMAGE_EXTENSIONS:
        raise ValueError(
            f"write_image_folder: pattern {pattern!r} must end in one of {sorted(_IMAGE_EXTENSIONS)}"
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, image in enumerate(render_frames(spec)):
        path = folder / frame_name(pattern, first_number + index)
        params = [cv2.IMWRITE_JPEG_QUALITY, 95] if path.suffix.lower() in (".jpg", ".jpeg") else []
        if not cv2.imwrite(str(path), image, params):
            raise OSError(f"write_image_folder: could not write {path}")
        paths.append(path)
    return paths
