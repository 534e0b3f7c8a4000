"""`manage.py import_predictions FILE --format F --dataset NAME [--name RUN]`: spotting output as a run."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotator.models import Dataset
from annotator.predictions_import import FORMATS, PredictionImportError, import_predictions, read_text


class Command(BaseCommand):
    help = "Import an external spotting file as a PredictionRun (model 'external'); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The predictions file.")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument("--dataset", required=True, help="Dataset name.")
        parser.add_argument("--name", default="", help="Run name (default: the file name).")

    def handle(self, *args, file, fmt, dataset, name, **opts):
        target = Dataset.objects.filter(name=dataset).first()
        if target is None:
            raise CommandError(f"No dataset called {dataset!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.")
        try:
            text = read_text(path.read_bytes(), path.name)
            run = import_predictions(target, text, fmt, name or path.name, source_file=str(path))
        except PredictionImportError as exc:
            raise CommandError(
                f"Nothing imported from {path.name}; {len(exc.problems)} problem(s):\n  "
                + "\n  ".join(exc.problems)
            ) from exc
        self.stdout.write(json.dumps(run.report, indent=2, sort_keys=True))
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {run.pk} {run.name!r}: {run.report['predictions']} prediction(s) imported."
            )
        )
