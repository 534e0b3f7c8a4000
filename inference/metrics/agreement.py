"""Agreement between two annotators of the same videos.

Intervals are matched one-to-one per video with the spotting IoU rule (``spans.match_spans``).
By default matching ignores the kind, so that Cohen's kappa on kind (ME vs MaE...) over the
matched pairs says something; ``match_kinds=True`` matches within each kind instead.
Differences are annotator B minus annotator A, in frames. Apex differences use only pairs where
both gave an apex; emotion kappa only pairs where both gave an emotion.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inference.metrics.spans import KINDS, Span, check_spans_by_video, match_spans


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two label lists; None when undefined (no pairs, or chance agreement = 1)."""
    if len(a) != len(b):
        raise ValueError(f"label lists differ in length: {len(a)} vs {len(b)}")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    labels = set(a) | set(b)
    expected = sum((list(a).count(k) / n) * (list(b).count(k) / n) for k in labels)
    if expected == 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


@dataclass(frozen=True)
class Differences:
    values: list[int]

    def to_dict(self) -> dict[str, Any]:
        v = self.values
        return {
            "n": len(v),
            "mean": statistics.fmean(v) if v else None,
            "median": statistics.median(v) if v else None,
            "mean_abs": statistics.fmean(abs(x) for x in v) if v else None,
            "values": v,
        }


@dataclass
class AgreementResult:
    iou_threshold: float
    pairs: list[tuple[str, Span, Span, float]] = field(default_factory=list)  # video, a, b, IoU
    only_a: list[tuple[str, Span]] = field(default_factory=list)
    only_b: list[tuple[str, Span]] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return len(self.pairs)

    def differences(self, point: str) -> Differences:
        if point not in ("onset", "apex", "offset"):
            raise ValueError(f"point must be onset, apex or offset, got {point!r}")
        diffs = []
        for _, a, b, _ in self.pairs:
            pa, pb = getattr(a, point), getattr(b, point)
            if pa is not None and pb is not None:
                diffs.append(pb - pa)
        return Differences(diffs)

    def kappa_kind(self) -> float | None:
        return cohen_kappa([a.kind for _, a, _, _ in self.pairs], [b.kind for _, _, b, _ in self.pairs])

    def kappa_emotion(self) -> float | None:
        both = [
            (a.emotion, b.emotion)
            for _, a, b, _ in self.pairs
            if a.emotion is not None and b.emotion is not None
        ]
        return cohen_kappa([x for x, _ in both], [y for _, y in both])

    def to_dict(self) -> dict[str, Any]:
        return {
            "iou_threshold": self.iou_threshold,
            "matched": self.matched,
            "only_a": len(self.only_a),
            "only_b": len(self.only_b),
            "onset": self.differences("onset").to_dict(),
            "apex": self.differences("apex").to_dict(),
            "offset": self.differences("offset").to_dict(),
            "kappa_kind": self.kappa_kind(),
            "kappa_emotion": self.kappa_emotion(),
            "pairs": [
                {"video": v, "a": a.to_dict(), "b": b.to_dict(), "iou": i} for v, a, b, i in self.pairs
            ],
            "only_a_spans": [{"video": v, "span": s.to_dict()} for v, s in self.only_a],
            "only_b_spans": [{"video": v, "span": s.to_dict()} for v, s in self.only_b],
        }


def evaluate_agreement(
    a: Mapping[str, Sequence[Span]],
    b: Mapping[str, Sequence[Span]],
    iou_threshold: float = 0.5,
    match_kinds: bool = False,
) -> AgreementResult:
    """Match annotator A's intervals to annotator B's, video by video (union of both video sets)."""
    check_spans_by_video(a, "a")
    check_spans_by_video(b, "b")
    result = AgreementResult(iou_threshold)
    groups = [(k,) for k in KINDS] if match_kinds else [KINDS]
    for video in sorted(set(a) | set(b)):
        for kinds in groups:
            sa = [s for s in a.get(video, ()) if s.kind in kinds]
            sb = [s for s in b.get(video, ()) if s.kind in kinds]
            pairs, _ = match_spans(sa, sb, iou_threshold)
            result.pairs += [(video, sa[i], sb[j], v) for i, j, v in pairs]
            used_a = {i for i, _, _ in pairs}
            used_b = {j for _, j, _ in pairs}
            result.only_a += [(video, s) for i, s in enumerate(sa) if i not in used_a]
            result.only_b += [(video, s) for j, s in enumerate(sb) if j not in used_b]
    return result
