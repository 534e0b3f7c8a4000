"""Evaluation of what is stored: runs against human labels, annotators against each other.

The figures come from `inference.metrics` (the MEGC rule, agreement, recognition); this module
only turns rows into spans. It is the one implementation behind the quality pages, the API's
comparison endpoint and `manage.py evaluate`.

Which human labels are the truth: every human interval of the video, or only those of one
annotator (`annotator`), since two annotators' sets on one video would otherwise count twice.
Intervals without an offset (still open) cannot be scored; they are counted in `unscored`.
Predictions scoring below their run's threshold are hidden on the timeline and left out here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from inference.metrics.agreement import AgreementResult, evaluate_agreement
from inference.metrics.recognition import evaluate_recognition
from inference.metrics.spans import Span, iou
from inference.metrics.spotting import SpottingResult, evaluate_spotting, evaluate_video

from .models import Dataset, Interval, Prediction, PredictionRun, ReviewTransition, Video
from .models.videos import video_keys

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class Spans:
    """Spans per video name, and how many rows could not be scored (no offset)."""

    by_video: dict[str, list[Span]] = field(default_factory=dict)
    unscored: int = 0


FIELDS = ("pk", "video_id", "kind", "onset", "apex", "offset", "emotion")


def _collect(rows, keys: dict[int, str], scored: bool = False) -> Spans:
    """Spans from value rows (model instances would cost most of an evaluation's time)."""
    out = Spans({key: [] for key in keys.values()})
    for pk, video, kind, onset, apex, offset, emotion, *score in rows.values_list(
        *FIELDS, *(["score"] if scored else [])
    ):
        if offset is None:
            out.unscored += 1
            continue
        span = Span(
            kind, onset, offset, apex=apex, ref=pk, emotion=emotion or None, score=score[0] if score else None
        )
        out.by_video.setdefault(keys[video], []).append(span)
    return out


def human_spans(videos: Iterable[Video], annotator=None) -> Spans:
    """Human intervals of these videos (of one annotator when given)."""
    videos = list(videos)
    rows = Interval.objects.filter(video__in=videos).order_by("video", "onset", "id")
    if annotator is not None:
        rows = rows.filter(annotator=annotator)
    return _collect(rows, video_keys(videos))


def run_spans(run: PredictionRun, videos: Iterable[Video]) -> Spans:
    """The run's predictions on these videos, at or above the run's threshold."""
    videos = list(videos)
    rows = Prediction.objects.filter(run=run, video__in=videos, score__gte=run.threshold).order_by(
        "video", "onset", "id"
    )
    return _collect(rows, video_keys(videos), scored=True)


def find_annotator(dataset: Dataset, username: str):
    """A user who labelled in this dataset, by username; ValueError naming those who did."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not Interval.objects.filter(video__dataset=dataset, annotator=user).exists():
        names = annotators(dataset)
        raise ValueError(
            f"No intervals by annotator {username!r} in dataset {dataset.name}; "
            f"annotators with labels: {', '.join(names) or 'none'}."
        )
    return user


def annotators(dataset: Dataset) -> list[str]:
    """Usernames of everyone with intervals in the dataset."""
    return annotators_of(Video.objects.filter(dataset=dataset))


def annotators_of(videos) -> list[str]:
    """Usernames of everyone with intervals on these videos."""
    users = get_user_model().objects.filter(
        pk__in=Interval.objects.filter(video__in=videos).values("annotator")
    )
    return sorted(users.values_list("username", flat=True))


def select_videos(dataset: Dataset, names: Iterable[str] | None = None) -> list[Video]:
    """The dataset's videos, or the named subset (ValueError naming unknown names)."""
    qs = Video.objects.filter(dataset=dataset)
    if names is None:
        return list(qs)
    wanted = list(dict.fromkeys(names))
    found = {v.name: v for v in qs.filter(name__in=wanted)}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValueError(f"Videos not in dataset {dataset.name}: {', '.join(missing)}")
    return [found[n] for n in wanted]


def covered_videos(run: PredictionRun) -> list[Video]:
    """The videos a run looked at: those it predicted on and those its job reports as done."""
    ids = set(Prediction.objects.filter(run=run).values_list("video_id", flat=True))
    ids |= set((run.report or {}).get("done", []))
    return list(Video.objects.filter(pk__in=ids, dataset=run.dataset))


@dataclass
class RunEvaluation:
    run: PredictionRun
    against: str  # "all human labels" or "annotator NAME"
    spotting: SpottingResult
    recognition: dict[str, Any] | None
    unscored_truths: int
    unscored_predictions: int

    @property
    def spot_then_recognise(self) -> float | None:
        """Overall spotting F1 x UF1 on the matches; 0 when F1 is 0, None when either is undefined."""
        f1 = self.spotting.counts["overall"].f1
        if f1 == 0.0:
            return 0.0  # nothing spotted correctly, as in inference.metrics.recognition
        uf1 = self.recognition["uf1"] if self.recognition else None
        return None if f1 is None or uf1 is None else f1 * uf1

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": {"id": self.run.pk, "name": self.run.name, "model": self.run.model},
            "against": self.against,
            "unscored_truths": self.unscored_truths,
            "unscored_predictions": self.unscored_predictions,
            "spotting": self.spotting.to_dict(),
            "recognition": self.recognition,
            "spot_then_recognise": self.spot_then_recognise,
        }


