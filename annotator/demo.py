"""The demo corpus: generated face videos whose ground truth is stored as human intervals.

Used by `manage.py demo` (what a newcomer sees after `make run`) and by tests. The videos come
from `inference.synth` (scikit-image's astronaut photo animated with head motion, noise, blinks
and local deformations at known onset/apex/offset), so every label is exact by construction.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from inference.synth import make_spec
from inference.synth.output import write_video

from .ingest import Source, add_source
from .labels import create_interval
from .models import Dataset, Job, Membership, Role, Video

DEMO_DATASET = "Demo corpus"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-mestudio"


@dataclass
class DemoResult:
    dataset: Dataset
    videos: list[Video]
    jobs: list[Job]
    created: bool


def ensure_demo_user(password: str = DEMO_PASSWORD):
    user, created = get_user_model().objects.get_or_create(username=DEMO_USER)
    if created:
        user.set_password(password)
        user.save()
    return user


def build_demo(
    *, subjects: int = 2, videos_per_subject: int = 1, seconds: float = 12.0, seed: int = 7
) -> DemoResult:
    """Create (once) the demo dataset, its videos and intervals, and queue their processing jobs."""
    user = ensure_demo_user()
    existing = Dataset.objects.filter(name=DEMO_DATASET).first()
    if existing is not None:
        return DemoResult(existing, list(existing.videos.all()), [], created=False)
    folder = Path(settings.MEDIA_ROOT) / "sources" / "demo"
    videos, jobs = [], []
    with transaction.atomic():
        dataset = Dataset.objects.create(
            name=DEMO_DATASET,
            default_fps=30.0,
            description="Generated face videos with known micro- and macro-expressions and blinks.",
        )
        Membership.objects.create(dataset=dataset, user=user, role=Role.OWNER)
        for s in range(1, subjects + 1):
            for v in range(1, videos_per_subject + 1):
                spec = make_spec(seed * 100 + s * 10 + v, seconds=seconds, n_me=2, n_mae=1, n_blinks=2)
                path = write_video(spec, folder / f"s{s:02d}_v{v}.mp4")
                video, job = add_source(dataset, Source(path, path.stem, f"{s:02d}"), user)
                for event in spec.events:
                    values = {
                        "kind": event.kind,
                        "onset": event.onset,
                        "apex": event.apex,
                        "offset": event.offset,
                    }
                    notes = f"generated at {', '.join(event.regions)}"
                    create_interval(video, values | {"emotion": event.emotion or "", "notes": notes}, user)
                videos.append(video)
                jobs.append(job)
    return DemoResult(dataset, videos, jobs, created=True)
