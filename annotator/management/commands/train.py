from django.core.management.base import BaseCommand, CommandError

from annotator import jobs
from annotator.management.queue import run_now_or_leave
from annotator.models import Dataset
from annotator.recognition import CLASS_CHOICES
from annotator.training import LABEL_MODES


class Command(BaseCommand):
    help = "Train a model on a dataset as a job; the trained checkpoint is registered with its metrics."

    def add_arguments(self, parser):
        parser.add_argument("--model", choices=["mcwes", "mol"], required=True)
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
        mol = parser.add_argument_group("MOL (emotion recognition; defaults are the paper's)")
        mol.add_argument(
            "--classes", choices=CLASS_CHOICES, default="3", help="MEGC 3-class, 5-class, or own."
        )
        mol.add_argument("--steps", type=int, default=1000, help="Training steps (every LOSO fold too).")
        mol.add_argument("--flow-width", type=float, help="FlowNetC width multiplier (paper 1.0).")
        mol.add_argument("--lr", type=float, help="AdamW learning rate (paper 1e-4).")
        mol.add_argument("--batch-size", type=int, help="Sub-clips per step (paper 8).")
        parser.add_argument("--now", action="store_true", help="Run in this process instead of a worker.")

    def handle(self, *args, model, dataset, weak_labels, loso, epochs, name, now, **options):
        target = Dataset.objects.filter(name=dataset).first()
        if target is None:
            raise CommandError(f"No dataset called {dataset!r}.")
        if epochs < 1 or options["steps"] < 1:
            raise CommandError("--epochs and --steps must be at least 1.")
        if model == "mol":
            params = {"classes": options["classes"], "steps": options["steps"], "loso": loso, "name": name}
            params |= {k: options[k] for k in ("flow_width", "lr", "batch_size") if options[k] is not None}
            job = jobs.start_job("train_mol", dataset=target, params=params)
        else:
            params = {"model": model, "labels": weak_labels, "loso": loso, "epochs": epochs, "name": name}
            job = jobs.start_job("train", dataset=target, params=params)
        run_now_or_leave(
            self, job, "train", now, f"Queued train job #{job.pk}; follow it on /jobs/{job.pk}/."
        )
