"""The demo corpus: generated videos whose known events are stored as intervals."""

from annotator.demo import DEMO_DATASET, build_demo
from annotator.models import Job
from inference.synth import make_spec


def test_demo_builds_videos_and_ground_truth_once(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    result = build_demo(subjects=1, seconds=6.0, seed=3)
    assert result.created and result.dataset.name == DEMO_DATASET
    video = result.videos[0]
    spec = make_spec(3 * 100 + 10 + 1, seconds=6.0, n_me=2, n_mae=1, n_blinks=2)
    stored = sorted((i.kind, i.onset, i.apex, i.offset) for i in video.intervals.all())
    assert stored == sorted((e.kind, e.onset, e.apex, e.offset) for e in spec.events)
    assert (tmp_path / "sources" / "demo" / "s01_v1.mp4").exists()
    assert Job.objects.filter(video=video).count() == 1
    again = build_demo(subjects=1, seconds=6.0, seed=3)
    assert not again.created and video.intervals.count() == len(spec.events)
