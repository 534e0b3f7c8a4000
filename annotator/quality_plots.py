"""Server-side plots of the quality pages: matplotlib figures as inline SVG text.

Each function takes figures already computed by `annotator.quality` (no metric is computed here)
and returns an SVG string, or "" when there is nothing to draw, so the page can say so instead.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")
from matplotlib import dates as mdates  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

COLOURS = {
    "TP": "#2e7d32",
    "FP": "#c62828",
    "FN": "#ef6c00",
    "ME": "#1565c0",
    "MaE": "#6a1b9a",
    "overall": "#333",
}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog so it can sit inside HTML


def per_video_bars(rows: Sequence[tuple[str, int, int, int]]) -> str:
    """Horizontal TP / FP / FN bars, one group per video."""
    if not rows:
        return ""
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.32 * len(rows)))
    names = [r[0] for r in rows]
    height = 0.27
    for k, label in enumerate(("TP", "FP", "FN")):
        ys = [i + (k - 1) * height for i in range(len(rows))]
        ax.barh(ys, [r[k + 1] for r in rows], height, label=label, color=COLOURS[label])
    ax.set_yticks(range(len(rows)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("intervals")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Per video: true positives, false positives, misses", fontsize=10)
    return _svg(fig)


def f1_vs_iou(points: Sequence[Mapping]) -> str:
    """F1 (ME, MaE, overall) against the IoU threshold; undefined F1 leaves a gap."""
    if not points:
        return ""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    xs = [p["iou_threshold"] for p in points]
    for kind in ("ME", "MaE", "overall"):
        ys = [p["f1"].get(kind) for p in points]
        ax.plot(
            xs, [float("nan") if y is None else y for y in ys], marker="o", label=kind, color=COLOURS[kind]
        )
    ax.axvline(0.5, color="#999", linestyle=":", linewidth=1)
    ax.set_xlabel("IoU threshold")
    ax.set_ylabel("F1")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title("F1 against IoU threshold (MEGC: 0.5)", fontsize=10)
    return _svg(fig)


def histograms(series: Mapping[str, Sequence[int]], title: str, xlabel: str) -> str:
    """Integer histograms (frame differences) side by side, one bin per frame."""
    filled = {k: list(v) for k, v in series.items() if v}
    if not filled:
        return ""
    fig, axes = plt.subplots(1, len(filled), figsize=(3.2 * len(filled), 2.8), squeeze=False)
    for ax, (name, values) in zip(axes[0], filled.items(), strict=True):
        lo, hi = min(values), max(values)
        ax.hist(values, bins=[b - 0.5 for b in range(lo, hi + 2)], color="#455a64")
        ax.axvline(0, color="#c62828", linewidth=1)
        ax.set_title(f"{name} (n={len(values)})", fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.yaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title, fontsize=10, y=1.04)
    return _svg(fig)


def confusion(classes: Sequence[str], matrix: Sequence[Sequence[int]], title: str) -> str:
    """Confusion matrix with counts; rows truth, columns prediction."""
    if not classes:
        return ""
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1.2 + 0.55 * n, 1.0 + 0.55 * n))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(n), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), classes, fontsize=8)
    peak = max((max(r) for r in matrix), default=0)
    for i in range(n):
        for j in range(n):
            value = matrix[i][j]
            ax.text(
                j,
                i,
                str(value),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if peak and value > peak / 2 else "black",
            )
    ax.set_xlabel("predicted")
    ax.set_ylabel("truth")
    ax.set_title(title, fontsize=10)
    return _svg(fig)


def progress(series: Mapping[str, Sequence[tuple[datetime, int]]]) -> str:
    """Step lines of videos per state over time (from the recorded transitions)."""
    filled = {k: v for k, v in series.items() if v}
    if not filled:
        return ""
    fig, ax = plt.subplots(figsize=(7, 2.8))
    for name, points in filled.items():
        ax.step([t for t, _ in points], [n for _, n in points], where="post", label=name)
    ax.set_ylabel("videos")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_title("Progress over time", fontsize=10)
    return _svg(fig)
