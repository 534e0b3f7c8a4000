"""Synthetic face videos with known ground truth, for demos, tests and benchmarks (no Django)."""

from inference.synth.corpus import LAYOUTS, CorpusSpec, CorpusVideo, make_corpus
from inference.synth.face import NO_FACE_SCENES, REGIONS
from inference.synth.output import CODECS, write_image_folder, write_video
from inference.synth.patterns import EMOTION_REGIONS, EMOTIONS
from inference.synth.render import aligned_face_clip, render_frames
from inference.synth.spec import HeadTurn, SynthEvent, SynthSpec, make_spec, no_face_spec

__all__ = [
    "CODECS",
    "EMOTIONS",
    "LAYOUTS",
    "EMOTION_REGIONS",
    "NO_FACE_SCENES",
    "REGIONS",
    "CorpusSpec",
    "CorpusVideo",
    "HeadTurn",
    "SynthEvent",
    "SynthSpec",
    "aligned_face_clip",
    "make_corpus",
    "make_spec",
    "no_face_spec",
    "render_frames",
    "write_image_folder",
    "write_video",
]
