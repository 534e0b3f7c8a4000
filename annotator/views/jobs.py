"""Job list and job page; both poll with htmx while work is running."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import access
from ..access import CAN_EDIT
from ..jobs import JobFailure, retry_job
from . import HtmxHttpRequest


@login_required
def job_list(request: HtmxHttpRequest):
    jobs = access.jobs_for_user(request.user)
    dataset_id = request.GET.get("dataset")
    if dataset_id and dataset_id.isdigit():
        jobs = jobs.filter(dataset_id=int(dataset_id))
    jobs = list(jobs[:100])
    context = {"jobs": jobs, "polling": any(job.is_active for job in jobs)}
    template = "jobs/_table.html" if request.htmx else "jobs/list.html"
    return render(request, template, context)


@login_required
def job_detail(request: HtmxHttpRequest, job_id: int):
    job = access.get_job_for_user(request.user, job_id)
    template = "jobs/_job.html" if request.htmx else "jobs/detail.html"
    return render(request, template, {"job": job})


@login_required
@require_POST
def job_retry(request: HtmxHttpRequest, job_id: int):
    job = access.get_job_for_user(request.user, job_id, CAN_EDIT)
    try:
        retry_job(job)
        messages.success(request, f"Job #{job.pk} queued again.")
    except JobFailure as exc:
        messages.error(request, str(exc))
    return redirect("job_detail", job.pk)
