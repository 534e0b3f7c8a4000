"""Short generated videos, ingested through the app, with their true intervals as human labels:
the shared input of the pre-labelling, evaluation and MC-WES training tests.

The first ingest of each clip in a test session runs the real ingest command; later tests get a
copy of that frame store under a new Video row (``fresh=False``), so the suite pays for one ingest
per clip. Tests about ingest itself ask for ``fresh=True``.
"""

import functools
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from annotator.models import Dataset, Interval, Subject, Video
from annotator.models.videos import IngestState
from inference.synth import make_spec
from inference.synth.output import write_video

SPEC = {"seconds": 4.0, "width": 320, "height": 240, "n_me": 1, "n_mae": 1, "n_blinks": 0}
RENDERS = Path(tempfile.mkdtemp(prefix="mestudio-spot-tests-"))
FIELDS = ("fps", "frame_count", "width", "height", "grayscale", "first_frame_number", "source_sha256")
_stores: dict[Path, tuple[Path, dict]] = {}


@functools.cache
def rendered(seed: int, mix: tuple[int, int] = (1, 1)) -> tuple[Path, tuple]:
    """Render once per test session: (file, events); `mix` is (number of MEs, number of MaEs)."""
    spec = make_spec(seed, **{**SPEC, "n_me": mix[0], "n_mae": mix[1]})
    name = f"S{seed:02d}_clip" if mix == (1, 1) else f"S{seed:02d}_clip_{mix[0]}me{mix[1]}mae"
    path = write_video(spec, RENDERS / f"{name}.mp4")
    return path, tuple((e.kind, e.onset, e.apex, e.offset) for e in spec.events if e.kind in ("ME", "MaE"))


def _ingest(dataset: Dataset, seed: int, path: Path, fresh: bool) -> Video:
    code = f"{seed:02d}"
    if not fresh and path in _stores:
        store, fields = _stores[path]
        subject, _ = Subject.objects.get_or_create(
            dataset=dataset, normalized=str(seed), defaults={"code": code}
        )
        video = Video.objects.create(
            dataset=dataset, subject=subject, name=path.stem, source_path=str(path), **fields
        )
        video.media_dir = f"videos/{video.pk}/store"
        shutil.copytree(store, Path(settings.MEDIA_ROOT) / video.media_dir)
        video.ingest_state = IngestState.READY
        video.save()
        return video
    call_command("ingest", str(path), "--dataset", dataset.name, "--subject", code, "--now")
    video = dataset.videos.get(source_path=str(path))
    keep = RENDERS / f"store-{path.stem}"
    if path not in _stores:
        shutil.copytree(Path(settings.MEDIA_ROOT) / video.media_dir, keep)
        _stores[path] = (keep, {f: getattr(video, f) for f in FIELDS})
    return video


def ingest_videos(
    dataset: Dataset,
    seeds: tuple[int, ...] = (1, 2),
    labels: bool = True,
    fresh: bool = False,
    mixes: dict[int, tuple[int, int]] | None = None,
) -> list[Video]:
    """One ingested video per seed (subject = seed), with one ME and one MaE unless `mixes` gives
    the seed another (MEs, MaEs); true events become intervals."""
    videos = []
    for seed in seeds:
        path, events = rendered(seed, (mixes or {}).get(seed, (1, 1)))
        video = _ingest(dataset, seed, path, fresh)
        if labels:
            Interval.objects.bulk_create(
                Interval(video=video, kind=k, onset=on, apex=apex, offset=off) for k, on, apex, off in events
            )
        videos.append(video)
    return videos
