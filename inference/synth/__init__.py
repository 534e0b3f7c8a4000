"""Synthetic face videos with known ground truth, for demos, tests and benchmarks (no Django).

scikit-image's astronaut photo, placed in a frame of any size, with slow head drift, optional
sudden head turns, sensor noise and brightness flicker; micro-expressions (ME, 0.2-0.5 s, 2-4 px
at 480 lines), macro-expressions (MaE, 0.5-4 s, 5-9 px) and blinks (0.1-0.3 s) are local
displacement fields whose pattern depends on the emotion (see ``patterns``).

- ``make_spec(seed, ...) -> SynthSpec``: events with 0-based inclusive onset/apex/offset.
- ``render_frames(spec, start=0, stop=None)``: BGR (or grayscale) uint8 frames, one at a time.
- ``write_video`` / ``write_image_folder``: files in the datasets' naming patterns.
- ``make_corpus(root, layout=...)``: subjects x videos plus ``ground_truth.json``.
- ``aligned_face_clip``: face crops from the known geometry; ``no_face_spec``: scenes without a face.
- ``python -m inference.synth.check``: render rate; ``--draw DIR``: pictures of regions and patterns.
"""

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
