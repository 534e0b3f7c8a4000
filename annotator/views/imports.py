"""The dataset page's Import labels card: upload -> dry-run job -> preview of the report -> confirm -> import job."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import access
from ..access import CAN_EDIT
from ..formats.readers import FORMATS
from ..importing import Request, save_upload
from ..jobs import start_job
from ..models import Dataset, ImportRecord, Job
from . import HtmxHttpRequest

RECENT = 20


class ImportForm(forms.Form):
    file = forms.FileField(label="File", help_text="xlsx / xls coding sheet, ELAN .eaf or generic .csv")
    format = forms.ChoiceField(
        choices=[("", "detect"), *((f, f) for f in FORMATS if f != "smic")], required=False
    )
    sheet = forms.CharField(
        required=False, max_length=100, help_text="only this sheet (CAS(ME)^3: eye blink)"
    )
    fps = forms.FloatField(required=False, min_value=0.001, label="fps", help_text="ELAN only")


def _panel(request: HtmxHttpRequest, dataset: Dataset, form: ImportForm | None = None):
    role = access.role_in(request.user, dataset.pk)
    context = {
        "dataset": dataset,
        "can_import": role in CAN_EDIT,
        "form": form or ImportForm(),
        "records": dataset.imports.select_related("created_by", "job")[:RECENT],
        "jobs": [job for job in dataset.jobs.filter(kind="import")[:5] if job.is_active or job.error],
    }
    return render(request, "imports/_panel.html", context)


@login_required
@require_GET
def dataset_imports(request: HtmxHttpRequest, dataset_id: int):
    """The card's content, loaded by htmx."""
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    return _panel(request, dataset)


@login_required
@require_POST
def dataset_import_start(request: HtmxHttpRequest, dataset_id: int):
    """Store the upload and queue its dry run; the browser goes to the preview page."""
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_EDIT)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            path = save_upload(form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc.message_dict["file"])
    if not form.is_valid():
        return _panel(request, dataset, form)
    data = form.cleaned_data
    request_ = Request(path, data["format"] or None, data["sheet"] or None, data["fps"], data["file"].name)
    job = start_job(
        "import", dataset=dataset, params={**request_.params(), "dry_run": True}, user=request.user
    )
    target = reverse("import_job", args=[dataset.pk, job.pk])
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Redirect": target})
    return redirect(target)


def _record_page(request: HtmxHttpRequest, dataset: Dataset, record: ImportRecord | None, job: Job | None):
    role = access.role_in(request.user, dataset.pk)
    confirmed = None
    if record is not None and record.dry_run and record.job_id:
        confirmed = dataset.jobs.filter(kind="import", params__preview=record.pk).first()
    context = {
        "dataset": dataset,
        "record": record,
        "report": record.report if record else None,
        "job": job,
        "can_confirm": record is not None and record.dry_run and record.job_id and role in CAN_EDIT,
        "confirmed": confirmed,
    }
    template = "imports/_result.html" if request.htmx else "imports/page.html"
    return render(request, template, context)


@login_required
@require_GET
def import_job(request: HtmxHttpRequest, dataset_id: int, job_id: int):
    """An import job's page: progress while it runs (polled), then its report, with Confirm after a dry run."""
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    job = dataset.jobs.filter(pk=job_id, kind="import").first()
    if job is None:
        raise Http404("No such import job in this dataset.")
    return _record_page(request, dataset, ImportRecord.objects.filter(job=job).first(), job)


@login_required
@require_GET
def import_record(request: HtmxHttpRequest, dataset_id: int, record_id: int):
    """A stored import report (also those of the command line, which have no job)."""
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    record = dataset.imports.select_related("job").filter(pk=record_id).first()
    if record is None:
        raise Http404("No such import in this dataset.")
    return _record_page(request, dataset, record, record.job)


@login_required
@require_POST
def import_confirm(request: HtmxHttpRequest, dataset_id: int, record_id: int):
    """Run the previewed import for real, from the same stored file."""
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_EDIT)
    record = dataset.imports.select_related("job").filter(pk=record_id, dry_run=True).first()
    if record is None or record.job is None:
        raise Http404("No such preview in this dataset.")
    params = {**record.job.params, "dry_run": False, "preview": record.pk}
    job = start_job("import", dataset=dataset, params=params, user=request.user)
    return redirect("import_job", dataset.pk, job.pk)
