"""Pre-labelling and MC-WES training jobs (queue `models`)."""

from pathlib import Path

from django.conf import settings
from django.utils import timezone

from ..jobs import JobContext, JobFailure, job_handler, start_job
from ..models import Dataset, Job, ModelCheckpoint, PredictionRun, Video
from ..spotting import AFTER_INGEST_RUN, SpottingError, new_run, prelabel, prelabel_candidates
from ..training import train_mcwes


@job_handler("prelabel", queue="models", time_limit=6 * 3600)
def prelabel_job(job: Job, ctx: JobContext) -> dict:
    """params: model (baseline|mcwes), checkpoint (id, MC-WES), video (id, optional), run_name."""
    dataset = Dataset.objects.get(pk=job.dataset_id)
    model = job.params.get("model", PredictionRun.Model.BASELINE)
    try:
        checkpoint = None
        if model == PredictionRun.Model.MCWES:
            checkpoint = ModelCheckpoint.objects.filter(
                pk=job.params.get("checkpoint"), dataset=dataset
            ).first()
            if checkpoint is None:
                raise SpottingError(
                    f"Checkpoint #{job.params.get('checkpoint')} is not in dataset {dataset.name}."
                )
        videos = prelabel_candidates(dataset, job.params.get("video"))
        run = new_run(
            dataset,
            model,
            checkpoint=checkpoint,
            name=job.params.get("run_name", ""),
            job=job,
            user=job.created_by,
        )
        report = prelabel(
            run,
            videos,
            resume=run.job_id == job.pk,
            progress=lambda i, n, video: ctx.progress(
                100 * i / max(n, 1), "spotting", f"video {i + 1}/{n}: {video.name}"
            ),
        )
    except SpottingError as exc:
        raise JobFailure(str(exc)) from exc
    return {"run": run.pk, "run_name": run.name, "videos": len(report["done"]), "skipped": report["skipped"]}


@job_handler("train", queue="models", time_limit=12 * 3600)
def train_job(job: Job, ctx: JobContext) -> dict:
    """params: model (mcwes), labels (video|window|from-intervals|frames), epochs, loso, name."""
    dataset = Dataset.objects.get(pk=job.dataset_id)
    if job.params.get("model", "mcwes") != "mcwes":
        raise JobFailure(f"This job trains MC-WES only, not {job.params.get('model')!r}.")
    name = (
        job.params.get("name") or f"mcwes {job.params.get('labels', 'video')} {timezone.now():%Y-%m-%d %H:%M}"
    )
    try:
        record = train_mcwes(
            dataset,
            mode=job.params.get("labels", "video"),
            epochs=int(job.params.get("epochs", 40)),
            loso=bool(job.params.get("loso", False)),
            work=Path(settings.MEDIA_ROOT) / "training" / f"job-{job.pk}",
            name=name,
            progress=lambda percent, stage, message: ctx.progress(percent, stage, message),
            job=job,
            user=job.created_by,
        )
    except (SpottingError, ValueError) as exc:
        raise JobFailure(str(exc)) from exc
    return {"checkpoint": record.pk, "name": record.name, "metrics": record.metrics}


def prelabel_after_ingest(video: Video) -> Job | None:
    """Queue the baseline on a freshly ingested video when its dataset asks for it."""
    if not video.dataset.prelabel_after_ingest:
        return None
    return start_job(
        "prelabel",
        dataset=video.dataset,
        video=video,
        params={"model": "baseline", "video": video.pk, "run_name": AFTER_INGEST_RUN},
    )
