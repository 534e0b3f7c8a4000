"""MOL emotion recognition jobs (queue `models`): training and emotion suggestions."""

from pathlib import Path

from django.conf import settings
from django.utils import timezone

from ..jobs import JobContext, JobFailure, job_handler
from ..models import Dataset, Job, ModelCheckpoint
from ..recognition import TUNABLE, RecognitionError, suggest_emotions, train_mol


@job_handler("train_mol", queue="models", time_limit=12 * 3600)
def train_mol_job(job: Job, ctx: JobContext) -> dict:
    """params: classes (3|5|casme2-5|samm-5|dataset), steps, loso, name, seed, and MOLConfig
    overrides among ``TUNABLE`` (defaults: the paper's)."""
    dataset = Dataset.objects.get(pk=job.dataset_id)
    params = job.params
    classes = str(params.get("classes", "3"))
    name = params.get("name") or f"mol {classes} {timezone.now():%Y-%m-%d %H:%M}"
    try:
        record = train_mol(
            dataset,
            classes=classes,
            loso=bool(params.get("loso", False)),
            steps=int(params.get("steps", 1000)),
            settings_={k: params[k] for k in TUNABLE if params.get(k) is not None},
            work=Path(settings.MEDIA_ROOT) / "training" / f"job-{job.pk}",
            name=name,
            progress=lambda percent, stage, message: ctx.progress(percent, stage, message),
            job=job,
            user=job.created_by,
            seed=int(params.get("seed", 0)),
        )
    except RecognitionError as exc:
        raise JobFailure(str(exc)) from exc
    return {"checkpoint": record.pk, "name": record.name, "metrics": _headline(record.metrics)}


def _headline(metrics: dict | None) -> dict | None:
    return None if metrics is None else {k: metrics[k] for k in ("accuracy", "uf1", "uar", "folds")}


@job_handler("prelabel_mol", queue="models", time_limit=6 * 3600)
def prelabel_mol_job(job: Job, ctx: JobContext) -> dict:
    """params: checkpoint (a trained MOL ModelCheckpoint of this dataset), video (id, optional)."""
    dataset = Dataset.objects.get(pk=job.dataset_id)
    record = ModelCheckpoint.objects.filter(pk=job.params.get("checkpoint"), dataset=dataset).first()
    if record is None:
        raise JobFailure(f"Checkpoint #{job.params.get('checkpoint')} is not in dataset {dataset.name}.")
    try:
        return suggest_emotions(
            dataset,
            record,
            video_id=job.params.get("video"),
            progress=lambda percent, stage, message: ctx.progress(percent, stage, message),
        )
    except RecognitionError as exc:
        raise JobFailure(str(exc)) from exc
