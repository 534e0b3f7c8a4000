"""Spotting services: pre-labelling runs (baseline, MC-WES) and their MEGC evaluation.

The pure spotters live in ``inference/``; this module feeds them an ingested video's stored
signals, keeps the slow window-speed signal cached next to them, and writes the output as a
PredictionRun. Every candidate is stored with its score and the run's threshold hides the weak
ones, so re-thresholding a run needs no re-run (the predictions API and the metrics read it).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inference.media.pipeline import load_motion, read_crops
from inference.spotting.baseline import BaselineParams, select, spot
from inference.spotting.signals import window_speed

from . import quality
from .models import Dataset, ModelCheckpoint, Prediction, PredictionCurve, PredictionRun, Video
from .models.videos import IngestState

WINDOW_FILE = "window.npz"
BASELINE_CURVES = ("accumulated", "window:accumulated")
MCWES_CURVES = ("expression", "ME", "MaE", "attention")  # expression: what proposals come from
AFTER_INGEST_RUN = "Baseline (after ingest)"


class SpottingError(Exception):
    """Bad input for spotting, with a message for the user that names the video or the file."""


def store_dir(video: Video) -> Path:
    return Path(settings.MEDIA_ROOT) / video.media_dir


def motion_signals(video: Video) -> tuple[list[str], np.ndarray]:
    """The per-frame region speeds ingest stored; refuses a video whose ingest did not finish."""
    if video.ingest_state != IngestState.READY or not video.media_dir or not video.fps:
        state = video.get_ingest_state_display().lower()
        raise SpottingError(
            f"Video {video.name} (#{video.pk}) has no motion signals ({state}); ingest it first."
        )
    path = store_dir(video) / "motion.npz"
    if not path.is_file():
        raise SpottingError(f"Video {video.name} (#{video.pk}): {path} is missing; re-ingest the video.")
    return load_motion(store_dir(video))


def window_signals(video: Video, frames: int, half_s: float) -> tuple[np.ndarray, bool]:
    """Window speed (``signals.window_speed``) of a video and whether it came from the cache.

    It costs about twice real time, so it is computed once from the stored crops and kept in the
    store folder (written to a temporary name, then renamed: a killed job leaves no half file).
    """
    path = store_dir(video) / WINDOW_FILE
    if path.is_file():
        with np.load(path) as data:
            if float(data["half_s"]) == half_s and data["values"].shape[0] == frames:
                return data["values"], True
    values = window_speed(read_crops(store_dir(video), 0, frames), float(video.fps), half_s)
    tmp = path.with_name(f".{WINDOW_FILE}.{os.getpid()}.tmp.npz")
    np.savez(tmp, values=values, half_s=np.float64(half_s))
    os.replace(tmp, path)
    return values, False


def baseline_output(video: Video, params: BaselineParams) -> tuple[list[dict], dict[str, np.ndarray], dict]:
    """Intervals (every candidate down to ``candidate_height``), curves and timing facts."""
    regions, values = motion_signals(video)
    window, cached = window_signals(video, len(values), params.window_half_s)
    result = spot(values, regions, float(video.fps), params, window_values=window)
    minutes = result.frame_count / result.fps / 60.0
    kept = select(result.candidates, params.score_cut(params.candidate_height), params, minutes)
    intervals = [
        {"kind": c.kind, "onset": c.onset, "apex": c.apex, "offset": c.offset, "score": c.score} for c in kept
    ]
    curves = {name: result.curves[name] for name in BASELINE_CURVES if name in result.curves}
    return intervals, curves, {"window_cached": cached, "frames": len(values)}


def mcwes_output(video: Video, checkpoint) -> tuple[list[dict], dict[str, np.ndarray], dict]:
    """MC-WES intervals and curves of a video, from its stored crops and motion."""
    from inference.mcwes import VideoInput, predict

    regions, values = motion_signals(video)
    crops = read_crops(store_dir(video), 0, len(values))
    intervals, curves = predict(checkpoint, VideoInput(fps=float(video.fps), crops=crops, motion=values))
    return intervals, {k: curves[k] for k in MCWES_CURVES}, {"frames": len(values)}


def load_mcwes(record: ModelCheckpoint):
    """The trained MC-WES behind a registry entry; a missing, foreign or damaged file is refused."""
    from inference.mcwes import load_checkpoint

    if record.kind != ModelCheckpoint.Kind.MCWES:
        raise SpottingError(f"Checkpoint {record.name} (#{record.pk}) is a {record.kind} model, not MC-WES.")
    path = Path(settings.MEDIA_ROOT) / record.file
    try:
        return load_checkpoint(path)
    except (FileNotFoundError, ValueError) as exc:
        raise SpottingError(f"Checkpoint {record.name} (#{record.pk}): {exc}") from exc


@transaction.atomic
def save_video_output(run: PredictionRun, video: Video, intervals: list[dict], curves: dict) -> int:
    """Replace one video's predictions and curves in a run (a retry never duplicates them)."""
    Prediction.objects.filter(run=run, video=video).delete()
    PredictionCurve.objects.filter(run=run, video=video).delete()
    last = (video.frame_count or 1) - 1
    Prediction.objects.bulk_create(
        Prediction(
            run=run,
            video=video,
            kind=iv["kind"],
            onset=int(iv["onset"]),
            apex=None if iv.get("apex") is None else min(max(int(iv["apex"]), iv["onset"]), iv["offset"]),
            offset=min(int(iv["offset"]), last),
            score=round(float(iv["score"]), 6),
        )
        for iv in intervals
        if int(iv["onset"]) <= last
    )
    PredictionCurve.objects.bulk_create(
        PredictionCurve(run=run, video=video, name=name, values=[round(float(v), 4) for v in values])
        for name, values in curves.items()
    )
    return len(intervals)