def _recognition_on_matches(spotting: SpottingResult) -> dict[str, Any] | None:
    """Emotion recognition over the spotted true positives where both sides name an emotion."""
    pairs = [
        (m.truth.emotion, m.pred.emotion)
        for result in spotting.videos.values()
        for m in result.matches
        if m.truth.emotion and m.pred.emotion
    ]
    if not pairs:
        return None
    result = evaluate_recognition([t for t, _ in pairs], [p for _, p in pairs]).to_dict()
    result["pairs"] = len(pairs)
    return result


def evaluate_run(
    run: PredictionRun,
    iou: float = 0.5,
    annotator=None,
    videos: Iterable[str] | None = None,
    thresholds: Iterable[float] = THRESHOLDS,
    state: str = "",
) -> RunEvaluation:
    """MEGC spotting of a run against the human labels, per video and pooled, with F1 per IoU level.

    Videos: the named subset, else those the run covered (a run over part of a dataset is not
    charged with misses on videos it never saw; an imported file covers the whole dataset);
    `state` keeps only videos in that review state (e.g. accepted labels only).

    Recognition (accuracy, UF1, UAR, confusion) is computed on the matched intervals where both
    sides carry an emotion; spot-then-recognise = overall spotting F1 x that UF1.
    """
    chosen = select_videos(run.dataset, videos) if videos is not None else covered_videos(run)
    if state:
        chosen = [v for v in chosen if v.review_state == state]
    truth = human_spans(chosen, annotator)
    preds = run_spans(run, chosen)
    spotting = evaluate_spotting(
        truth.by_video,
        preds.by_video,
        iou,
        videos=list(video_keys(chosen).values()),
        thresholds=sorted(set(thresholds)),
    )
    return RunEvaluation(
        run,
        f"annotator {annotator.username}" if annotator is not None else "all human labels",
        spotting,
        _recognition_on_matches(spotting),
        truth.unscored,
        preds.unscored,
    )


def agreement(dataset: Dataset, user_a, user_b, iou: float = 0.5) -> AgreementResult:
    """Agreement of two annotators on the videos both labelled (others would only count as misses)."""
    both = Video.objects.filter(dataset=dataset, intervals__annotator=user_a).filter(
        pk__in=Interval.objects.filter(annotator=user_b).values("video")
    )
    chosen = list(both.distinct())
    return evaluate_agreement(
        human_spans(chosen, user_a).by_video, human_spans(chosen, user_b).by_video, iou_threshold=iou
    )


def agreement_summary(result: AgreementResult) -> dict[str, Any]:
    """Agreement figures without the per-pair lists (for pages and the CLI)."""
    data = result.to_dict()
    for key in ("pairs", "only_a_spans", "only_b_spans"):
        data.pop(key)
    return data


def compare_video(video: Video, iou: float = 0.5, run=None, other=None, base=None) -> dict[str, Any]:
    """Human labels (of `base`, or all) against a run or a second annotator, for the timeline.

    Matches, misses (human only) and extras (other side only), each with its IoU (best IoU for
    unmatched ones). Against a run the MEGC rule applies (kinds separately); against an
    annotator the agreement rule (kind ignored, so a kind disagreement shows as a match).
    """
    if (run is None) == (other is None):
        raise ValueError("Compare against either a run or an annotator.")
    human = human_spans([video], base).by_video[video.name]
    if run is not None:
        theirs = run_spans(run, [video]).by_video[video.name]
        result = evaluate_video(video.name, human, theirs, iou)
        matches = [(m.truth, m.pred, m.iou) for m in result.matches]
        misses = [(u.span, u.best_iou) for u in result.false_negatives]
        extras = [(u.span, u.best_iou) for u in result.false_positives]
    else:
        theirs = human_spans([video], other).by_video[video.name]
        result = evaluate_agreement({video.name: human}, {video.name: theirs}, iou_threshold=iou)
        matches = [(a, b, v) for _, a, b, v in result.pairs]
        misses = [(s, best_iou(s, theirs)) for _, s in result.only_a]
        extras = [(s, best_iou(s, human)) for _, s in result.only_b]

    def side(span: Span) -> dict[str, Any]:
        return {k: getattr(span, k) for k in ("kind", "onset", "apex", "offset", "emotion")} | {
            "id": span.ref
        }

    items = [{"type": "match", "human": side(a), "other": side(b), "iou": v} for a, b, v in matches]
    items += [{"type": "miss", "human": side(s), "other": None, "iou": v} for s, v in misses]
    items += [{"type": "extra", "human": None, "other": side(s), "iou": v} for s, v in extras]
    items.sort(key=lambda i: ((i["human"] or i["other"])["onset"], i["type"]))
    return {
        "video": video.pk,
        "iou_threshold": iou,
        "against": {"run": run.pk} if run is not None else {"annotator": other.username},
        "counts": {t: sum(i["type"] == t for i in items) for t in ("match", "miss", "extra")},
        "items": items,
    }


def best_iou(span: Span, others: list[Span]) -> float:
    """The largest IoU of a span with any of the others (0 when none): how near a miss came."""
    return max((iou(span, o) for o in others), default=0.0)


def progress_over_time(videos) -> dict[str, list[tuple[Any, int]]]:
    """Videos in annotation, submitted and accepted after each recorded transition (replayed in order)."""
    videos = list(videos)
    state = {v.pk: "new" for v in videos}
    shown = ("in_annotation", "submitted", "accepted")
    series: dict[str, list[tuple[Any, int]]] = {s: [] for s in shown}
    moves = ReviewTransition.objects.filter(video__in=videos).order_by("at", "id")
    for move in moves.values_list("video_id", "to_state", "at"):
        video_id, target, at = move
        state[video_id] = target
        for s in shown:
            series[s].append((at, sum(v == s for v in state.values())))
    return series
