"""Pre-labelling and MC-WES training through the app, on a generated corpus.

Renders (or reuses, see ``bench_baseline.corpus``) one corpus of ``bench_baseline``, ingests its
videos into a fresh database with ``manage.py ingest``, stores the true events as human
intervals, then through the jobs: the baseline pre-labelling job twice (window-speed cache cold,
then warm), ``evaluate`` of its run, and MC-WES trained leave-one-subject-out with whole-video
tags, with window tags and with frame-level labels (F1 of the held-out subjects, seconds per
epoch), and pre-labelling with the video-tag checkpoint. Speed = seconds of video / seconds of
the job's spotting (window speed, reading signals, spotting, writing rows), and also over the
job's whole wall time. Torch and OpenCV are held to 2 threads (the 2-core target).

    .venv/bin/python bench/bench_prelabel.py [--corpus test] [--epochs 30] [--no-mcwes]

Measured 2026-11-30 on the shared 2-core machine (load average ~18: other engineers' jobs and
tests), test corpus, 4 subjects x 20 s at 30 fps, 640x480:
- ingest 0.33x real time.
- baseline job, window speed cold: 0.7x real time (the window speed dominates); warm (window.npz
  cached): spotting 112x real time, 78x over the whole job. MEGC: ME F1 0.848 (TP 14 FP 3 FN 2),
  MaE F1 0.706 (6/3/2), overall F1 0.800 (20/6/4); the same for both runs.
- MC-WES, 10 epochs (the 30-epoch run did not fit the time; the MC-WES part was rerun on the same
  database with --epochs 10), LOSO over 4 subjects, overall F1: video tags 0.061, window tags
  (5 s windows) 0.045, frame-level labels 0.000; s/epoch 10.3 (video, measured while tests ran),
  2.8 (window), 1.7 (frames). Pre-labelling with the video-tag checkpoint: 7.4x real time,
  overall F1 0.182 on its own training videos. MC-WES does not reach the baseline here.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("MESTUDIO_VAR_DIR", tempfile.mkdtemp(prefix="bench-prelabel-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mestudio.settings")

import cv2  # noqa: E402
import django  # noqa: E402
import torch  # noqa: E402

django.setup()

from bench_baseline import CORPORA, corpus  # noqa: E402
from django.core.management import call_command  # noqa: E402

from annotator.models import Dataset, Interval, Job, ModelCheckpoint, PredictionRun, WeakLabel  # noqa: E402
from annotator.spotting import evaluate_run, speed  # noqa: E402
from inference.mcwes import windows_from_intervals  # noqa: E402

WINDOW_S = 5.0  # window tags: what a coder skimming 5-second windows would mark


def f1s(metrics: dict) -> str:
    parts = []
    for kind in ("ME", "MaE", "overall"):
        c = metrics[kind]
        f1 = "n/a" if c["f1"] is None else f"{c['f1']:.3f}"
        parts.append(f"{kind} TP {c['tp']} FP {c['fp']} FN {c['fn']} F1 {f1}")
    return " | ".join(parts)


def prelabel(dataset: Dataset, name: str, *extra: str) -> PredictionRun:
    started = time.perf_counter()
    call_command(
        "prelabel", "--dataset", dataset.name, "--name", name, "--now", *extra, stdout=open(os.devnull, "w")
    )
    wall = time.perf_counter() - started
    run = PredictionRun.objects.get(dataset=dataset, name=name)
    timing = run.report["timing"]
    print(
        f"{name}: {timing['video_s']:.0f} s of video, spotting {speed(run.report):.1f}x real time, "
        f"whole job {timing['video_s'] / wall:.1f}x, window speed from cache on "
        f"{timing.get('window_cached', 0)}/{len(run.report['done'])} videos"
    )
    metrics = evaluate_run(run)
    print(f"   MEGC (IoU 0.5, threshold {run.threshold:.3f}): {f1s(metrics['pooled'])}")
    return run


def train(dataset: Dataset, labels: str, epochs: int) -> ModelCheckpoint:
    name = f"mcwes-{labels}"
    started = time.perf_counter()
    call_command(
        "train", "--model", "mcwes", "--dataset", dataset.name, "--weak-labels", labels, "--loso",
        "--epochs", str(epochs), "--name", name, "--now", stdout=open(os.devnull, "w"),
    )  # fmt: skip
    record = ModelCheckpoint.objects.get(dataset=dataset, name=name)
    data = record.training_data
    print(
        f"MC-WES labels={labels}: LOSO {record.metrics['folds']} folds + final, {epochs} epochs, "
        f"{data['seconds_per_epoch']:.2f} s/epoch ({len(data['videos'])} videos), "
        f"{time.perf_counter() - started:.0f} s in all"
    )
    print(f"   LOSO MEGC: {f1s(record.metrics['pooled'])}")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="test")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mestudio-bench-baseline"))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--no-mcwes", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    cv2.setNumThreads(2)
    call_command("migrate", verbosity=0)
    data = corpus(args.cache / args.corpus, CORPORA[args.corpus])
    dataset = Dataset.objects.create(name=f"bench {args.corpus}")
    started = time.perf_counter()
    links = Path(os.environ["MESTUDIO_VAR_DIR"]) / "sources"
    links.mkdir(exist_ok=True)
    for item in data.videos:
        source = links / f"{item.subject}_{item.path.name}"  # the corpus repeats v01.mp4 per subject
        source.symlink_to(item.path)
        call_command(
            "ingest", str(source), "--dataset", dataset.name, "--subject", item.subject, "--now",
            stdout=open(os.devnull, "w"),
        )  # fmt: skip
        video = dataset.videos.get(source_path=str(source))
        events = [e for e in item.spec.events if e.kind in ("ME", "MaE")]
        Interval.objects.bulk_create(
            Interval(video=video, kind=e.kind, onset=e.onset, apex=e.apex, offset=e.offset) for e in events
        )
        kinds = {e.kind for e in events}
        WeakLabel.objects.create(video=video, contains_me="ME" in kinds, contains_mae="MaE" in kinds)
        spans = [{"kind": e.kind, "onset": e.onset, "offset": e.offset} for e in events]
        for start, end, tags in windows_from_intervals(spans, video.frame_count, round(WINDOW_S * video.fps)):
            WeakLabel.objects.create(
                video=video,
                start=start,
                end=end,
                contains_me=bool(tags["ME"]),
                contains_mae=bool(tags["MaE"]),
            )
    seconds = sum(v.frame_count / v.fps for v in dataset.videos.all())
    print(
        f"corpus {args.corpus}: {dataset.videos.count()} videos, {seconds:.0f} s at 30 fps; "
        f"ingest {seconds / (time.perf_counter() - started):.2f}x real time"
    )
    prelabel(dataset, "baseline cold")
    prelabel(dataset, "baseline warm")
    if args.no_mcwes:
        return
    results = {labels: train(dataset, labels, args.epochs) for labels in ("video", "window", "frames")}
    prelabel(dataset, "mcwes video tags", "--model", "mcwes", "--checkpoint", str(results["video"].pk))
    failed = Job.objects.filter(state=Job.State.FAILED).count()
    print(json.dumps({"failed_jobs": failed}))


if __name__ == "__main__":
    main()
