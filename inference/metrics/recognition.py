"""Recognition metrics (FORMATS.md §5) and the spot-then-recognise score.

All figures come from one confusion matrix of per-video decisions pooled over folds: concatenate
every fold's (truth, prediction) lists and call ``evaluate_recognition`` once. Averaging per-fold
UF1 is a different (and not the MEGC) number.

Classes absent from the truth: their recall is undefined (no samples), so UF1 and UAR are the mean
over the classes **present in the truth** only; an absent class still appears in the confusion
matrix and its predictions still count as errors of the true classes. Such classes are listed in
``absent_classes`` so a report can say the average covers fewer classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from inference.metrics.spans import Span
from inference.metrics.spotting import SpottingResult, evaluate_spotting


@dataclass
class RecognitionResult:
    classes: list[str]
    confusion: np.ndarray  # rows: truth, columns: prediction, in ``classes`` order
    accuracy: float | None
    uf1: float | None
    uar: float | None
    absent_classes: list[str]

    def per_class(self) -> dict[str, dict[str, Any]]:
        out = {}
        for i, name in enumerate(self.classes):
            tp = int(self.confusion[i, i])
            support = int(self.confusion[i].sum())
            fp = int(self.confusion[:, i].sum()) - tp
            fn = support - tp
            out[name] = {
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "support": support,
                "f1": 2 * tp / (2 * tp + fp + fn) if support else None,
                "recall": tp / support if support else None,
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "classes": self.classes,
            "confusion": self.confusion.tolist(),
            "accuracy": self.accuracy,
            "uf1": self.uf1,
            "uar": self.uar,
            "absent_classes": self.absent_classes,
            "per_class": self.per_class(),
        }


def evaluate_recognition(
    truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str] | None = None
) -> RecognitionResult:
    """Accuracy, UF1, UAR and confusion matrix from pooled per-video decisions."""
    if len(truth) != len(predicted):
        raise ValueError(f"truth has {len(truth)} labels but predicted has {len(predicted)}")
    if classes is None:
        classes = sorted(set(truth) | set(predicted))
    classes = list(classes)
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes contain duplicates: {classes}")
    index = {c: i for i, c in enumerate(classes)}
    for what, labels in (("truth", truth), ("predicted", predicted)):
        for i, label in enumerate(labels):
            if label not in index:
                raise ValueError(f"{what}[{i}] = {label!r} is not one of the classes {classes}")
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(truth, predicted, strict=True):
        confusion[index[t], index[p]] += 1
    present = [i for i in range(len(classes)) if confusion[i].sum() > 0]
    f1s, recalls = [], []
    for i in present:
        tp = confusion[i, i]
        fp = confusion[:, i].sum() - tp
        fn = confusion[i].sum() - tp
        f1s.append(2 * tp / (2 * tp + fp + fn))
        recalls.append(tp / confusion[i].sum())
    n = int(confusion.sum())
    return RecognitionResult(
        classes=classes,
        confusion=confusion,
        accuracy=float(np.trace(confusion) / n) if n else None,
        uf1=float(np.mean(f1s)) if present else None,
        uar=float(np.mean(recalls)) if present else None,
        absent_classes=[c for i, c in enumerate(classes) if i not in present],
    )


@dataclass
class SpotRecogniseResult:
    spotting: SpottingResult
    recognition: RecognitionResult
    kind: str
    score: float | None  # spotting F1 x recognition UF1; 0 when F1 = 0; None when undefined

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "spotting_f1": self.spotting.counts[self.kind].f1,
            "recognition_f1": self.recognition.uf1,
            "score": self.score,
            "spotting": self.spotting.to_dict(),
            "recognition": self.recognition.to_dict(),
        }


def evaluate_spot_then_recognise(
    truth: Mapping[str, Sequence[Span]],
    predictions: Mapping[str, Sequence[Span]],
    iou_threshold: float = 0.5,
    kind: str = "overall",
    classes: Sequence[str] | None = None,
) -> SpotRecogniseResult:
    """MEGC 2024-25 score: spotting F1 (of ``kind``) x UF1 of the emotions on the spotted TPs."""
    if kind not in ("ME", "MaE", "overall"):
        raise ValueError(f"kind must be ME, MaE or overall, got {kind!r}")
    spotting = evaluate_spotting(truth, predictions, iou_threshold)
    truth_labels, pred_labels = [], []
    for video, result in spotting.videos.items():
        for m in result.matches:
            if kind != "overall" and m.truth.kind != kind:
                continue
            for side, span in (("truth", m.truth), ("prediction", m.pred)):
                if span.emotion is None:
                    raise ValueError(
                        f"{side} span {span.onset}..{span.offset} of video {video!r} has no emotion"
                    )
            truth_labels.append(m.truth.emotion)
            pred_labels.append(m.pred.emotion)
    recognition = evaluate_recognition(truth_labels, pred_labels, classes)
    f1 = spotting.counts[kind].f1
    if f1 == 0.0:
        score = 0.0  # nothing spotted correctly: the product is 0 whatever the recognition would be
    elif f1 is None or recognition.uf1 is None:
        score = None
    else:
        score = f1 * recognition.uf1
    return SpotRecogniseResult(spotting, recognition, kind, score)
