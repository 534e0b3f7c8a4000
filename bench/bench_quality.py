"""Quality dashboard speed on a dataset of 200 videos x 50 human intervals and a run of the same size.

Times (wall, and the process's CPU time, steadier on a shared machine), each the best of three:
the MEGC metric alone (`evaluate_spotting` on spans already in memory, at IoU 0.5 and with the 9
thresholds of the F1-vs-IoU plot), `quality.evaluate_run` (the query and the metric), and the two
pages rendered through the test client: the dataset's Quality page (every run's MEGC scores) and
the run's dashboard (tables, plots, strips). The number of SQL queries per page is printed beside
it (it must not grow with the number of videos).
Runs on a throw-away SQLite database in a temporary var dir.
Run: .venv/bin/python bench/bench_quality.py [videos] [per_video]
"""

import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["MESTUDIO_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-quality-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mestudio.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotator import quality  # noqa: E402
from annotator.models import Dataset, Interval, Prediction, PredictionRun, Video  # noqa: E402
from inference.metrics.spotting import evaluate_spotting  # noqa: E402

EMOTIONS = ("happiness", "surprise", "disgust", "repression", "others")


def corpus(videos: int, per_video: int) -> tuple[Dataset, PredictionRun]:
    """Human intervals every 60 frames (ME mostly, some MaE); predictions near most of them, plus extras."""
    rng = random.Random(7)
    dataset = Dataset.objects.create(name="bench quality", default_fps=200.0)
    clips = Video.objects.bulk_create(
        Video(dataset=dataset, name=f"v{v:03d}", fps=200.0, frame_count=per_video * 60 + 100)
        for v in range(videos)
    )
    run = PredictionRun.objects.create(dataset=dataset, name="bench run", model=PredictionRun.Model.BASELINE)
    intervals, predictions = [], []
    for video in clips:
        for i in range(per_video):
            kind = "MaE" if i % 5 == 0 else "ME"
            onset, length = 60 * i + rng.randint(0, 10), rng.randint(8, 40)
            emotion = rng.choice(EMOTIONS)
            intervals.append(
                Interval(
                    video=video,
                    kind=kind,
                    onset=onset,
                    apex=onset + 2,
                    offset=onset + length,
                    emotion=emotion,
                )
            )
            shift = rng.randint(-12, 12) if rng.random() < 0.8 else rng.randint(20, 40)  # most near, some far
            p_onset = max(0, onset + shift)
            p_off = p_onset + max(1, length + rng.randint(-6, 6))
            predictions.append(
                Prediction(
                    run=run,
                    video=video,
                    kind=kind,
                    onset=p_onset,
                    offset=p_off,
                    score=rng.random(),
                    emotion=emotion if rng.random() < 0.7 else rng.choice(EMOTIONS),
                )
            )
    Interval.objects.bulk_create(intervals, batch_size=2000)
    Prediction.objects.bulk_create(predictions, batch_size=2000)
    return dataset, run


class Timing(tuple):
    """(wall, CPU) seconds: on a machine shared with other work the process's CPU time is the steadier."""

    def __str__(self) -> str:
        return f"{self[0] * 1000:8.1f} ms (CPU {self[1] * 1000:8.1f} ms)"


def best(fn, repeats: int = 3) -> tuple[Timing, object]:
    times, result = [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return Timing((min(t[0] for t in times), min(t[1] for t in times))), result


def page(client: Client, url: str) -> tuple[Timing, int]:
    with CaptureQueriesContext(connection) as queries:
        seconds, response = best(lambda: client.get(url))
    assert response.status_code == 200, response.status_code
    return seconds, len(queries) // 3


def main() -> None:
    videos = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    per_video = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    call_command("migrate", verbosity=0)
    dataset, run = corpus(videos, per_video)
    chosen = quality.covered_videos(run)
    truth, preds = quality.human_spans(chosen).by_video, quality.run_spans(run, chosen).by_video
    names = [v.name for v in chosen]
    one_s, one = best(lambda: evaluate_spotting(truth, preds, 0.5, videos=names))
    all_s, _ = best(lambda: evaluate_spotting(truth, preds, 0.5, videos=names, thresholds=quality.THRESHOLDS))
    run_s, _ = best(lambda: quality.evaluate_run(run))
    user = get_user_model().objects.create_superuser("bench", password="bench-pw-123")
    client = Client()
    client.force_login(user)
    dataset_page_s, dataset_queries = page(client, reverse("dataset_quality", args=[dataset.pk]))
    run_page_s, run_queries = page(client, reverse("run_quality", args=[dataset.pk, run.pk]))
    c = one.counts["overall"]
    print(
        f"{videos} videos x {per_video} intervals, {len(preds) and sum(map(len, preds.values()))} predictions "
        f"(TP {c.tp}, FP {c.fp}, FN {c.fn}); load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(f"metric at IoU 0.5: {one_s}; with the 9 F1-vs-IoU thresholds: {all_s}")
    print(f"evaluate_run (queries + metric + thresholds): {run_s}")
    print(f"dataset Quality page: {dataset_page_s}, {dataset_queries} queries")
    print(f"run dashboard page:   {run_page_s}, {run_queries} queries")


if __name__ == "__main__":
    main()
