"""MOL emotion recognition in the app: training clips from ME intervals, training (with
leave-one-subject-out evaluation) registered as a ModelCheckpoint, and emotion suggestions.

Clips: every ME interval with an emotion and an offset on an ingested video gives the aligned
128x128 crops onset..offset (both included); ``inference.mol`` cuts them into 8-frame phases at
stride L//8. A clip of 2-7 frames is resampled to 8 frames by nearest-frame indexing (one phase,
the whole movement kept); a 1-frame interval has no motion and is skipped, with its reason in the
report. Flow targets come from the same classical flow as ingest (OpenCV DIS), computed by
``inference.mol`` from the crops; landmark targets are the face track's 68-point subset mapped into
crop pixels (a clip with a frame without a face trains without landmark loss).

Suggestions are model output beside the human label: writing them does not bump the interval's
version nor add a revision (an annotator editing the interval meanwhile gets no conflict from a
background job). Taking one is a normal edit (PATCH ``emotion``), which does.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from inference.media.face import apply
from inference.media.pipeline import load_track, read_crops

from .models import Dataset, Interval, IntervalKind, ModelCheckpoint, Prediction, Video
from .models.videos import IngestState
from .spotting import store_dir
from .training import sha256_of

# FORMATS.md §5: the MEGC composite and the single-dataset 5-class settings.
CLASS_SETS: dict[str, tuple[str, ...]] = {
    "megc3": ("negative", "positive", "surprise"),
    "casme2-5": ("happiness", "surprise", "disgust", "repression", "others"),
    "samm-5": ("happiness", "surprise", "anger", "contempt", "other"),
}
CLASS_CHOICES = ("3", "5", "casme2-5", "samm-5", "dataset")
MEGC3_NEGATIVE = {"negative", "repression", "anger", "contempt", "disgust", "fear", "sadness"}
# Settings a training job may change; defaults are the paper's (MOLConfig), see `train_mol`.
TUNABLE = ("flow_width", "lr", "batch_size", "weight_decay", "lambda_flow", "lambda_lm", "graph")
CURVE_POINTS = 100
SKIP_EXAMPLES = 20

Progress = Callable[[float, str, str], None]


class RecognitionError(Exception):
    """Bad input for MOL training or suggestions, with a message that names what and where."""


def _word(emotion: str) -> str:
    word = " ".join(emotion.split()).lower()
    return "others" if word == "other" else word


def to_class(emotion: str, classes: tuple[str, ...], class_set: str) -> str | None:
    """The class of a human emotion in ``classes``, or None when the class set drops it."""
    word = _word(emotion)
    if class_set == "megc3":
        if word in ("positive", "happiness"):
            return "positive"
        if word == "surprise":
            return "surprise"
        return "negative" if word in MEGC3_NEGATIVE else None
    by_word = {_word(c): c for c in classes}
    return by_word.get(word)


def resolve_classes(dataset: Dataset, choice: str, emotions: list[str]) -> tuple[str, tuple[str, ...]]:
    """(class set key, class names) for a CLI/page choice and the labelled emotions.

    ``5`` picks the CASME II or SAMM set, whichever covers more of the labelled clips;
    ``dataset`` takes the dataset's own emotions that occur in the labels, in its order.
    """
    if choice not in CLASS_CHOICES:
        raise RecognitionError(f"Unknown class set {choice!r}; use one of {', '.join(CLASS_CHOICES)}.")
    if choice == "3":
        return "megc3", CLASS_SETS["megc3"]
    if choice == "5":
        cover = {
            key: sum(to_class(e, CLASS_SETS[key], key) is not None for e in emotions)
            for key in ("casme2-5", "samm-5")
        }
        key = "samm-5" if cover["samm-5"] > cover["casme2-5"] else "casme2-5"
        return key, CLASS_SETS[key]
    if choice in CLASS_SETS:
        return choice, CLASS_SETS[choice]
    used = {_word(e) for e in emotions}
    return "dataset", tuple(e for e in dataset.emotions if _word(e) in used)


def crop_landmarks(track: dict[str, np.ndarray], start: int, stop: int) -> np.ndarray | None:
    """The 68-point subset of frames [start, stop) in crop pixels, or None if a frame lacks a face."""
    points = track["landmarks"][start:stop][:, track["subset68"]]
    transforms = track["transforms"][start:stop]
    if np.isnan(points).any() or np.isnan(transforms).any():
        return None
    return np.stack([apply(t, p) for t, p in zip(transforms, points, strict=True)]).astype(np.float32)


def clip_problem(video: Video, onset: int, offset: int | None) -> tuple[str, str] | None:
    """(kind, message) of why an interval cannot give a clip, or None."""
    if offset is None:
        return "no offset", "no offset"
    if offset <= onset:
        return "1 frame", "1 frame (onset = offset): no motion to recognise"
    if offset >= (video.frame_count or 0):
        return "beyond the video", f"offset {offset} beyond the video's {video.frame_count} frames"
    return None


class VideoClips:
    """Crops and face track of one ingested video, read once for all its intervals."""

    def __init__(self, video: Video):
        if video.ingest_state != IngestState.READY or not video.media_dir:
            raise RecognitionError(f"Video {video.name} (#{video.pk}) is not ingested; ingest it first.")
        self.video = video
        self.folder = store_dir(video)
        try:
            self.track = load_track(self.folder)
        except OSError as exc:
            raise RecognitionError(
                f"Video {video.name} (#{video.pk}): face track unreadable ({exc}); re-ingest it."
            ) from exc

    def clip(self, onset: int, offset: int) -> tuple[np.ndarray, np.ndarray | None]:
        """(crops (L, 128, 128) uint8, landmarks (L, 68, 2) or None) of onset..offset, both included."""
        return read_crops(self.folder, onset, offset + 1), crop_landmarks(self.track, onset, offset + 1)


def subject_of(video: Video) -> str:
    return video.subject.code if video.subject_id else f"video-{video.pk}"


def training_samples(dataset: Dataset, choice: str) -> tuple[list, tuple[str, ...], dict[str, Any]]:
    """(MOLSamples, class names, report) from the dataset's ME intervals with an emotion.

    Refuses a dataset with no usable clip or a single class, saying what was found.
    """
    from inference.mol import MOLSample

    intervals = list(
        Interval.objects.filter(
            video__dataset=dataset, kind=IntervalKind.ME, video__ingest_state=IngestState.READY
        )
        .exclude(emotion="")
        .select_related("video__subject")
        .order_by("video_id", "onset", "id")
    )
    if not intervals:
        raise RecognitionError(
            f"Dataset {dataset.name} has no ME intervals with an emotion on ingested videos: "
            "label emotions on ME intervals first."
        )
    class_set, classes = resolve_classes(dataset, choice, [iv.emotion for iv in intervals])
    samples, skipped, short, no_landmarks = [], Counter(), 0, 0
    examples: list[dict[str, Any]] = []
    readers: dict[int, VideoClips] = {}

    def skip(iv: Interval, key: str, reason: str) -> None:
        skipped[key] += 1
        if len(examples) < SKIP_EXAMPLES:
            examples.append(
                {"interval": iv.pk, "video": iv.video.name, "frames": [iv.onset, iv.offset], "reason": reason}
            )

    for iv in intervals:
        label = to_class(iv.emotion, classes, class_set)
        if label is None:
            skip(iv, "emotion not in class set", f"emotion {iv.emotion!r} not in class set {class_set}")
            continue
        problem = clip_problem(iv.video, iv.onset, iv.offset)
        if problem:
            skip(iv, *problem)
            continue
        if iv.video_id not in readers:
            readers[iv.video_id] = VideoClips(iv.video)
        frames, landmarks = readers[iv.video_id].clip(iv.onset, iv.offset)
        short += len(frames) < 8
        no_landmarks += landmarks is None
        samples.append(
            MOLSample(frames, label, subject_of(iv.video), f"{iv.video.name}#{iv.pk}", landmarks=landmarks)
        )
    per_class = Counter(s.label for s in samples)
    found = ", ".join(f"{c}: {n}" for c, n in per_class.items()) or "none"
    if len(per_class) < 2:
        raise RecognitionError(
            f"Dataset {dataset.name}: MOL needs clips of at least two classes of set {class_set} "
            f"{list(classes)}; usable clips per class: {found} ({sum(skipped.values())} interval(s) skipped: "
            f"{dict(skipped) or 'none'})."
        )
    subjects = sorted({s.subject for s in samples})
    all_subjects = sorted(
        {
            subject_of(v)
            for v in dataset.videos.filter(ingest_state=IngestState.READY).select_related("subject")
        }
    )
    report = {
        "class_set": class_set,
        "classes": list(classes),
        "clips": len(samples),
        "per_class": {c: per_class.get(c, 0) for c in classes},
        "classes_without_clips": [c for c in classes if not per_class.get(c)],
        "short_clips_resampled": short,
        "clips_without_landmarks": no_landmarks,
        "skipped": dict(skipped),
        "skipped_examples": examples,
        "subjects": subjects,
        "subjects_without_clips": [s for s in all_subjects if s not in subjects],
        "videos": sorted({s.video.split("#")[0] for s in samples}),
        "intervals": [int(s.video.rsplit("#", 1)[1]) for s in samples],
    }
    return samples, classes, report


def curve(history: list[dict[str, float]], points: int = CURVE_POINTS) -> list[dict[str, float]]:
    """The per-step losses averaged in at most ``points`` bins (step = the bin's last step)."""
    if not history:
        return []
    edges = np.linspace(0, len(history), min(points, len(history)) + 1).astype(int)
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        part = history[a:b]
        row = {k: round(float(np.mean([h[k] for h in part])), 5) for k in part[0]}
        out.append({"step": int(b), **row})
    return out


def loso_metrics(result) -> dict[str, Any]:
    """The pooled LOSO figures as JSON, with per-class recall from the pooled confusion matrix."""
    confusion = np.asarray(result.confusion)
    sizes = confusion.sum(1)
    return {
        "protocol": "leave-one-subject-out",
        "decision": "per video (clip), softmax averaged over phases",
        "folds": len(result.folds),
        "classes": result.classes,
        "accuracy": result.accuracy,
        "uf1": result.uf1,
        "uar": result.uar,
        "confusion": confusion.tolist(),
        "recall": {
            c: (float(confusion[i, i] / sizes[i]) if sizes[i] else None) for i, c in enumerate(result.classes)
        },
        "absent_classes": result.absent_classes,
        "fold_details": result.folds,
        "per_clip": result.predictions,
    }


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def mol_config(classes: tuple[str, ...], overrides: dict[str, Any]):
    from inference.mol import MOLConfig

    unknown = sorted(set(overrides) - set(TUNABLE))
    if unknown:
        raise RecognitionError(f"Unknown MOL settings {unknown}; tunable: {', '.join(TUNABLE)}.")
    try:
        return MOLConfig(class_names=classes, **overrides)
    except (TypeError, ValueError) as exc:
        raise RecognitionError(str(exc)) from exc


def train_mol(
    dataset: Dataset,
    *,
    classes: str,
    loso: bool,
    steps: int,
    settings_: dict[str, Any],
    work: Path,
    name: str,
    progress: Progress,
    job=None,
    user=None,
    seed: int = 0,
) -> ModelCheckpoint:
    """Train MOL on the dataset's labelled ME clips (with ``loso`` first evaluate leave-one-subject-out:
    every fold trains the fixed ``steps``, nothing is chosen on the held-out subject), then register it.

    ``settings_`` overrides MOLConfig defaults (the paper's: flow_width 1.0, lr 1e-4, batch 8).
    A retried job returns its registered checkpoint, and reuses a finished LOSO evaluation.
    """
    from inference.mol import loso as run_loso
    from inference.mol import train

    if job is not None:
        done = ModelCheckpoint.objects.filter(job=job).first()
        if done is not None:
            return done
    if steps < 1:
        raise RecognitionError(f"steps must be at least 1, got {steps}.")
    if ModelCheckpoint.objects.filter(dataset=dataset, name=name).exists():
        raise RecognitionError(
            f"Dataset {dataset.name} already has a checkpoint called {name!r}; pick another name."
        )
    progress(1, "preparing", "reading ME clips")
    samples, classes_, report = training_samples(dataset, classes)
    config = mol_config(classes_, settings_)
    subjects = report["subjects"]
    if loso and len(subjects) < 2:
        raise RecognitionError(
            f"Leave-one-subject-out needs clips of two subjects or more; dataset {dataset.name} has {subjects}."
        )
    folds = subjects if loso else []
    total = (len(folds) + 1) * steps
    every = max(1, steps // 20)

    def reporter(offset: int, what: str) -> Callable[[int, int, dict[str, float]], None]:
        def on_step(step: int, steps_: int, loss: dict[str, float]) -> None:
            if step % every == 0 or step == steps_:
                progress(
                    2 + 96 * (offset + step) / total,
                    what,
                    f"{what}: step {step}/{steps_}, loss {loss['total']:.4f}",
                )

        return on_step

    work.mkdir(parents=True, exist_ok=True)
    metrics = None
    if folds:
        loso_file = work / "loso.json"
        if loso_file.is_file():
            metrics = json.loads(loso_file.read_text())
        else:
            fold_reporters = {
                s: reporter(k * steps, f"LOSO fold {k + 1}/{len(folds)} (test {s})")
                for k, s in enumerate(folds)
            }
            try:
                result = run_loso(
                    samples,
                    config,
                    seed=seed,
                    device="cpu",
                    steps=steps,
                    progress=lambda s, step, n, loss: fold_reporters[s](step, n, loss),
                )
            except ValueError as exc:
                raise RecognitionError(str(exc)) from exc
            metrics = loso_metrics(result)
            _write_json(loso_file, metrics)
    final = train(
        samples,
        config,
        seed=seed,
        device="cpu",
        steps=steps,
        progress=reporter(len(folds) * steps, "final model"),
    )
    target_dir = Path(settings.MEDIA_ROOT) / "checkpoints" / str(dataset.pk)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"mol-{slugify(name)}.pt"
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    final.save(tmp)
    os.replace(tmp, target)
    history = final.info["history"]
    with transaction.atomic():
        record = ModelCheckpoint.objects.create(
            dataset=dataset,
            kind=ModelCheckpoint.Kind.MOL,
            name=name,
            file=str(target.relative_to(settings.MEDIA_ROOT)),
            sha256=sha256_of(target),
            config=config.to_dict(),
            metrics=metrics,
            training_data={
                **report,
                "steps": steps,
                "seed": seed,
                "n_subclips": final.info["n_subclips"],
                "normalisation": final.stats,
                "final_loss": history[-1],
                "curve": curve(history),
            },
            job=job,
            created_by=user if user is not None and user.is_authenticated else None,
        )
    progress(100, "done", f"registered {record.name}")
    return record


def load_for_prelabel(record: ModelCheckpoint, dataset: Dataset):
    """The trained Checkpoint of a registered MOL record, refused with a reason if unusable here."""
    from inference.mol import Checkpoint, CheckpointError

    if record.kind != ModelCheckpoint.Kind.MOL:
        raise RecognitionError(f"Checkpoint #{record.pk} ({record.name}) is a {record.kind} model, not MOL.")
    if record.dataset_id != dataset.pk:
        raise RecognitionError(f"Checkpoint #{record.pk} is not in dataset {dataset.name}.")
    path = Path(settings.MEDIA_ROOT) / record.file
    if not path.is_file():
        raise RecognitionError(f"Checkpoint #{record.pk}: file {record.file} is missing.")
    if sha256_of(path) != record.sha256:
        raise RecognitionError(
            f"Checkpoint #{record.pk}: {record.file} changed since it was registered (sha256)."
        )
    expected = tuple(record.config.get("class_names", ()))
    try:
        ckpt = Checkpoint.load(path, expected_classes=expected)
    except CheckpointError as exc:
        raise RecognitionError(f"Checkpoint #{record.pk}: {exc}") from exc
    if int(ckpt.info.get("steps", 0)) < 1:
        raise RecognitionError(
            f"Checkpoint #{record.pk} was never trained; train it before suggesting emotions."
        )
    vocabulary = {_word(e) for e in dataset.emotions}
    foreign = [c for c in ckpt.config.class_names if _word(c) not in vocabulary]
    if foreign:
        raise RecognitionError(
            f"Checkpoint #{record.pk} predicts {list(ckpt.config.class_names)}, but {foreign} are not emotions of "
            f"dataset {dataset.name} ({', '.join(dataset.emotions)}): a suggestion could not be taken. "
            "Train with the dataset's own classes (--classes dataset) or add these emotions to the dataset."
        )
    return ckpt


def _probabilities(model, ckpt, clip: np.ndarray) -> np.ndarray:
    """Softmax averaged over the clip's phases, with a network built once for the whole job."""
    import torch

    from inference.mol import subclip_indices
    from inference.mol.train import to_input

    subs = np.stack([clip[idx] for idx in subclip_indices(len(clip), ckpt.config.num_frames)])
    with torch.inference_mode():
        return model.recognise(to_input(subs, ckpt.stats)).softmax(-1).mean(0).double().numpy()


def suggest_emotions(
    dataset: Dataset, record: ModelCheckpoint, *, video_id: int | None = None, progress: Progress
) -> dict[str, Any]:
    """Fill a suggested emotion (with class probabilities) on every ME interval without emotion or
    suggestion and every ME prediction without emotion; per video in one transaction, so a retry
    continues where it stopped. Returns counts and the skipped items with their reasons."""
    ckpt = load_for_prelabel(record, dataset)
    model = ckpt.build(with_aux=False)
    spelling = {_word(e): e for e in dataset.emotions}
    names = [spelling[_word(c)] for c in ckpt.config.class_names]
    videos = dataset.videos.filter(ingest_state=IngestState.READY).order_by("id")
    if video_id is not None:
        videos = videos.filter(pk=video_id)
    intervals_q = Interval.objects.filter(kind=IntervalKind.ME, emotion="", suggested_emotion="")
    predictions_q = Prediction.objects.filter(kind=IntervalKind.ME, emotion="")
    videos = [
        v for v in videos if intervals_q.filter(video=v).exists() or predictions_q.filter(video=v).exists()
    ]
    counts, skipped = Counter(), []
    for i, video in enumerate(videos):
        progress(100 * i / max(len(videos), 1), "recognising", f"video {i + 1}/{len(videos)}: {video.name}")
        reader = VideoClips(video)
        updates: list[tuple[Any, int, str, dict]] = []
        for queryset, what in ((intervals_q, "interval"), (predictions_q, "prediction")):
            for pk, onset, offset in queryset.filter(video=video).values_list("pk", "onset", "offset"):
                problem = clip_problem(video, onset, offset)
                if problem:
                    skipped.append(
                        {what: pk, "video": video.name, "frames": [onset, offset], "reason": problem[1]}
                    )
                    continue
                probs = _probabilities(model, ckpt, reader.clip(onset, offset)[0])
                scores = {n: round(float(p), 4) for n, p in zip(names, probs, strict=True)}
                updates.append((queryset, pk, names[int(probs.argmax())], scores))
        with transaction.atomic():
            for queryset, pk, label, scores in updates:
                if queryset is intervals_q:
                    counts["intervals"] += intervals_q.filter(pk=pk).update(
                        suggested_emotion=label, emotion_scores=scores
                    )
                else:
                    counts["predictions"] += predictions_q.filter(pk=pk).update(
                        emotion=label, emotion_scores=scores
                    )
    progress(100, "done", f"{counts['intervals']} interval(s), {counts['predictions']} prediction(s)")
    return {
        "checkpoint": record.pk,
        "classes": names,
        "intervals": counts["intervals"],
        "predictions": counts["predictions"],
        "videos": len(videos),
        "skipped": skipped[:SKIP_EXAMPLES],
        "skipped_count": len(skipped),
    }
