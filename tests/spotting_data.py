"""Short generated videos, ingested through the app, with their true intervals as human labels:
the shared input of the pre-labelling, evaluation and MC-WES training tests."""

import functools
import tempfile
from pathlib import Path

from django.core.management import call_command

from annotator.models import Dataset, Interval, Video
from inference.synth import make_spec
from inference.synth.output import write_video

SPEC = {"seconds": 4.0, "width": 320, "height": 240, "n_me": 1, "n_mae": 1, "n_blinks": 0}
RENDERS = Path(tempfile.mkdtemp(prefix="mestudio-spot-tests-"))


@functools.cache
def rendered(seed: int) -> tuple[Path, tuple]:
    """Render once per test session: (file, events)."""
    spec = make_spec(seed, **SPEC)
    path = write_video(spec, RENDERS / f"S{seed:02d}_clip.mp4")
    return path, tuple((e.kind, e.onset, e.apex, e.offset) for e in spec.events if e.kind in ("ME", "MaE"))


def ingest_videos(dataset: Dataset, seeds: tuple[int, ...] = (1, 2), labels: bool = True) -> list[Video]:
    """Ingest one video per seed (subject = seed) in this process; true events become intervals."""
    videos = []
    for seed in seeds:
        path, events = rendered(seed)
        call_command("ingest", str(path), "--dataset", dataset.name, "--subject", f"{seed:02d}", "--now")
        video = dataset.videos.get(source_path=str(path))
        if labels:
            Interval.objects.bulk_create(
                Interval(video=video, kind=k, onset=on, apex=apex, offset=off) for k, on, apex, off in events
            )
        videos.append(video)
    return videos
