"""MEGC challenge files (FORMATS.md §4): spotting CSVs, the 2019-21 evaluation log, spot-then-recognise.

Frames are 1-based positions in the long video (index + 1), as in the SAMM-LV and CAS(ME)^2 sheets
that the challenge ground truth comes from; the video column is the MEGC id (`15_0401`, `006_1`).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from annotator.formats.writers.model import (
    ExportError,
    ExportInterval,
    ExportReport,
    Skipped,
    kept,
    position_1,
    prepare,
)
from annotator.formats.writers.output import text_bytes
from inference.metrics.spans import Span, match_spans

TYPES = {"ME": "me", "MaE": "mae"}
EXPRESSIONS = ("ME", "MaE")


def _vid(iv: ExportInterval, report: ExportReport) -> str:
    if iv.video.megc_id:
        return iv.video.megc_id
    report.sentinels["video without MEGC id -> its name"] += 1
    return iv.video.name


def _csv(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _conventions(report: ExportReport) -> None:
    report.convention("frames: 1-based position = index + 1; video = MEGC id (name when none)")


def _spotting_csv(intervals: list[ExportInterval], report: ExportReport, header: list[str]) -> bytes:
    """One row per ME/MaE with an offset; the challenge years differ only in the column names."""
    chosen = kept(intervals, report, EXPRESSIONS, needs_offset=True)
    rows = [[_vid(iv, report), position_1(iv.onset), position_1(iv.offset), TYPES[iv.kind]] for iv in chosen]
    _conventions(report)
    report.counts["intervals_written"] = len(rows)
    return _csv(header, rows)


def megc2022(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    return _spotting_csv(intervals, report, ["vid", "pred_onset", "pred_offset", "type"])


def megc2023(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    return _spotting_csv(intervals, report, ["vid", "onset", "offset", "type"])


def spot_recognise(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    chosen = kept(intervals, report, EXPRESSIONS, needs_offset=True)
    rows = [
        [iv.video.subject, _vid(iv, report), position_1(iv.onset), position_1(iv.offset), iv.emotion]
        for iv in chosen
    ]
    _conventions(report)
    report.counts["intervals_written"] = len(rows)
    return _csv(["subject", "video", "onset", "offset", "emotion"], rows)


def match_iou(truths: list[ExportInterval], preds: list[ExportInterval]) -> list[tuple[int, int]]:
    """One-to-one pairs (truth, prediction) at IoU >= 0.5: the project's MEGC matcher."""
    pairs, _ = match_spans([_span(t) for t in truths], [_span(p) for p in preds], 0.5)
    return [(i, j) for i, j, _ in pairs]


def _span(iv: ExportInterval) -> Span:
    return Span(iv.kind, iv.onset, iv.offset, ref=iv.ref)


def megc_log(
    intervals: list[ExportInterval], report: ExportReport, *, truths: list[ExportInterval], dataset: str
) -> bytes:
    """Predictions (`intervals`) against `truths`, per video and kind; `dataset`: 1 SAMM, 2 CAS(ME)^2."""
    if not str(dataset).strip():
        raise ExportError("megc-log: option dataset (1 SAMM, 2 CAS(ME)^2) is required")
    gt_report = ExportReport(report.format)
    truth = (
        kept(prepare(list(truths), gt_report), gt_report, EXPRESSIONS, needs_offset=True) if truths else []
    )
    preds = kept(intervals, report, EXPRESSIONS, needs_offset=True)
    report.skipped += [Skipped(f"truth {s.interval}", s.reason) for s in gt_report.skipped]
    groups: dict[tuple[str, str], tuple[list, list]] = defaultdict(lambda: ([], []))
    for side, items in ((0, truth), (1, preds)):
        for iv in items:
            groups[(_vid(iv, report), iv.kind)][side].append(iv)
    lines = []
    for (vid, _kind), (ts, ps) in sorted(groups.items()):
        pairs = match_iou(ts, ps)
        rows = [(ts[i], ps[j], "TP") for i, j in pairs]
        rows += [(t, None, "FN") for i, t in enumerate(ts) if i not in {i for i, _ in pairs}]
        rows += [(None, p, "FP") for j, p in enumerate(ps) if j not in {j for _, j in pairs}]
        rows.sort(key=lambda r: ((r[0] or r[1]).onset, (r[0] or r[1]).offset, r[2]))
        for t, p, verdict in rows:
            gt = f"{position_1(t.onset)} {position_1(t.offset)}" if t else "- -"
            pr = f"{position_1(p.onset)} {position_1(p.offset)}" if p else "- -"
            lines.append(f"{vid} {gt} {pr} {verdict}")
            report.counts[verdict] += 1
    _conventions(report)
    report.convention("ME and MaE matched separately, one-to-one at IoU >= 0.5 (frames inclusive)")
    report.counts["intervals_written"] = len(preds)
    report.counts["truths_written"] = len(truth)
    return text_bytes([str(dataset).strip(), *lines])
