"""`manage.py export --dataset NAME --format F --out PATH`: the same export as the page's, written to PATH."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotator.exporting import EXTENSIONS, ExportError, Selection, export, parse_kinds, summary
from annotator.models import Dataset


class Command(BaseCommand):
    help = "Export a dataset's labels (or a run's predictions) to one of the field's formats."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True, help="Dataset name.")
        parser.add_argument("--format", required=True, choices=sorted(EXTENSIONS), dest="fmt")
        parser.add_argument("--out", required=True, help="Output file (eaf: a folder, or a .zip).")
        parser.add_argument("--state", default="", help="Only videos in this review state (e.g. accepted).")
        parser.add_argument("--kinds", default="", help="Only these interval kinds, e.g. ME,MaE.")
        parser.add_argument("--run", type=int, help="Export this prediction run instead of the human labels.")
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="Writer option: megc-log dataset=1|2, eaf media_url={name}.mp4, labelstudio video_url=...",
        )
        parser.add_argument("--overwrite", action="store_true", help="Replace --out if it exists.")

    def handle(self, *args, dataset, fmt, out, state, kinds, run, option, overwrite, **opts):
        target = Dataset.objects.filter(name=dataset).first()
        if target is None:
            raise CommandError(f"No dataset called {dataset!r}.")
        if Path(out).exists() and not overwrite:
            raise CommandError(f"{out} exists; add --overwrite to replace it")
        options = {}
        for item in option:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise CommandError(f"--option {item!r}: write KEY=VALUE")
            options[key.strip()] = value
        try:
            selection = Selection(state, parse_kinds(kinds), run)
            record = export(target, fmt, Path(out), selection, options=options, overwrite=overwrite)
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        result = summary(record)
        self.stdout.write(json.dumps(result, indent=2, sort_keys=True))
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['counts'].get('intervals_written', 0)} interval(s) written to {out} "
                f"(sha256 {record.sha256[:12]}, label revision {record.label_revision})"
            )
        )
