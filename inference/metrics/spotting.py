"""MEGC spotting metrics (FORMATS.md §4), exact to the frame.

Per video and per kind (an ME prediction only meets ME truths) spans are matched one-to-one at
IoU >= threshold (see ``spans.Overlaps``); with m truths, n predictions and a matches,
TP = a, FP = n - a, FN = m - a. Counts are pooled over videos before any ratio is taken;
"overall" pools ME and MaE. Spans of kind blink/other are not expressions and are not scored.

0/0 is undefined, reported as ``None`` (JSON null), never silently as 0 or 1:
precision with no predictions, recall with no truths, F1 with neither.
Videos: the union of the ids in truth and predictions (a prediction for a video without truths
is a false positive), or exactly the ``videos`` subset when given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inference.metrics.spans import EXPRESSION_KINDS, Overlaps, Span, check_spans_by_video


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class Match:
    truth: Span
    pred: Span
    iou: float

    def to_dict(self) -> dict[str, Any]:
        return {"truth": self.truth.to_dict(), "pred": self.pred.to_dict(), "iou": self.iou}


@dataclass(frozen=True)
class Unmatched:
    """A false positive (span is a prediction) or a miss (span is a truth); ``best_iou`` is its
    largest IoU with any span of the other side and same kind, to show near misses."""

    span: Span
    best_iou: float

    def to_dict(self) -> dict[str, Any]:
        return {"span": self.span.to_dict(), "best_iou": self.best_iou}


@dataclass
class VideoResult:
    video: str
    counts: dict[str, Counts] = field(default_factory=dict)  # "ME", "MaE", "overall"
    matches: list[Match] = field(default_factory=list)
    false_positives: list[Unmatched] = field(default_factory=list)
    false_negatives: list[Unmatched] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "video": self.video,
            "counts": {k: c.to_dict() for k, c in self.counts.items()},
            "matches": [m.to_dict() for m in self.matches],
            "false_positives": [u.to_dict() for u in self.false_positives],
            "false_negatives": [u.to_dict() for u in self.false_negatives],
        }


@dataclass
class SpottingResult:
    iou_threshold: float
    counts: dict[str, Counts]  # pooled: "ME", "MaE", "overall"
    videos: dict[str, VideoResult]
    f1_by_threshold: dict[float, dict[str, float | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "iou_threshold": self.iou_threshold,
            "counts": {k: c.to_dict() for k, c in self.counts.items()},
            "videos": {v: r.to_dict() for v, r in self.videos.items()},
            "f1_by_threshold": [{"iou_threshold": t, "f1": f} for t, f in self.f1_by_threshold.items()],
        }


def _by_kind(truths: Sequence[Span], preds: Sequence[Span]) -> dict[str, tuple[list, list, Overlaps]]:
    """Per expression kind: its truths, its predictions and their IoUs (computed once)."""
    out = {}
    for kind in EXPRESSION_KINDS:
        kt = [s for s in truths if s.kind == kind]
        kp = [s for s in preds if s.kind == kind]
        out[kind] = (kt, kp, Overlaps(kt, kp))
    return out


def _result(video: str, kinds: dict[str, tuple[list, list, Overlaps]], threshold: float) -> VideoResult:
    result = VideoResult(video)
    for kind, (kt, kp, overlaps) in kinds.items():
        pairs = overlaps.match(threshold)
        result.counts[kind] = Counts(len(pairs), len(kp) - len(pairs), len(kt) - len(pairs))
        result.matches += [Match(kt[i], kp[j], v) for i, j, v in pairs]
        matched_t = {i for i, _, _ in pairs}
        matched_p = {j for _, j, _ in pairs}
        result.false_negatives += [
            Unmatched(t, float(overlaps.best_truth[i])) for i, t in enumerate(kt) if i not in matched_t
        ]
        result.false_positives += [
            Unmatched(p, float(overlaps.best_pred[j])) for j, p in enumerate(kp) if j not in matched_p
        ]
    result.counts["overall"] = result.counts["ME"] + result.counts["MaE"]
    return result


def evaluate_video(
    video: str, truths: Sequence[Span], preds: Sequence[Span], threshold: float
) -> VideoResult:
    """Match one video's spans kind by kind and count TP / FP / FN."""
    return _result(video, _by_kind(truths, preds), threshold)


def evaluate_spotting(
    truth: Mapping[str, Sequence[Span]],
    predictions: Mapping[str, Sequence[Span]],
    iou_threshold: float = 0.5,
    videos: Iterable[str] | None = None,
    thresholds: Sequence[float] = (),
) -> SpottingResult:
    """MEGC spotting evaluation pooled over videos; ``thresholds`` adds F1 at other IoU levels.

    Each video's IoUs are computed once and matched at every threshold.
    """
    check_spans_by_video(truth, "truth")
    check_spans_by_video(predictions, "predictions")
    if videos is None:
        ids = sorted(set(truth) | set(predictions))
    else:
        ids = list(dict.fromkeys(videos))
        unknown = [v for v in ids if v not in truth and v not in predictions]
        if unknown:
            raise ValueError(f"videos {unknown} are in neither truth nor predictions")
    kinds = {v: _by_kind(truth.get(v, ()), predictions.get(v, ())) for v in ids}
    per_video = {v: _result(v, kinds[v], iou_threshold) for v in ids}
    counts = {k: sum((r.counts[k] for r in per_video.values()), Counts()) for k in ("ME", "MaE", "overall")}
    by_threshold = {}
    for t in thresholds:
        pooled = {kind: Counts() for kind in EXPRESSION_KINDS}
        for by_kind in kinds.values():
            for kind, (kt, kp, overlaps) in by_kind.items():
                a = overlaps.count(float(t))
                pooled[kind] += Counts(a, len(kp) - a, len(kt) - a)
        pooled["overall"] = pooled["ME"] + pooled["MaE"]
        by_threshold[float(t)] = {k: c.f1 for k, c in pooled.items()}
    return SpottingResult(iou_threshold, counts, per_video, by_threshold)
