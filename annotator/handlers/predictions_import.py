"""Import an uploaded spotting file as a run (queue `io`)."""

from pathlib import Path

from ..jobs import JobContext, JobFailure, job_handler
from ..models import Dataset, Job, PredictionRun
from ..predictions_import import PredictionImportError, import_predictions, read_text


@job_handler("import_predictions", queue="io", time_limit=600)
def import_predictions_job(job: Job, ctx: JobContext) -> dict:
    """Params: path, file_name, format, name. One transaction: a retry finds this job's run or starts over."""
    done = PredictionRun.objects.filter(job=job).first()
    if done is None:
        dataset = Dataset.objects.get(pk=job.dataset_id)
        params = job.params
        ctx.progress(10, "reading", params["file_name"])
        try:
            text = read_text(Path(params["path"]).read_bytes(), params["file_name"])
            done = import_predictions(
                dataset, text, params["format"], params["name"], params["file_name"], job.created_by, job
            )
        except PredictionImportError as exc:
            raise JobFailure(
                f"Nothing imported from {params['file_name']}: " + "; ".join(exc.problems)
            ) from exc
    ctx.progress(100, "imported", f"{done.report['predictions']} prediction(s) in run {done.name!r}")
    return {"run": done.pk, "name": done.name, **(done.report or {})}
