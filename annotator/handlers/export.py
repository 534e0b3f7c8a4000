"""Export a dataset's labels to a file under MEDIA_ROOT/exports (queue `io`), for the page and the API."""

from pathlib import Path

from django.conf import settings

from mestudio import storage

from ..exporting import ExportError, Selection, export, job_file, summary
from ..jobs import JobContext, JobFailure, job_handler
from ..models import Dataset, ExportRecord, Job


@job_handler("export", queue="io", time_limit=3600)
def export_dataset(job: Job, ctx: JobContext) -> dict:
    """Params: format, state, kinds, run, options. A retry after the record exists returns it again."""
    done = ExportRecord.objects.filter(job=job).first()
    if done is not None:
        _publish(done)  # an attempt that died after its record may not have uploaded the file
        return summary(done)
    dataset = Dataset.objects.get(pk=job.dataset_id)
    params = job.params
    relative = job_file(dataset, params["format"], job)
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    selection = Selection(params.get("state") or "", tuple(params.get("kinds") or ()), params.get("run"))
    ctx.progress(5, "export", f"Writing {params['format']}")
    try:
        record = export(
            dataset,
            params["format"],
            target,
            selection,
            options=params.get("options") or {},
            record_file=relative,
            overwrite=True,  # this job's own file, left by an attempt that died before its record
            user=job.created_by,
            job=job,
        )
    except ExportError as exc:
        raise JobFailure(str(exc)) from exc
    _publish(record)
    return summary(record)


def _publish(record: ExportRecord) -> None:
    if storage.object_storage():
        storage.publish_file(Path(settings.MEDIA_ROOT) / record.file)
