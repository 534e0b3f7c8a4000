"""The media pipeline without Django: decode a video or image folder, store display frames, track
the face, align it stably and measure per-region motion.

Public API (the Django layer calls `ingest` and shows `MediaError` messages to users):
    ingest(source, out_dir, *, fps=None, progress=None, workers=2, settings=None) -> IngestResult
    load_motion(out_dir) -> (regions, values)      load_track(out_dir) -> dict of arrays
    read_crops(out_dir, start, stop) -> (n, 128, 128) uint8
    probe(source, fps=None) -> SourceInfo           iter_frames(info, start, stop) -> (k, frame)
    FrameStore(out_dir)                             motion_plot(values, regions, fps) -> SVG bytes
"""

from inference.media.decode import MediaError, SourceInfo, iter_frames, probe
from inference.media.framestore import FrameStore
from inference.media.motion import REGIONS, motion_plot
from inference.media.pipeline import IngestResult, Settings, ingest, load_motion, load_track, read_crops

__all__ = [
    "REGIONS",
    "FrameStore",
    "IngestResult",
    "MediaError",
    "Settings",
    "SourceInfo",
    "ingest",
    "iter_frames",
    "load_motion",
    "load_track",
    "motion_plot",
    "probe",
    "read_crops",
]
