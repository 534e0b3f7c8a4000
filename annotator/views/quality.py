"""Quality pages: dataset dashboard, one run's evaluation, agreement of two annotators, prediction upload.

Figures come from `annotator.quality`, plots from `annotator.quality_plots` (SVG drawn here, on
the server). Comparison strips show each video's matches (green), misses (orange) and extras (red)
along the frame axis, with the IoU in the tooltip.
"""

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from .. import access, quality, quality_plots
from ..access import CAN_EDIT
from ..importing import save_upload
from ..jobs import start_job
from ..models import Dataset, ReviewState, Video
from ..predictions_import import FORMATS
from ..review import state_counts
from . import HtmxHttpRequest


class PredictionUploadForm(forms.Form):
    file = forms.FileField(
        help_text="MEGC 2022/2023 CSV, MEGC 2019-21 log, spot-then-recognise CSV, or the app's CSV"
    )
    format = forms.ChoiceField(choices=[(f, f) for f in FORMATS])
    name = forms.CharField(max_length=200, required=False, help_text="run name (default: the file name)")


class EvaluationForm(forms.Form):
    iou = forms.FloatField(min_value=0.01, max_value=1.0, initial=0.5, required=False, label="IoU")
    against = forms.CharField(required=False, help_text="annotator username (default: all human labels)")
    state = forms.ChoiceField(
        choices=[("", "any review state"), *ReviewState.choices], required=False, label="state"
    )
    videos = forms.CharField(
        required=False, help_text="comma-separated video names (default: videos the run covered)"
    )


def _strip(video: Video, matches, misses, extras) -> dict:
    """One comparison strip: its SVG rectangles, placed in percent of the video's length.

    The markup is built here rather than in the template: a dashboard of 200 videos draws some
    20,000 rectangles, which the template language would take seconds to render.
    """
    ends = [s.offset for s, *_ in matches + misses + extras] + [b.offset for _, b, _ in matches]
    length = max(video.frame_count or 0, max(ends, default=0) + 1, 1)

    def rect(span, cls: str, row: int, label: str) -> tuple:
        title = f"{label} {span.kind} {span.onset}..{span.offset}"
        where = format_html(' data-where="{}: {}"', video.name, title) if cls != "match" else ""
        x, w = 100 * span.onset / length, max(100 * span.length / length, 0.3)
        return cls, where, f"{x:.3f}", 14 if row else 2, f"{w:.3f}", title

    # Unmatched first, so a match drawn over an overlapping miss stays visible.
    rects = [rect(s, "miss", 0, f"miss (best IoU {v:.2f}):") for s, v in misses]
    rects += [rect(s, "extra", 1, f"extra (best IoU {v:.2f}):") for s, v in extras]
    for a, b, value in matches:
        rects.append(rect(a, "match", 0, f"match IoU {value:.2f}: human"))
        rects.append(rect(b, "match", 1, f"match IoU {value:.2f}: other"))
    svg = format_html_join(
        "",
        '<rect class="{}"{} x="{}" y="{}" width="{}" height="10"><title>{}</title></rect>',
        rects,
    )
    return {"video": video, "length": length, "rects": svg}


BARS = 40


def _most_errors(rows: list[tuple[str, int, int, int]]) -> list[tuple[str, int, int, int]]:
    """At most BARS videos for the bar plot: those with the most FP + FN, in their table order."""
    if len(rows) <= BARS:
        return rows
    keep = {r[0] for r in sorted(rows, key=lambda r: -(r[2] + r[3]))[:BARS]}
    return [r for r in rows if r[0] in keep]


