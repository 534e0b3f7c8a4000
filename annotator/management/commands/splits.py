"""`manage.py splits --dataset NAME --scheme loso|kfold-subject|composite3 --out DIR`: training splits by subject.

One sample per ME interval (its clip and emotion). The folder appears only when complete, and
`annotator.formats.splits` refuses to write any fold in which a subject is on both sides.
"""

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotator.exporting import label_revision
from annotator.formats import splits
from annotator.formats.writers import ExportError
from annotator.formats.writers.elan import safe_name
from annotator.models import Dataset, ExportRecord, Interval, IntervalKind

COMPOSITE_KEYS = ("casme2", "samm", "smic")
GROUND_TRUTH = "megc2019_composite3.csv"


def _composite_key(name: str) -> str | None:
    """`CASME II`, `casme2` -> casme2; `SAMM` -> samm; `SMIC-HS` -> smic (the composite's three corpora)."""
    word = re.sub(r"[^a-z0-9]", "", name.lower())
    if word in ("casme2", "casmeii"):
        return "casme2"
    return next((key for key in ("samm", "smic") if word.startswith(key)), None)


def dataset_samples(dataset: Dataset, key: str, state: str) -> list[splits.Sample]:
    """One sample per ME interval; a video with several MEs names them `<video>_<n>` in onset order."""
    rows = Interval.objects.filter(video__dataset=dataset, kind=IntervalKind.ME).select_related(
        "video__subject"
    )
    if state:
        rows = rows.filter(video__review_state=state)
    by_video: dict[int, list[Interval]] = {}
    for row in rows.order_by("video__name", "onset", "id"):
        by_video.setdefault(row.video_id, []).append(row)
    samples = []
    for items in by_video.values():
        video = items[0].video
        if video.subject is None:
            raise CommandError(
                f"video {video.name!r} of {dataset.name!r} has no subject; splits are by subject"
            )
        for n, row in enumerate(items, start=1):
            name = video.name if len(items) == 1 else f"{video.name}_{n}"
            samples.append(splits.Sample(key, video.subject.code, name, row.emotion))
    if not samples:
        scope = f" in review state {state!r}" if state else ""
        raise CommandError(f"dataset {dataset.name!r} has no ME intervals{scope} to split")
    return samples


class Command(BaseCommand):
    help = "Write subject-wise training splits (LOSO, subject k-fold, MEGC2019 composite 3-class)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dataset",
            action="append",
            required=True,
            metavar="NAME[=casme2|samm|smic]",
            help="Dataset name; repeat for several. composite3 needs to know which corpus each one is.",
        )
        parser.add_argument("--scheme", required=True, choices=["loso", "kfold-subject", "composite3"])
        parser.add_argument("--k", type=int, default=5, help="Folds for kfold-subject.")
        parser.add_argument(
            "--seed", type=int, default=0, help="Orders subjects of equal size (kfold-subject)."
        )
        parser.add_argument("--state", default="", help="Only videos in this review state (e.g. accepted).")
        parser.add_argument("--out", required=True, help="Folder to create (must not exist).")

    def handle(self, *args, dataset, scheme, k, seed, state, out, **opts):
        chosen = [self._dataset(item, scheme) for item in dataset]
        keys = [key for _, key in chosen]
        if len(set(keys)) != len(keys):
            raise CommandError(f"a corpus is named twice: {', '.join(keys)}")
        by_key = {key: dataset_samples(d, key, state) for d, key in chosen}
        target = Path(out)
        try:
            if scheme == "composite3":
                samples, dropped = splits.composite3(by_key)
                for sample, reason in dropped:
                    self.stdout.write(f"dropped {sample.dataset}/{sample.filename}: {reason}")
                sha = self._write_composite(splits.loso(samples), samples, target)
            else:
                samples = [s for items in by_key.values() for s in items]
                folds = splits.loso(samples) if scheme == "loso" else splits.kfold_subject(samples, k, seed)
                sha = splits.write_splits(folds, target)
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        subjects = len({s.person for s in samples})
        params = {
            "scheme": scheme,
            "k": k if scheme == "kfold-subject" else None,
            "seed": seed,
            "state": state,
        }
        for d, key in chosen:
            ExportRecord.objects.create(
                dataset=d,
                format=f"splits-{scheme}",
                file=str(target.resolve()),
                sha256=sha,
                params={**params, "datasets": keys},
                counts={"samples": sum(s.dataset == key for s in samples), "subjects_all": subjects},
                label_revision=label_revision(d),
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(samples)} samples of {subjects} subjects written to {target} (sha256 {sha[:12]})"
            )
        )

    def _dataset(self, item: str, scheme: str) -> tuple[Dataset, str]:
        name, _, key = item.rpartition("=") if "=" in item else (item, "", "")
        found = Dataset.objects.filter(name=name).first()
        if found is None:
            raise CommandError(f"No dataset called {name!r}.")
        if scheme != "composite3":
            return found, key or safe_name(found.name)
        key = key or _composite_key(name) or ""
        if key not in COMPOSITE_KEYS:
            raise CommandError(
                f"composite3 combines casme2, samm and smic: say which {name!r} is, e.g. --dataset '{name}=casme2'"
            )
        return found, key

    def _write_composite(self, folds: list[splits.Fold], samples: list[splits.Sample], target: Path) -> str:
        """LOSO folds and the ground-truth file in one folder that appears only when both are written."""
        if target.exists():
            raise ExportError(f"{target} exists; choose a new folder")
        if not target.parent.is_dir():
            raise ExportError(f"folder {target.parent} does not exist")
        work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part"))
        try:
            folds_sha = splits.write_splits(folds, work / target.name)
            truth_sha = splits.write_ground_truth(samples, work / target.name / GROUND_TRUTH)
            os.replace(work / target.name, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return hashlib.sha256(f"{folds_sha} {truth_sha}".encode()).hexdigest()
