"""Pre-labels on pages: the dataset's card (runs, start a pre-labelling job), a run's page with its
MEGC metrics and threshold, and the video page's card (pre-label this video, weak labels)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import access
from ..access import CAN_EDIT
from ..jobs import start_job
from ..models import ModelCheckpoint, PredictionRun, WeakLabel
from ..spotting import evaluate_run, speed
from . import HtmxHttpRequest


class WeakLabelForm(forms.Form):
    CONTENT = [("ME", "micro-expression"), ("MaE", "macro-expression"), ("both", "both"), ("none", "nothing")]
    start = forms.IntegerField(min_value=0, required=False, widget=forms.NumberInput(attrs={"size": 6}))
    end = forms.IntegerField(min_value=0, required=False, widget=forms.NumberInput(attrs={"size": 6}))
    contains = forms.ChoiceField(choices=CONTENT)

    def __init__(self, frame_count: int | None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frame_count = frame_count

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise forms.ValidationError("Give both window frames, or neither for the whole video.")
        if start is not None:
            if end < start:
                raise forms.ValidationError(f"The window ends ({end}) before it starts ({start}).")
            if self.frame_count is not None and end >= self.frame_count:
                raise forms.ValidationError(f"Frame {end} is past the last frame ({self.frame_count - 1}).")
        return data


def mcwes_checkpoints(dataset):
    return dataset.checkpoints.filter(kind=ModelCheckpoint.Kind.MCWES)


@login_required
@require_GET
def dataset_runs(request: HtmxHttpRequest, dataset_id: int):
    """The dataset page's Pre-labels card (loaded by htmx)."""
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    runs = dataset.runs.annotate(
        n_videos=Count("predictions__video", distinct=True),
        n_shown=Count("predictions", filter=Q(predictions__score__gte=F("threshold"))),
    )
    context = {
        "dataset": dataset,
        "runs": runs,
        "checkpoints": mcwes_checkpoints(dataset),
        "can_edit": access.role_in(request.user, dataset.pk) in CAN_EDIT,
        "jobs": dataset.jobs.filter(kind__in=["prelabel", "train"])[:5],
    }
    return render(request, "runs/_panel.html", context)


@login_required
@require_POST
def prelabel_start(request: HtmxHttpRequest, dataset_id: int):
    """Queue a prelabel job for the dataset or one video (``video`` in the form)."""
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_EDIT)
    model = request.POST.get("model", "baseline")
    params: dict = {"model": model}
    back = redirect("dataset_detail", dataset.pk)
    if request.POST.get("video"):
        video = access.get_video_for_user(request.user, int(request.POST["video"]), CAN_EDIT)
        if video.dataset_id != dataset.pk:
            messages.error(request, "That video is not in this dataset.")
            return back
        params["video"] = video.pk
        back = redirect("video_detail", video.pk)
    if model == "mcwes":
        checkpoint = mcwes_checkpoints(dataset).filter(pk=request.POST.get("checkpoint") or 0).first()
        if checkpoint is None:
            messages.error(request, "Choose a trained MC-WES checkpoint of this dataset (models page).")
            return back
        params["checkpoint"] = checkpoint.pk
    elif model != "baseline":
        messages.error(request, f"Unknown model {model!r}.")
        return back
    job = start_job("prelabel", dataset=dataset, params=params, user=request.user)
    messages.success(request, f"Pre-labelling job #{job.pk} queued.")
    return redirect("job_detail", job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def run_detail(request: HtmxHttpRequest, run_id: int):
    """A run: provenance, threshold (editable: nothing re-runs) and MEGC metrics per video and pooled."""
    run = access.get_run_for_user(request.user, run_id)
    can_edit = access.role_in(request.user, run.dataset_id) in CAN_EDIT
    if request.method == "POST":
        run = access.get_run_for_user(request.user, run_id, CAN_EDIT)
        try:
            threshold = float(request.POST.get("threshold", ""))
        except ValueError:
            threshold = -1.0
        if not 0 <= threshold <= 1:
            messages.error(request, "The threshold is a score between 0 and 1.")
        else:
            PredictionRun.objects.filter(pk=run.pk).update(threshold=threshold)
            run.threshold = threshold
            messages.success(request, f"Threshold set to {threshold:g}; metrics below are recomputed.")
        return redirect("run_detail", run.pk)
    iou = 0.5
    metrics = evaluate_run(run, iou=iou)
    counts = run.predictions.aggregate(
        total=Count("id"), shown=Count("id", filter=Q(score__gte=run.threshold))
    )
    context = {
        "run": run,
        "dataset": run.dataset,
        "metrics": metrics,
        "pooled": [(k, metrics["pooled"][k]) for k in ("ME", "MaE", "overall")],
        "videos": metrics["videos"],
        "counts": counts,
        "speed": speed(run.report),
        "can_edit": can_edit,
        "params": sorted((run.params or {}).items()),
    }
    return render(request, "runs/detail.html", context)


@login_required
@require_GET
def video_spotting(request: HtmxHttpRequest, video_id: int):
    """The video page's card: runs covering this video, pre-label it, its weak labels."""
    video = access.get_video_for_user(request.user, video_id)
    return _video_panel(request, video, WeakLabelForm(video.frame_count))


def _video_panel(request, video, form):
    runs = video.dataset.runs.filter(predictions__video=video).annotate(
        n=Count("predictions", filter=Q(predictions__video=video, predictions__score__gte=F("threshold")))
    )
    context = {
        "video": video,
        "dataset": video.dataset,
        "runs": runs.distinct(),
        "weak_labels": video.weak_labels.select_related("author"),
        "form": form,
        "checkpoints": mcwes_checkpoints(video.dataset),
        "can_edit": access.role_in(request.user, video.dataset_id) in CAN_EDIT,
    }
    return render(request, "runs/_video.html", context)


@login_required
@require_POST
def weak_label_add(request: HtmxHttpRequest, video_id: int):
    video = access.get_video_for_user(request.user, video_id, CAN_EDIT)
    form = WeakLabelForm(video.frame_count, request.POST)
    if form.is_valid():
        contains = form.cleaned_data["contains"]
        WeakLabel.objects.create(
            video=video,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            contains_me=contains in ("ME", "both"),
            contains_mae=contains in ("MaE", "both"),
            author=request.user,
        )
        form = WeakLabelForm(video.frame_count)
    if not request.htmx:
        for error in form.errors.get("__all__", []):
            messages.error(request, f"Weak label: {error}")
        return redirect("video_detail", video.pk)
    return _video_panel(request, video, form)


@login_required
@require_POST
def weak_label_delete(request: HtmxHttpRequest, video_id: int, label_id: int):
    video = access.get_video_for_user(request.user, video_id, CAN_EDIT)
    video.weak_labels.filter(pk=label_id).delete()
    if not request.htmx:
        return redirect("video_detail", video.pk)
    return _video_panel(request, video, WeakLabelForm(video.frame_count))
