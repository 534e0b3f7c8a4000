"""Import a label file into a dataset (queue `io`): the page's preview (dry run) and its confirmed import."""

from ..importing import ImportFailed, Request, import_file, summary
from ..jobs import JobContext, JobFailure, job_handler
from ..models import Dataset, ImportRecord, Job


@job_handler("import", queue="io", time_limit=3600)
def import_labels(job: Job, ctx: JobContext) -> dict:
    """Params: path, file_name, format, sheet, fps, dry_run. The import is one transaction, so a retry
    either finds this job's record (finished: return it) or starts from nothing."""
    done = ImportRecord.objects.filter(job=job).first()
    if done is not None:
        return summary(done)
    dataset = Dataset.objects.get(pk=job.dataset_id)
    try:
        record = import_file(
            dataset,
            Request.from_params(job.params),
            dry_run=bool(job.params.get("dry_run")),
            user=job.created_by,
            job=job,
            progress=ctx.progress,
        )
    except ImportFailed as exc:
        raise JobFailure(f"Nothing imported: {exc}") from exc
    return summary(record)