@login_required
@require_GET
def dataset_quality(request: HtmxHttpRequest, dataset_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    videos = dataset.videos.all()
    runs = []
    for run in dataset.runs.annotate(predictions_count=Count("predictions")):
        result = quality.evaluate_run(run, thresholds=())
        runs.append(
            {
                "run": run,
                "overall": result.spotting.counts["overall"],
                "videos": len(result.spotting.videos),
                "predictions": run.predictions_count,
            }
        )
    series = quality.progress_over_time(videos)
    labels = dict(ReviewState.choices)
    context = {
        "dataset": dataset,
        "runs": runs,
        "annotators": quality.annotators(dataset),
        "counts": [(labels[s], n) for s, n in state_counts(videos).items()],
        "progress_svg": mark_safe(quality_plots.progress({labels[k]: v for k, v in series.items()})),
        "can_import": access.role_in(request.user, dataset.pk) in CAN_EDIT,
        "upload_form": PredictionUploadForm(),
    }
    return render(request, "quality/dataset.html", context)


@login_required
@require_GET
def run_quality(request: HtmxHttpRequest, dataset_id: int, run_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    run = access.get_run_for_user(request.user, run_id)
    if run.dataset_id != dataset.pk:
        return redirect("run_quality", run.dataset_id, run.pk)
    form = EvaluationForm({"iou": "0.5"} | request.GET.dict())
    iou, annotator, names, error = 0.5, None, None, ""
    if form.is_valid():
        iou = form.cleaned_data["iou"] or 0.5
        names = [n.strip() for n in form.cleaned_data["videos"].split(",") if n.strip()] or None
        try:
            if form.cleaned_data["against"]:
                annotator = quality.find_annotator(dataset, form.cleaned_data["against"].strip())
            result = quality.evaluate_run(
                run, iou=iou, annotator=annotator, videos=names, state=form.cleaned_data["state"]
            )
        except ValueError as exc:
            error, result = str(exc), quality.evaluate_run(run, iou=iou)
    else:
        error = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()) + " (shown: IoU 0.5)"
        result = quality.evaluate_run(run, iou=iou)
    spotting = result.spotting
    videos = {v.name: v for v in dataset.videos.all()}
    per_video, strips, onset_err, offset_err = [], [], {"ME": [], "MaE": []}, {"ME": [], "MaE": []}
    for name, vr in spotting.videos.items():
        c = vr.counts["overall"]
        per_video.append((name, c, vr.counts["ME"], vr.counts["MaE"]))
        for m in vr.matches:
            onset_err[m.truth.kind].append(m.pred.onset - m.truth.onset)
            offset_err[m.truth.kind].append(m.pred.offset - m.truth.offset)
        strips.append(
            _strip(
                videos[name],
                [(m.truth, m.pred, m.iou) for m in vr.matches],
                [(u.span, u.best_iou) for u in vr.false_negatives],
                [(u.span, u.best_iou) for u in vr.false_positives],
            )
        )
    f1_by_threshold = [{"iou_threshold": t, "f1": f} for t, f in spotting.f1_by_threshold.items()]
    recognition = result.recognition
    pooled_annotators = (
        quality.annotators_of(list(videos[n] for n in spotting.videos)) if annotator is None else []
    )
    context = {
        "dataset": dataset,
        "run": run,
        "form": form,
        "error": error,
        "result": result,
        "pooled": spotting.counts,
        "per_video": per_video,
        "strips": strips,
        "bars_note": f"The bar plot shows the {BARS} videos with the most errors."
        if len(per_video) > BARS
        else "",
        "pooled_annotators": pooled_annotators if len(pooled_annotators) > 1 else [],
        "bars_svg": mark_safe(
            quality_plots.per_video_bars(_most_errors([(n, c.tp, c.fp, c.fn) for n, c, _, _ in per_video]))
        ),
        "f1_svg": mark_safe(quality_plots.f1_vs_iou(f1_by_threshold)),
        "onset_svg": mark_safe(
            quality_plots.histograms(onset_err, "Onset error (prediction - truth) on matches", "frames")
        ),
        "offset_svg": mark_safe(
            quality_plots.histograms(offset_err, "Offset error (prediction - truth) on matches", "frames")
        ),
        "confusion_svg": mark_safe(
            quality_plots.confusion(
                recognition["classes"], recognition["confusion"], "Emotion on matched intervals"
            )
            if recognition
            else ""
        ),
    }
    return render(request, "quality/run.html", context)


@login_required
@require_GET
def agreement(request: HtmxHttpRequest, dataset_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    names = quality.annotators(dataset)
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    try:
        iou = float(request.GET.get("iou") or 0.5)
    except ValueError:
        iou = 0.5
    iou = min(max(iou, 0.01), 1.0)
    context = {"dataset": dataset, "annotators": names, "a": a, "b": b, "iou": iou}
    if a and b:
        try:
            user_a, user_b = quality.find_annotator(dataset, a), quality.find_annotator(dataset, b)
        except ValueError as exc:
            context["error"] = str(exc)
            return render(request, "quality/agreement.html", context)
        result = quality.agreement(dataset, user_a, user_b, iou)
        summary = quality.agreement_summary(result)
        diffs = {p: result.differences(p).values for p in ("onset", "apex", "offset")}
        videos = {v.name: v for v in dataset.videos.all()}
        by_video: dict[str, tuple[list, list, list]] = defaultdict(lambda: ([], [], []))
        for v, x, y, i in result.pairs:
            by_video[v][0].append((x, y, i))
        for v, span in result.only_a:
            by_video[v][1].append(span)
        for v, span in result.only_b:
            by_video[v][2].append(span)
        strips = []
        for name, (pairs, only_a, only_b) in sorted(by_video.items()):
            all_a, all_b = [x for x, _, _ in pairs] + only_a, [y for _, y, _ in pairs] + only_b
            strips.append(
                _strip(
                    videos[name],
                    pairs,
                    [(s, quality.best_iou(s, all_b)) for s in only_a],
                    [(s, quality.best_iou(s, all_a)) for s in only_b],
                )
            )
        context |= {
            "summary": summary,
            "points": [(p, summary[p]) for p in ("onset", "apex", "offset")],
            "strips": strips,
            "diff_svg": mark_safe(
                quality_plots.histograms(diffs, f"{b} minus {a}, matched intervals", "frames")
            ),
        }
    return render(request, "quality/agreement.html", context)


@login_required
@require_POST
def predictions_upload(request: HtmxHttpRequest, dataset_id: int):
    """Store the file and queue its import; the job page shows the report or every problem."""
    dataset: Dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_EDIT)
    form = PredictionUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("dataset_quality", dataset.pk)
    upload = form.cleaned_data["file"]
    try:
        path = save_upload(upload)
    except forms.ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("dataset_quality", dataset.pk)
    params = {
        "path": str(path),
        "file_name": upload.name,
        "format": form.cleaned_data["format"],
        "name": form.cleaned_data["name"].strip() or upload.name,
    }
    job = start_job("import_predictions", dataset=dataset, params=params, user=request.user)
    return redirect("job_detail", job.pk)
