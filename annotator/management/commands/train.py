from django.core.management.base import BaseCommand, CommandError

from annotator import jobs
from annotator.models import Dataset, Job
from annotator.training import LABEL_MODES


class Command(BaseCommand):
    help = "Train a model on a dataset as a job; the trained checkpoint is registered with its metrics."

    def add_arguments(self, parser):
        parser.add_argument("--model", choices=["mcwes"], required=True)
        parser.add_argument("--dataset", required=True, help="Dataset name.")
        parser.add_argument(
            "--weak-labels",
            choices=LABEL_MODES,
            default="video",
            help="MC-WES labels: video / window tags, video tags derived from intervals, or frame-level (frames).",
        )
        parser.add_argument("--loso", action="store_true", help="Evaluate leave-one-subject-out first.")
        parser.add_argument("--epochs", type=int, default=40)
        parser.add_argument("--name", default="", help="Checkpoint name (default: model, labels and time).")
        parser.add_argument("--now", action="store_true", help="Run in this process instead of a worker.")

    def handle(self, *args, model, dataset, weak_labels, loso, epochs, name, now, **options):
        target = Dataset.objects.filter(name=dataset).first()
        if target is None:
            raise CommandError(f"No dataset called {dataset!r}.")
        if epochs < 1:
            raise CommandError("--epochs must be at least 1.")
        params = {"model": model, "labels": weak_labels, "loso": loso, "epochs": epochs, "name": name}
        job = jobs.start_job("train", dataset=target, params=params)
        if not now:
            self.stdout.write(f"Queued train job #{job.pk}; follow it on /jobs/{job.pk}/.")
            return
        jobs.execute(job.pk)
        job.refresh_from_db()
        if job.state != Job.State.SUCCEEDED:
            raise CommandError(f"train job #{job.pk} failed: {job.error}")
        self.stdout.write(self.style.SUCCESS(f"job #{job.pk}: {job.result}"))
