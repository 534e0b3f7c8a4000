"""The model registry page of a dataset: checkpoints with metrics and provenance, training as a
job, upload (validated) and download of checkpoint files."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import access
from ..access import CAN_EDIT, CAN_MANAGE
from ..jobs import start_job
from ..models import ModelCheckpoint
from ..spotting import SpottingError
from ..training import LABEL_MODES, register_upload, training_set
from . import HtmxHttpRequest

LABEL_HELP = {
    "video": "whole-video tags (contains ME / MaE / nothing)",
    "window": "window tags of videos",
    "from-intervals": "video tags derived from labelled intervals",
    "frames": "frame-level intervals (full supervision, for comparison)",
}


class TrainForm(forms.Form):
    """MC-WES training, from the model page and the API (`POST /api/checkpoints/train/`)."""

    labels = forms.ChoiceField(choices=[(m, f"{m}: {LABEL_HELP[m]}") for m in LABEL_MODES])
    epochs = forms.IntegerField(min_value=1, max_value=500, initial=40)
    loso = forms.BooleanField(required=False, initial=True, label="Leave-one-subject-out evaluation")
    name = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, dataset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset = dataset

    def clean_labels(self) -> str:
        """Refuse at once what the job would refuse: a label mode with no usable videos."""
        mode = self.cleaned_data["labels"]
        if self.dataset is not None:
            try:
                training_set(self.dataset, mode)
            except SpottingError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return mode

    def job_params(self) -> dict:
        return {"model": "mcwes", **{k: self.cleaned_data[k] for k in ("labels", "epochs", "loso", "name")}}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=ModelCheckpoint.Kind.choices)
    name = forms.CharField(max_length=200)
    file = forms.FileField()
    sha256 = forms.CharField(max_length=64, required=False, label="Expected SHA-256 (optional)")


def _readiness(dataset) -> list[tuple[str, str]]:
    """Per label mode, what training would use or what it still needs."""
    out = []
    for mode in LABEL_MODES:
        try:
            n = len(training_set(dataset, mode))
            out.append((mode, f"{n} video(s) usable"))
        except SpottingError as exc:
            out.append((mode, str(exc)))
    return out


def training_context(dataset, role: str | None, job_kinds: list[str]) -> dict:
    """What every training panel of the model page shows (MC-WES here, MOL in views/mol.py):
    whether a user of this role may train, and the panel's last jobs."""
    return {
        "dataset": dataset,
        "can_train": role in CAN_EDIT,
        "jobs": dataset.jobs.filter(kind__in=job_kinds)[:5],
    }


def queue_training(request, dataset, kind: str, params: dict, label: str, unit: str) -> HttpResponse:
    """Queue a training job and open the job page, where its `unit`s (epochs, steps) and loss show
    while it runs."""
    job = start_job(kind, dataset=dataset, params=params, user=request.user)
    messages.success(request, f"{label} job #{job.pk} queued; its {unit} and loss show here while it runs.")
    return redirect("job_detail", job.pk)


def _render(request, dataset, train_form=None, upload_form=None, status=200):
    role = access.role_in(request.user, dataset.pk)
    checkpoints = list(dataset.checkpoints.select_related("created_by"))
    for c in checkpoints:
        overall = ((c.metrics or {}).get("pooled") or {}).get("overall") or {}
        c.f1 = overall.get("f1")
        c.n_videos = len(c.training_data.get("videos", []))
    context = training_context(dataset, role, ["train"]) | {
        "checkpoints": checkpoints,
        "trained_mcwes": any(c.kind == "mcwes" for c in checkpoints),
        "readiness": _readiness(dataset),
        "train_form": train_form or TrainForm(),
        "upload_form": upload_form or UploadForm(),
        "can_upload": role in CAN_MANAGE,
    }
    return render(request, "models/list.html", context, status=status)


@login_required
@require_GET
def dataset_models(request: HtmxHttpRequest, dataset_id: int):
    return _render(request, access.get_dataset_for_user(request.user, dataset_id))


@login_required
@require_POST
def model_train(request: HtmxHttpRequest, dataset_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_EDIT)
    form = TrainForm(request.POST, dataset=dataset)
    if not form.is_valid():
        return _render(request, dataset, train_form=form, status=400)
    return queue_training(request, dataset, "train", form.job_params(), "Training", "epochs")


@login_required
@require_POST
def model_upload(request: HtmxHttpRequest, dataset_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_MANAGE)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = register_upload(
                dataset, data["kind"], data["name"], data["file"].chunks(), data["sha256"], request.user
            )
        except SpottingError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"Checkpoint {record.name} registered (SHA-256 {record.sha256[:12]}…).")
            return redirect("dataset_models", dataset.pk)
    return _render(request, dataset, upload_form=form, status=400)


@login_required
@require_GET
def model_download(request: HtmxHttpRequest, dataset_id: int, checkpoint_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    record = dataset.checkpoints.filter(pk=checkpoint_id).first()
    path = Path(settings.MEDIA_ROOT) / record.file if record is not None else None
    if path is None or not path.is_file():
        raise Http404("No such checkpoint file.")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"{record.kind}-{record.pk}.pt")  # noqa: SIM115
