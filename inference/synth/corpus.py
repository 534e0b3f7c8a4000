"""A small corpus on disk in a dataset's layout, with its ground truth in ``ground_truth.json``.

Layouts:
- ``mp4``: ``root/<subject>/<video>.mp4`` (subjects ``s01``..., videos ``v01``...), first frame number 0.
- ``casme2``: ``root/subNN/EPxx_yy/imgN.jpg``; each clip starts at a random original frame
  number (as CASME II clips do), so ``first_frame_number`` is not 1; by default a 2 s clip with
  one ME and nothing else.
- ``samm-lv``: ``root/006_1/006_1_0001.jpg`` (subject ``006``, 1-based, 4 digits and more).

In ``ground_truth.json`` onset/apex/offset are 0-based frame indices; the dataset's own frame
number is ``first_frame_number + index``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.synth.output import write_image_folder, write_video
from inference.synth.spec import SynthSpec, make_spec

LAYOUTS = ("mp4", "casme2", "samm-lv")


@dataclass
class CorpusVideo:
    subject: str
    name: str
    path: Path  # a video file, or the folder of an image sequence
    first_frame_number: int
    spec: SynthSpec

    def to_dict(self, root: Path) -> dict:
        return {
            "subject": self.subject,
            "video": self.name,
            "path": self.path.relative_to(root).as_posix(),
            "first_frame_number": self.first_frame_number,
            "fps": self.spec.fps,
            "frame_count": self.spec.frame_count,
            "events": self.spec.to_dict()["events"],
            "spec": self.spec.to_dict(),
        }


@dataclass
class CorpusSpec:
    root: Path
    layout: str
    subjects: list[str] = field(default_factory=list)
    videos: list[CorpusVideo] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "layout": self.layout,
            "subjects": self.subjects,
            "videos": [v.to_dict(self.root) for v in self.videos],
        }

    @classmethod
    def load(cls, root: Path) -> CorpusSpec:
        """Read ``root/ground_truth.json`` back."""
        root = Path(root)
        data = json.loads((root / "ground_truth.json").read_text())
        videos = [
            CorpusVideo(
                v["subject"],
                v["video"],
                root / v["path"],
                v["first_frame_number"],
                SynthSpec.from_dict(v["spec"]),
            )
            for v in data["videos"]
        ]
        return cls(root, data["layout"], data["subjects"], videos)


def make_corpus(
    root: Path,
    *,
    subjects: int = 3,
    videos_per_subject: int = 2,
    seed: int = 0,
    layout: str = "mp4",
    **spec_kwargs,
) -> CorpusSpec:
    """Render ``subjects x videos_per_subject`` videos under ``root`` and write ground_truth.json.

    ``spec_kwargs`` go to ``make_spec`` (fps, seconds, n_me...). Each video has its own seed
    derived from ``seed``; subjects differ only by seed (the face is always the astronaut).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"make_corpus: unknown layout {layout!r}; expected one of {LAYOUTS}")
    if subjects < 1 or videos_per_subject < 1:
        raise ValueError("make_corpus: subjects and videos_per_subject must be >= 1")
    if layout == "casme2":  # a CASME II clip holds one ME; explicit arguments still win
        spec_kwargs = {"seconds": 2.0, "n_me": 1, "n_mae": 0, "n_blinks": 0} | spec_kwargs
    root = Path(root)
    rng = np.random.default_rng([seed, 3])
    corpus = CorpusSpec(root, layout)
    for s in range(1, subjects + 1):
        subject = {"mp4": f"s{s:02d}", "casme2": f"sub{s:02d}", "samm-lv": f"{5 + s:03d}"}[layout]
        corpus.subjects.append(subject)
        for v in range(1, videos_per_subject + 1):
            spec = make_spec(int(rng.integers(0, 2**31)), **spec_kwargs)
            if layout == "mp4":
                name, first = f"v{v:02d}", 0
                path = write_video(spec, root / subject / f"{name}.mp4")
            elif layout == "casme2":
                name, first = f"EP{v:02d}_{int(rng.integers(1, 20)):02d}", int(rng.integers(1, 300))
                path = root / f"sub{s:02d}" / name
                write_image_folder(spec, path, "img{n}.jpg", first)
            else:
                name, first = f"{subject}_{v}", 1
                path = root / name
                write_image_folder(spec, path, f"{name}_{{n:04d}}.jpg", first)
            corpus.videos.append(CorpusVideo(subject, name, path, first, spec))
    (root / "ground_truth.json").write_text(json.dumps(corpus.to_dict(), indent=1))
    return corpus
