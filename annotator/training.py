"""MC-WES training on a dataset: labels from the app, snippet features cached, LOSO evaluation,
and a registered ModelCheckpoint with its metrics, training data, parameters and file hash.

Work files of a job live in ``MEDIA_ROOT/training/job-<id>/``: an epoch checkpoint per fold (a
retried job resumes from it) and each finished fold's predictions (a retry skips the fold). The
registry entry is created only after the final file is complete, in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from inference.media.pipeline import read_crops
from inference.metrics.spans import Span
from inference.metrics.spotting import evaluate_spotting

from .models import Dataset, ModelCheckpoint, Video
from .models.videos import IngestState
from .spotting import SpottingError, motion_signals, store_dir

LABEL_MODES = ("video", "window", "from-intervals", "frames")
SNIPPET_KEYS = ("canonical_fps", "snippet_len", "snippet_stride", "crop_size", "reference_window_s")
Progress = Callable[[float, str, str], None]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _intervals(video: Video) -> list[dict]:
    return [
        {"kind": k, "onset": on, "offset": off}
        for k, on, off in video.intervals.filter(kind__in=["ME", "MaE"], offset__isnull=False).values_list(
            "kind", "onset", "offset"
        )
    ]


def training_set(dataset: Dataset, mode: str) -> list[dict]:
    """Per usable video: the Video, its weak labels and windows for ``mode``. Refuses a dataset
    where the mode finds nothing to learn from, saying what to add."""
    if mode not in LABEL_MODES:
        raise SpottingError(f"Unknown label mode {mode!r}; use one of {', '.join(LABEL_MODES)}.")
    items = []
    for video in dataset.videos.filter(ingest_state=IngestState.READY).select_related("subject"):
        weak = list(video.weak_labels.all())
        whole = [w for w in weak if w.start is None]
        item = {"video": video, "labels": None, "windows": [], "intervals": None}
        if mode == "video" and whole:
            item["labels"] = {"ME": int(whole[-1].contains_me), "MaE": int(whole[-1].contains_mae)}
        elif mode == "window":
            item["windows"] = [
                (
                    w.start,
                    min(w.end, video.frame_count - 1),
                    {"ME": int(w.contains_me), "MaE": int(w.contains_mae)},
                )
                for w in weak
                if w.start is not None and w.start < video.frame_count - 1
            ]
        elif mode in ("from-intervals", "frames") and video.intervals.exists():
            item["intervals"] = _intervals(video)
        if item["labels"] or item["windows"] or item["intervals"] is not None:
            items.append(item)
    if not items:
        need = {
            "video": "tag whole videos as containing ME / MaE / nothing (video page, weak labels)",
            "window": "tag windows of videos (timeline or video page, weak labels)",
            "from-intervals": "label intervals on some videos",
            "frames": "label intervals on some videos",
        }[mode]
        raise SpottingError(f"Dataset {dataset.name} has no training labels for mode {mode!r}: {need}.")
    if mode != "frames" and (problem := _contrast_problem(items)):
        raise SpottingError(f"Weak labels cannot train MC-WES: {problem}.")
    return items


def _contrast_problem(items: list[dict], without_subject: str | None = None) -> str | None:
    """inference.mcwes.labels.contrast_problem of the training items, from their labels alone."""
    from inference.mcwes import VideoInput
    from inference.mcwes.labels import contrast_problem

    return contrast_problem(
        [
            VideoInput(
                fps=1.0,
                n_frames=item["video"].frame_count,
                labels=item["labels"],
                intervals=item["intervals"],
                windows=item["windows"],
                video_id=str(item["video"].pk),
            )
            for item in items
            if without_subject is None or _subject_code(item["video"]) != without_subject
        ]
    )


def _subject_code(video: Video) -> str:
    return video.subject.code if video.subject_id else f"video-{video.pk}"


def video_input(item: dict):
    """The inputs MC-WES reads for one training video, from its store."""
    from inference.mcwes import VideoInput

    video: Video = item["video"]
    _, motion = motion_signals(video)
    return VideoInput(
        fps=float(video.fps),
        crops=read_crops(store_dir(video), 0, len(motion)),
        motion=motion,
        labels=item["labels"],
        intervals=item["intervals"],
        windows=item["windows"],
        video_id=str(video.pk),
        subject=_subject_code(video),
    )


def _cache_path(video_id: str, config) -> Path:
    key = json.dumps({k: getattr(config, k) for k in SNIPPET_KEYS}, sort_keys=True)
    digest = hashlib.sha1(f"{key}|{video_id}".encode()).hexdigest()[:16]
    video = Video.objects.get(pk=int(video_id.split("[")[0]))
    return store_dir(video) / "mcwes" / f"{digest}.npz"


def load_snippet_cache(ids: list[str], config) -> dict:
    """Snippet inputs prepared by earlier trainings with the same input settings."""
    from inference.mcwes.data import SnippetInputs

    cache = {}
    for vid in ids:
        path = _cache_path(vid, config)
        if path.is_file():
            with np.load(path, allow_pickle=False) as data:
                values = {f.name: data[f.name] for f in fields(SnippetInputs) if f.name in data.files}
            values["features"] = None
            values["step"], values["n_frames"] = float(values["step"]), int(values["n_frames"])
            cache[vid] = SnippetInputs(**values)
    return cache


def save_snippet_cache(cache: dict, config) -> int:
    """Write the snippet inputs not on disk yet (atomically); returns how many were written."""
    written = 0
    for vid, x in cache.items():
        path = _cache_path(vid, config)
        if path.is_file():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            appearance=x.appearance,
            difference=x.difference,
            regional=x.regional,
            step=x.step,
            n_frames=x.n_frames,
        )
        os.replace(tmp, path)
        written += 1
    return written


def _spans(intervals: list[dict]) -> list[Span]:
    return [Span(iv["kind"], int(iv["onset"]), int(iv["offset"]), score=iv.get("score")) for iv in intervals]


def _snippet_ids(videos: list) -> list[str]:
    from inference.mcwes import split_windows

    return [sub.video_id for v in videos for sub in split_windows(v)]


def train_mcwes(
    dataset: Dataset,
    *,
    mode: str,
    epochs: int,
    loso: bool,
    work: Path,
    name: str,
    progress: Progress,
    job=None,
    user=None,
    seed: int = 0,
) -> ModelCheckpoint:
    """Train (and with ``loso`` first evaluate leave-one-subject-out), then register the model.

    LOSO folds train for the fixed number of epochs: nothing is chosen on the held-out subject.
    """
    from inference.mcwes import MCWESConfig, predict, save_checkpoint, train

    if job is not None:
        done = ModelCheckpoint.objects.filter(job=job).first()
        if done is not None:
            return done
    if ModelCheckpoint.objects.filter(dataset=dataset, name=name).exists():
        raise SpottingError(
            f"Dataset {dataset.name} already has a checkpoint called {name!r}; choose another name."
        )
    items = training_set(dataset, mode)
    progress(1, "preparing", f"loading {len(items)} video(s)")
    videos = [video_input(item) for item in items]
    config = MCWESConfig(epochs=epochs, supervision="frame" if mode == "frames" else "video")
    ids = _snippet_ids(videos)
    cache = load_snippet_cache(ids, config)
    reused = len(cache)
    work.mkdir(parents=True, exist_ok=True)
    subjects = sorted({v.subject for v in videos})
    folds = subjects if loso else []
    if loso and len(subjects) < 2:
        raise SpottingError(f"Leave-one-subject-out needs videos of two subjects or more; found {subjects}.")
    for held in folds if mode != "frames" else []:  # every fold's training set, before any epoch
        if problem := _contrast_problem(items, without_subject=held):
            raise SpottingError(
                f"Weak labels cannot train MC-WES (leave-one-subject-out fold without subject {held}): {problem}."
            )
    total = (len(folds) + 1) * epochs

    epoch_times: list[float] = []
    clock = [time.perf_counter()]

    def report(step: int, what: str) -> Callable[[int, dict], None]:
        clock[0] = time.perf_counter()

        def on_epoch(epoch: int, losses: dict) -> None:
            epoch_times.append(time.perf_counter() - clock[0])
            clock[0] = time.perf_counter()
            done = step * epochs + epoch
            progress(
                2 + 96 * done / total, what, f"{what}: epoch {epoch}/{epochs}, loss {losses['total']:.4f}"
            )

        return on_epoch

    truth: dict[str, list[Span]] = {}
    preds: dict[str, list[Span]] = {}
    for k, held in enumerate(folds):
        fold_file = work / f"fold-{k}.json"
        test = [v for v in videos if v.subject == held]
        if fold_file.is_file():
            found = json.loads(fold_file.read_text())
        else:
            fold = train(
                [v for v in videos if v.subject != held],
                config,
                seed=seed,
                progress=report(k, f"LOSO fold {k + 1}/{len(folds)} (test {held})"),
                checkpoint_path=work / f"fold-{k}.pt",
                resume=True,
                cache=cache,
            )
            found = {v.video_id: predict(fold, v, device="cpu")[0] for v in test}
            tmp = fold_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(found))
            os.replace(tmp, fold_file)
        for v in test:
            truth[v.video_id] = _spans(_intervals(Video.objects.get(pk=int(v.video_id))))
            preds[v.video_id] = _spans(found[v.video_id])
    metrics = None
    if folds:
        result = evaluate_spotting(truth, preds, videos=list(truth))
        metrics = {
            "protocol": "leave-one-subject-out",
            "folds": len(folds),
            "pooled": {k: c.to_dict() for k, c in result.counts.items()},
        }
    final = train(
        videos,
        config,
        seed=seed,
        progress=report(len(folds), "final model"),
        checkpoint_path=work / "final-epochs.pt",
        resume=True,
        cache=cache,
    )
    written = save_snippet_cache(cache, config)
    target_dir = Path(settings.MEDIA_ROOT) / "checkpoints" / str(dataset.pk)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"mcwes-{job.pk if job else 'cli'}-{slugify(name)}.pt"  # job ids keep names apart
    save_checkpoint(final, target)
    history = final.history
    with transaction.atomic():
        record = ModelCheckpoint.objects.create(
            dataset=dataset,
            kind=ModelCheckpoint.Kind.MCWES,
            name=name,
            file=str(target.relative_to(settings.MEDIA_ROOT)),
            sha256=sha256_of(target),
            config=final.config.to_dict(),
            metrics=metrics,
            training_data={
                "label_mode": mode,
                "videos": [{"id": int(v.video_id), "subject": v.subject} for v in videos],
                "subjects": subjects,
                "epochs": epochs,
                "seed": seed,
                "final_loss": history[-1]["total"] if history else None,
                "seconds_per_epoch": round(float(np.median(epoch_times)), 3) if epoch_times else None,
                "snippet_cache": {"reused": reused, "written": written},
            },
            job=job,
            created_by=user if user is not None and user.is_authenticated else None,
        )
    progress(100, "done", f"registered {record.name}")
    return record


def _validate_file(kind: str, path: Path) -> dict:
    """Load the file as ``kind`` (kind entry, config, every weight's shape); returns its config."""
    if kind == ModelCheckpoint.Kind.MCWES:
        from inference.mcwes import load_checkpoint

        return load_checkpoint(path).config.to_dict()
    if kind == ModelCheckpoint.Kind.MOL:
        from inference.mol.checkpoint import Checkpoint

        ckpt = Checkpoint.load(path)
        ckpt.build()
        return ckpt.to_dict().get("config", {})
    raise SpottingError(f"Unknown model kind {kind!r}.")


def register_upload(dataset: Dataset, kind: str, name: str, chunks, expected_sha256: str = "", user=None):
    """Register an uploaded checkpoint after validating it; a refused file leaves nothing behind."""
    name = name.strip()
    if not name:
        raise SpottingError("Give the checkpoint a name.")
    if ModelCheckpoint.objects.filter(dataset=dataset, name=name).exists():
        raise SpottingError(f"Dataset {dataset.name} already has a checkpoint called {name!r}.")
    target_dir = Path(settings.MEDIA_ROOT) / "checkpoints" / str(dataset.pk)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{kind}-upload-{hashlib.sha1(name.encode()).hexdigest()[:10]}-{slugify(name)}.pt"
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as fh:
            for chunk in chunks:
                digest.update(chunk)
                fh.write(chunk)
        sha = digest.hexdigest()
        if expected_sha256 and expected_sha256.strip().lower() != sha:
            raise SpottingError(f"The file's SHA-256 is {sha}, not the {expected_sha256.strip()} given.")
        try:
            config = _validate_file(kind, tmp)
        except (ValueError, FileNotFoundError, RuntimeError) as exc:
            raise SpottingError(
                f"Not a usable {kind} checkpoint: {exc}".replace(str(tmp), "the file")
            ) from exc
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return ModelCheckpoint.objects.create(
        dataset=dataset,
        kind=kind,
        name=name,
        file=str(target.relative_to(settings.MEDIA_ROOT)),
        sha256=sha,
        config=config,
        training_data={"uploaded_by": getattr(user, "username", "")},
        uploaded=True,
        created_by=user if user is not None and user.is_authenticated else None,
    )
