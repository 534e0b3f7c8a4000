"""MOL on the model page: a panel (checkpoints with LOSO scores, training form, emotion suggestions),
and one checkpoint's page with the pooled confusion matrix, per-class recall and training curves.

The panel is loaded into the model registry page by htmx, so that page only includes a partial.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from .. import access, quality_plots
from ..access import CAN_EDIT
from ..jobs import start_job
from ..models import Interval, IntervalKind, ModelCheckpoint
from ..models.videos import IngestState
from ..recognition import CLASS_CHOICES, RecognitionError, load_for_prelabel
from . import HtmxHttpRequest
from .models import queue_training, training_context

CLASS_HELP = {
    "3": "MEGC composite: negative / positive / surprise",
    "5": "5 classes: CASME II or SAMM set, whichever fits the labels",
    "casme2-5": "CASME II 5 classes",
    "samm-5": "SAMM 5 classes",
    "dataset": "the dataset's own emotions",
}


class MolTrainForm(forms.Form):
    classes = forms.ChoiceField(choices=[(c, f"{c}: {CLASS_HELP[c]}") for c in CLASS_CHOICES])
    steps = forms.IntegerField(min_value=1, max_value=100_000, initial=1000, help_text="per LOSO fold too")
    loso = forms.BooleanField(required=False, initial=True, label="Leave-one-subject-out evaluation")
    flow_width = forms.FloatField(
        min_value=0.01,
        max_value=1.0,
        required=False,
        help_text="FlowNetC width; paper 1.0, 0.125 trains ~8x faster",
    )
    lr = forms.FloatField(
        min_value=1e-7, max_value=1.0, required=False, label="Learning rate", help_text="paper 1e-4"
    )
    batch_size = forms.IntegerField(min_value=1, max_value=256, required=False, help_text="paper 8")
    name = forms.CharField(max_length=200, required=False)

    def job_params(self) -> dict:
        """The `train_mol` job's parameters: what was given, defaults left to the job."""
        params = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return params | {"loso": self.cleaned_data["loso"]}


def _render_panel(request, dataset, form=None, status=200):
    role = access.role_in(request.user, dataset.pk)
    checkpoints = list(dataset.checkpoints.filter(kind=ModelCheckpoint.Kind.MOL))
    labelled = Interval.objects.filter(
        video__dataset=dataset, kind=IntervalKind.ME, video__ingest_state=IngestState.READY
    ).exclude(emotion="")
    open_items = Interval.objects.filter(
        video__dataset=dataset, kind=IntervalKind.ME, emotion="", suggested_emotion=""
    )
    context = training_context(dataset, role, ["train_mol", "prelabel_mol"]) | {
        "checkpoints": checkpoints,
        "labelled": labelled.count(),
        "subjects": labelled.values("video__subject").distinct().count(),
        "open_intervals": open_items.count(),
        "form": form or MolTrainForm(),
    }
    return render(request, "models/_mol_panel.html", context, status=status)


@login_required
@require_GET
def mol_panel(request: HtmxHttpRequest, dataset_id: int):
    return _render_panel(request, access.get_dataset_for_user(request.user, dataset_id))


@login_required
@require_POST
def mol_train(request: HtmxHttpRequest, dataset_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_EDIT)
    form = MolTrainForm(request.POST)
    if not form.is_valid():
        return _render_panel(request, dataset, form=form, status=400)
    return queue_training(request, dataset, "train_mol", form.job_params(), "MOL training", "steps")


@login_required
@require_POST
def mol_prelabel(request: HtmxHttpRequest, dataset_id: int, checkpoint_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_EDIT)
    record = _checkpoint(dataset, checkpoint_id)
    try:
        load_for_prelabel(record, dataset)
    except RecognitionError as exc:
        messages.error(request, str(exc))
        return redirect("dataset_models", dataset.pk)
    job = start_job("prelabel_mol", dataset=dataset, params={"checkpoint": record.pk}, user=request.user)
    messages.success(request, f"Emotion suggestions job #{job.pk} queued with {record.name}.")
    return redirect("job_detail", job.pk)


def _checkpoint(dataset, checkpoint_id: int) -> ModelCheckpoint:
    record = dataset.checkpoints.filter(Q(pk=checkpoint_id), kind=ModelCheckpoint.Kind.MOL).first()
    if record is None:
        raise Http404("No such MOL checkpoint.")
    return record


def curves_svg(curve: list[dict]) -> str:
    """Training losses per step (bin means): total, cross-entropy, flow and landmark terms."""
    if not curve:
        return ""
    fig, ax = quality_plots.plt.subplots(figsize=(6, 3.2))
    steps = [p["step"] for p in curve]
    for key in ("total", "ce", "flow", "landmarks"):
        if key in curve[0]:
            ax.plot(steps, [p[key] for p in curve], label=key, marker="." if len(curve) < 20 else None)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    ax.set_title("Final model training losses", fontsize=10)
    return quality_plots._svg(fig)


@login_required
@require_GET
def mol_checkpoint(request: HtmxHttpRequest, dataset_id: int, checkpoint_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    record = _checkpoint(dataset, checkpoint_id)
    metrics = record.metrics or {}
    data = record.training_data or {}
    recall = [
        (c, metrics.get("recall", {}).get(c), data.get("per_class", {}).get(c))
        for c in metrics.get("classes", [])
    ]
    confusion = (
        quality_plots.confusion(metrics["classes"], metrics["confusion"], "LOSO, pooled over folds")
        if metrics.get("confusion")
        else ""
    )
    context = {
        "dataset": dataset,
        "record": record,
        "metrics": metrics,
        "data": data,
        "recall": recall,
        "confusion_svg": mark_safe(confusion),  # noqa: S308 - drawn here by matplotlib
        "curves_svg": mark_safe(curves_svg(data.get("curve", []))),  # noqa: S308
        "can_prelabel": access.role_in(request.user, dataset.pk) in CAN_EDIT,
    }
    return render(request, "models/mol_checkpoint.html", context)
