"""`manage.py import_annotations PATH --dataset NAME [--format F] [--dry-run]`: the page's import, run here."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotator.formats.readers import FORMATS
from annotator.importing import ImportFailed, Request, import_file, summary
from annotator.models import Dataset


class Command(BaseCommand):
    help = (
        "Import a coding sheet (or ELAN file, CSV, SMIC folder) into a dataset's labels, in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Sheet, .eaf, .csv, or SMIC clip folder.")
        parser.add_argument("--dataset", required=True, help="Dataset name.")
        parser.add_argument("--format", choices=FORMATS, dest="fmt", help="Layout; detected when omitted.")
        parser.add_argument("--sheet", help="Read only this sheet (CAS(ME)^3: 'eye blink'; ELAN: one tier).")
        parser.add_argument("--fps", type=float, help="ELAN only: frame rate (default: the dataset's).")
        parser.add_argument("--user", help="Username the imported labels belong to (their annotator).")
        parser.add_argument("--dry-run", action="store_true", help="Print the report; write no labels.")

    def handle(self, *args, path, dataset, fmt, sheet, fps, user, dry_run, **opts):
        target = Dataset.objects.filter(name=dataset).first()
        if target is None:
            raise CommandError(f"No dataset called {dataset!r}.")
        owner = None
        if user:
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"No user called {user!r}.")
        request = Request(Path(path), fmt, sheet, fps)
        try:
            record = import_file(target, request, dry_run=dry_run, user=owner)
        except ImportFailed as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        result = summary(record)
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['format']}: {result['rows_read']} row(s) read; {verb} {result['intervals_created']} "
                f"interval(s); {result['waiting_for_video']} waiting for their video; "
                f"{result['already_imported']} already imported; {result['refused_count']} row(s) refused; "
                f"{result['sentinels_count']} sentinel(s) mapped"
                + (" (dry run: nothing written)" if dry_run else f" (import record {record.pk})")
            )
        )
