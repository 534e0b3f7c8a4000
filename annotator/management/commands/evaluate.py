import json

from django.core.management.base import BaseCommand, CommandError

from annotator import quality
from annotator.models import Dataset
from annotator.spotting import evaluate_run


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = "MEGC spotting metrics of a prediction run against the human intervals (per video and pooled)."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True, help="Dataset name.")
        parser.add_argument("--run", type=int, required=True, help="PredictionRun id.")
        parser.add_argument("--iou", type=float, default=0.5, help="IoU needed for a match (MEGC: 0.5).")
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument(
            "--against",
            default="",
            metavar="annotator:NAME",
            help="Score against one annotator's intervals only (default: all human intervals).",
        )

    def handle(self, *args, dataset, run, iou, **options):
        target = Dataset.objects.filter(name=dataset).first()
        if target is None:
            raise CommandError(f"No dataset called {dataset!r}.")
        found = target.runs.filter(pk=run).first()
        if found is None:
            raise CommandError(f"Dataset {dataset!r} has no prediction run #{run}.")
        if not 0 < iou <= 1:
            raise CommandError("--iou must be in (0, 1].")
        if options["against"]:
            metrics = self._against(found, options["against"], iou)
        else:
            metrics = evaluate_run(found, iou=iou)
        if options["json"]:
            self.stdout.write(json.dumps(metrics, indent=2))
            return
        self.stdout.write(f"Run #{found.pk} {found.name}: threshold {found.threshold:.3f}, IoU >= {iou}")
        self.stdout.write(
            f"{'video':30} {'kind':8} {'TP':>4} {'FP':>4} {'FN':>4} {'P':>6} {'R':>6} {'F1':>6}"
        )
        rows = [(v, c) for v, c in metrics["videos"].items()] + [("POOLED", metrics["pooled"])]
        for video, counts in rows:
            for kind in ("ME", "MaE", "overall"):
                c = counts[kind]
                self.stdout.write(
                    f"{video[:30]:30} {kind:8} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4} "
                    f"{_fmt(c['precision']):>6} {_fmt(c['recall']):>6} {_fmt(c['f1']):>6}"
                )

    def _against(self, run, against: str, iou: float) -> dict:
        """The quality module's evaluation against one annotator, in this command's shape."""
        what, _, name = against.partition(":")
        if what != "annotator" or not name:
            raise CommandError(f"--against {against!r}: write annotator:USERNAME")
        try:
            annotator = quality.find_annotator(run.dataset, name)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        result = quality.evaluate_run(run, iou=iou, annotator=annotator).to_dict()
        spotting = result["spotting"]
        return {
            "threshold": run.threshold,
            "iou_threshold": iou,
            "against": result["against"],
            "pooled": spotting["counts"],
            "videos": {v: r["counts"] for v, r in spotting["videos"].items()},
            "f1_by_threshold": spotting["f1_by_threshold"],
            "recognition": result["recognition"],
            "spot_then_recognise": result["spot_then_recognise"],
        }