def prelabel(
    run: PredictionRun,
    videos: Iterable[Video],
    progress: Callable[[int, int, Video], None] | None = None,
    resume: bool = False,
) -> dict:
    """Spot every video into ``run``; with ``resume`` (a retried job) videos it covers are skipped.

    Videos without motion signals are listed, not fatal, unless no video could be spotted.
    """
    videos = list(videos)
    report = run.report or {}
    done: list[int] = report.get("done", [])
    skipped: list[str] = report.get("skipped", [])
    checkpoint = load_mcwes(run.checkpoint) if run.model == PredictionRun.Model.MCWES else None
    params = BaselineParams(**run.params) if run.model == PredictionRun.Model.BASELINE else None
    seconds = {"frames": 0, "video_s": 0.0, "spot_s": 0.0, "window_cached": 0}
    seconds.update(report.get("timing", {}))
    for i, video in enumerate(videos):
        if progress:
            progress(i, len(videos), video)
        if resume and video.pk in done:
            continue
        started = timezone.now()
        try:
            if checkpoint is not None:
                intervals, curves, facts = mcwes_output(video, checkpoint)
            else:
                intervals, curves, facts = baseline_output(video, params)
        except SpottingError as exc:
            skipped.append(str(exc))
            continue
        save_video_output(run, video, intervals, curves)
        seconds["frames"] += facts["frames"]
        seconds["video_s"] += facts["frames"] / float(video.fps)
        seconds["spot_s"] += (timezone.now() - started).total_seconds()
        seconds["window_cached"] += int(facts.get("window_cached", False))
        done = sorted(set(done) | {video.pk})
        report = {"done": done, "skipped": skipped, "timing": seconds}
        PredictionRun.objects.filter(pk=run.pk).update(report=report)
    if not done:
        raise SpottingError(
            "No video could be pre-labelled: " + " ".join(skipped or ["the dataset has none."])
        )
    report = {"done": done, "skipped": skipped, "timing": seconds}
    PredictionRun.objects.filter(pk=run.pk).update(report=report, finished_at=timezone.now())
    run.report = report
    return report


def new_run(
    dataset: Dataset,
    model: str,
    *,
    checkpoint: ModelCheckpoint | None = None,
    name: str = "",
    job=None,
    user=None,
) -> PredictionRun:
    """A run for a prelabel job; the same job (a retry) gets the same run back."""
    if job is not None:
        existing = PredictionRun.objects.filter(job=job).first()
        if existing is not None:
            return existing
    if model == PredictionRun.Model.MCWES and checkpoint is None:
        raise SpottingError("MC-WES needs a trained checkpoint; train one first (see the models page).")
    if model == PredictionRun.Model.BASELINE:
        params = BaselineParams()
        values, threshold = params.to_dict(), params.score_cut()
    else:
        values, threshold = {}, 0.0
    if name:
        run, _ = PredictionRun.objects.get_or_create(
            dataset=dataset,
            name=name,
            defaults={"model": model, "checkpoint": checkpoint, "params": values, "threshold": threshold},
        )
        return run
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M:%S")
    label = f"{PredictionRun.Model(model).label} {stamp}" + (f" ({checkpoint.name})" if checkpoint else "")
    base, n = label, 1
    while PredictionRun.objects.filter(dataset=dataset, name=label).exists():
        n += 1
        label = f"{base} #{n}"
    return PredictionRun.objects.create(
        dataset=dataset,
        name=label,
        model=model,
        checkpoint=checkpoint,
        params=values,
        threshold=threshold,
        job=job,
        created_by=user if user is not None and user.is_authenticated else None,
    )


def prelabel_candidates(dataset: Dataset, video_id: int | None = None):
    videos = dataset.videos.filter(ingest_state=IngestState.READY).order_by("pk")
    if video_id is not None:
        videos = dataset.videos.filter(pk=video_id)
        if not videos.exists():
            raise SpottingError(f"Dataset {dataset.name} has no video #{video_id}.")
    return videos


def evaluate_run(run: PredictionRun, iou: float = 0.5, store: bool = True) -> dict:
    """MEGC counts of a run against all human intervals of the videos it covers, per video and
    pooled, in the shape stored on the run and shown on its page (quality's evaluation, one path)."""
    spotting = quality.evaluate_run(run, iou, thresholds=()).spotting
    overall = spotting.counts["overall"]
    metrics = {
        "threshold": run.threshold,
        "iou_threshold": iou,
        "pooled": {k: c.to_dict() for k, c in spotting.counts.items()},
        "videos": {v: {k: c.to_dict() for k, c in r.counts.items()} for v, r in spotting.videos.items()},
        "human_intervals": overall.tp + overall.fn,  # the scored ME/MaE truths
    }
    if store:
        PredictionRun.objects.filter(pk=run.pk).update(metrics=metrics)
        run.metrics = metrics
    return metrics


def speed(report: dict) -> float | None:
    """Pre-labelling speed as a multiple of real time (video seconds per second spent)."""
    timing = (report or {}).get("timing") or {}
    spent = timing.get("spot_s") or 0.0
    return timing["video_s"] / spent if spent > 0 and not math.isnan(spent) else None
