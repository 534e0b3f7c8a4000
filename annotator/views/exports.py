"""The dataset page's Export card: start an export job, list past exports, download their files."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from mestudio import storage

from .. import access
from ..access import CAN_EDIT
from ..exporting import LABELS, USER_OPTIONS, ExportError, Selection, check_request, download_path
from ..jobs import start_job
from ..models import Dataset, ExportRecord, IntervalKind, Job
from ..models.review import ReviewState
from . import HtmxHttpRequest

RECENT = 20
SHOWN_SKIPS = 10  # per record on the page; the job result and the API have up to 200


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=list(LABELS.items()))
    state = forms.ChoiceField(
        choices=[("", "any review state"), *ReviewState.choices], required=False, label="Videos"
    )
    kinds = forms.MultipleChoiceField(
        choices=IntervalKind.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Kinds"
    )
    run = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Labels")
    megc_dataset = forms.ChoiceField(
        choices=[("", "–"), ("1", "1 SAMM"), ("2", "2 CAS(ME)^2")], required=False, label="MEGC log dataset"
    )
    media_url = forms.CharField(
        required=False, label="ELAN media", initial="{name}.mp4", widget=forms.TextInput(attrs={"size": 14})
    )
    video_url = forms.CharField(
        required=False,
        label="Label Studio video",
        initial="{name}",
        widget=forms.TextInput(attrs={"size": 14}),
    )

    def __init__(self, dataset: Dataset, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset = dataset
        runs = [(run.pk, f"predictions of run {run.name}") for run in dataset.runs.all()]
        self.fields["run"].choices = [("", "human labels"), *runs]

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        fmt = data["format"]
        given = {
            "dataset": data.get("megc_dataset"),
            "media_url": data.get("media_url"),
            "video_url": data.get("video_url"),
        }
        data["options"] = {k: v for k, v in given.items() if k in USER_OPTIONS.get(fmt, ()) and v}
        data["selection"] = Selection(
            data.get("state") or "", tuple(data.get("kinds") or ()), data.get("run")
        )
        try:
            check_request(self.dataset, fmt, data["selection"], data["options"])
        except ExportError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


def _describe(record: ExportRecord) -> None:
    """What the table shows; interval exports count intervals, split exports (CLI) samples."""
    counts, params = record.counts, record.params
    record.written = counts.get("intervals_written", counts.get("samples"))
    record.skipped = counts.get("skipped", 0)
    record.sentinels = counts.get("sentinels", 0)
    scope = [f"run {params['run']}" if params.get("run") else "human"]
    scope += [params["state"]] if params.get("state") else []
    scope += [",".join(params["kinds"])] if params.get("kinds") else []
    scope += [params["scheme"]] if params.get("scheme") else []
    record.scope = " · ".join(scope)
    report = params.get("report", {})
    record.lines = [
        *report.get("conventions", []),
        *(f"{rule}: {n}" for rule, n in report.get("sentinels", {}).items()),
        *(f"skipped {s['interval']}: {s['reason']}" for s in report.get("skipped", [])[:SHOWN_SKIPS]),
        *report.get("notes", []),
    ]


def _panel(
    request: HtmxHttpRequest, dataset: Dataset, form: ExportForm | None = None, started: Job | None = None
):
    role = access.role_in(request.user, dataset.pk)
    jobs = list(dataset.jobs.filter(kind="export")[:5])
    records = list(dataset.exports.select_related("created_by")[:RECENT])
    for record in records:
        _describe(record)
    context = {
        "dataset": dataset,
        "can_export": role in CAN_EDIT,
        "form": form or ExportForm(dataset),
        "records": records,
        "jobs": jobs,
        "polling": any(job.is_active for job in jobs),
        "started": started,
    }
    return render(request, "exports/_panel.html", context)


@login_required
@require_GET
def dataset_exports(request: HtmxHttpRequest, dataset_id: int):
    """The card's content (loaded by htmx; it polls itself while an export job runs)."""
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    return _panel(request, dataset)


@login_required
@require_POST
def dataset_export_start(request: HtmxHttpRequest, dataset_id: int):
    """htmx swaps the card in place; a plain form post (no script) comes back to the dataset page."""
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_EDIT)
    form = ExportForm(dataset, request.POST)
    if not form.is_valid():
        if not request.htmx:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, f"Export: {error}")
            return redirect("dataset_detail", dataset.pk)
        return _panel(request, dataset, form)
    data = form.cleaned_data
    job = start_job(
        "export",
        dataset=dataset,
        params={"format": data["format"], **data["selection"].params(), "options": data["options"]},
        user=request.user,
    )
    if not request.htmx:
        messages.success(request, f"Export job #{job.pk} queued; its file appears in the Export card.")
        return redirect("dataset_detail", dataset.pk)
    return _panel(request, dataset, ExportForm(dataset, initial={"format": data["format"]}), started=job)


@login_required
@require_GET
def export_download(request: HtmxHttpRequest, dataset_id: int, record_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    record = dataset.exports.filter(pk=record_id).first()
    path = download_path(record) if record is not None else None
    if path is None:
        raise Http404("No such export file here (exports written by the CLI stay where they were written).")
    return storage.download_response(path)
