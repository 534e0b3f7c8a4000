from django.core.management.base import BaseCommand, CommandError

from annotator import jobs
from annotator.management.queue import run_now_or_leave
from annotator.models import Dataset, ModelCheckpoint, PredictionRun


class Command(BaseCommand):
    help = "Pre-label a dataset (or one video) with the baseline spotter or a trained MC-WES checkpoint."

    def add_arguments(self, parser):
        parser.add_argument("--model", choices=["baseline", "mcwes", "mol"], default="baseline")
        parser.add_argument("--checkpoint", type=int, help="ModelCheckpoint id (MC-WES, MOL).")
        parser.add_argument("--dataset", required=True, help="Dataset name.")
        parser.add_argument("--video", type=int, help="Only this video id.")
        parser.add_argument("--name", default="", help="Run name (default: model and time).")
        parser.add_argument("--now", action="store_true", help="Run in this process instead of a worker.")

    def handle(self, *args, model, checkpoint, dataset, video, name, now, **options):
        target = Dataset.objects.filter(name=dataset).first()
        if target is None:
            raise CommandError(f"No dataset called {dataset!r}.")
        if model == PredictionRun.Model.MCWES:
            if checkpoint is None:
                raise CommandError("--model mcwes needs --checkpoint ID (a trained MC-WES; see `train`).")
            found = ModelCheckpoint.objects.filter(pk=checkpoint, dataset=target).first()
            if found is None:
                raise CommandError(f"No checkpoint #{checkpoint} in dataset {dataset!r}.")
            if found.kind != ModelCheckpoint.Kind.MCWES:
                raise CommandError(f"Checkpoint #{checkpoint} is a {found.kind} model, not MC-WES.")
        if model == PredictionRun.Model.MOL:
            found = ModelCheckpoint.objects.filter(pk=checkpoint, dataset=target).first()
            if checkpoint is None or found is None or found.kind != ModelCheckpoint.Kind.MOL:
                raise CommandError(
                    f"--model mol needs --checkpoint ID of a trained MOL checkpoint in dataset {dataset!r} "
                    "(see `train --model mol`)."
                )
        if video is not None and not target.videos.filter(pk=video).exists():
            raise CommandError(f"Dataset {dataset!r} has no video #{video}.")
        if model == PredictionRun.Model.MOL:
            job = jobs.start_job(
                "prelabel_mol", dataset=target, params={"checkpoint": checkpoint, "video": video}
            )
        else:
            params = {"model": model, "checkpoint": checkpoint, "video": video, "run_name": name}
            job = jobs.start_job("prelabel", dataset=target, params=params)
        run_now_or_leave(self, job, "prelabel", now, f"Queued prelabel job #{job.pk}.")
