"""Training splits by subject (FORMATS.md §5): LOSO, subject k-fold, the MEGC2019 composite 3-class set.

Splits are always by subject: clips of one person on both sides of a fold is the leakage the field's
benchmark papers warn about, so `write_splits` refuses to write any fold that has it. A subject is
the pair (dataset, subject): `sub01` of CASME II and `6` of SAMM are different people.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from annotator.formats.emotions import MEGC3_LABELS, megc3
from annotator.formats.writers.model import ExportError
from annotator.formats.writers.output import save_file, save_folder

GT_HEADER = ["database", "subject", "filename", "label"]


class LeakageError(ExportError):
    """A subject (or a clip) is on both the training and the test side of a fold."""


@dataclass(frozen=True)
class Sample:
    dataset: str  # casme2, samm, smic, or any corpus name
    subject: str
    filename: str  # clip name (EP02_01f, 006_1_2, s01_ne_01)
    label: str | int  # emotion as written, or a class id

    @property
    def person(self) -> tuple[str, str]:
        return (self.dataset, self.subject)


@dataclass
class Fold:
    name: str
    train: list[Sample]
    test: list[Sample]


def _people(samples: Iterable[Sample]) -> list[tuple[str, str]]:
    return sorted({s.person for s in samples})


def _fold(name: str, samples: list[Sample], test_people: set[tuple[str, str]]) -> Fold:
    return Fold(
        name,
        [s for s in samples if s.person not in test_people],
        [s for s in samples if s.person in test_people],
    )


def loso(samples: list[Sample]) -> list[Fold]:
    """One fold per subject, named `<dataset>_<subject>`, in sorted subject order."""
    people = _people(samples)
    if len(people) < 2:
        raise ExportError(f"loso needs at least 2 subjects, got {len(people)}")
    return [_fold(f"{d}_{s}", samples, {(d, s)}) for d, s in people]


def kfold_subject(samples: list[Sample], k: int, seed: int) -> list[Fold]:
    """k folds of whole subjects, balanced by sample count: largest subject first to the lightest fold;
    the seed orders subjects of equal size."""
    people = _people(samples)
    if not 2 <= k <= len(people):
        raise ExportError(f"kfold_subject: k must be in [2, {len(people)}] (number of subjects), got {k}")
    random.Random(seed).shuffle(people)
    size = {p: 0 for p in people}
    for s in samples:
        size[s.person] += 1
    people.sort(key=lambda p: -size[p])
    groups: list[set[tuple[str, str]]] = [set() for _ in range(k)]
    load = [0] * k
    for p in people:
        i = min(range(k), key=lambda j: (load[j], j))
        groups[i].add(p)
        load[i] += size[p]
    return [_fold(f"fold{i + 1:02d}", samples, g) for i, g in enumerate(groups)]


def _composite_subject(dataset: str, subject: str) -> str:
    digits = "".join(ch for ch in subject if ch.isdigit())
    if not digits:
        raise ExportError(f"composite3: subject {subject!r} of {dataset} has no number")
    return {"casme2": f"sub{int(digits):02d}", "samm": str(int(digits)), "smic": f"s{int(digits):02d}"}[
        dataset
    ]


def composite3(samples_by_dataset: dict[str, list[Sample]]) -> tuple[list[Sample], list[tuple[Sample, str]]]:
    """MEGC2019 composite set: (kept samples with label 0 negative / 1 positive / 2 surprise, dropped).

    The mapping is annotator.formats.emotions.megc3: CASME II counts only disgust and repression as
    negative; `others` and every unlisted emotion are dropped, each with its reason. Subjects are
    written as the challenge file does: `sub01`, `6`, `s01`.
    """
    kept, dropped = [], []
    for dataset, samples in samples_by_dataset.items():
        if dataset not in ("casme2", "samm", "smic"):
            raise ExportError(f"composite3: dataset {dataset!r} is not one of casme2, samm, smic")
        for s in samples:
            label = megc3(str(s.label), dataset)
            if label is None:
                dropped.append((s, f"emotion {s.label!r} has no composite class in {dataset}"))
            else:
                kept.append(
                    Sample(dataset, _composite_subject(dataset, s.subject), s.filename, MEGC3_LABELS[label])
                )
    if not kept:
        raise ExportError("composite3: no sample maps to negative, positive or surprise")
    order = {"casme2": 0, "samm": 1, "smic": 2}
    return sorted(kept, key=lambda s: (order[s.dataset], s.subject, s.filename)), dropped


def check_no_leakage(folds: list[Fold]) -> None:
    """Raise LeakageError naming the fold and subjects when a subject is on both sides of a fold."""
    if not folds:
        raise ExportError("no folds to check")
    for fold in folds:
        if not fold.test:
            raise ExportError(f"fold {fold.name!r} has no test samples")
        both = sorted({s.person for s in fold.train} & {s.person for s in fold.test})
        if both:
            shown = ", ".join(f"{d}/{s}" for d, s in both)
            raise LeakageError(f"fold {fold.name!r}: subject(s) {shown} in both train and test")


def _rows(samples: list[Sample]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(GT_HEADER)
    w.writerows([s.dataset, s.subject, s.filename, s.label] for s in samples)
    return buf.getvalue().encode("utf-8")


def _subjects(samples: list[Sample]) -> bytes:
    return "".join(f"{d},{s}\n" for d, s in _people(samples)).encode("utf-8")


def write_splits(folds: list[Fold], out_dir: str | Path, *, overwrite: bool = False) -> str:
    """A folder: folds.json, and per fold train/test subject lists and sample lists; returns its sha256.

    Leakage is checked first; the folder appears only when complete.
    """
    check_no_leakage(folds)
    names = [f.name for f in folds]
    if len(set(names)) != len(names):
        raise ExportError("two folds share a name")
    summary = [
        {
            "fold": f.name,
            "train": len(f.train),
            "test": len(f.test),
            "test_subjects": [f"{d},{s}" for d, s in _people(f.test)],
        }
        for f in folds
    ]
    members = [("folds.json", (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode("utf-8"))]
    for f in folds:
        members += [
            (f"{f.name}/train_subjects.txt", _subjects(f.train)),
            (f"{f.name}/test_subjects.txt", _subjects(f.test)),
            (f"{f.name}/train.csv", _rows(sorted(f.train, key=_sample_key))),
            (f"{f.name}/test.csv", _rows(sorted(f.test, key=_sample_key))),
        ]
    return save_folder(Path(out_dir), members, overwrite)


def _sample_key(s: Sample) -> tuple[str, str, str, str]:
    return (s.dataset, s.subject, s.filename, str(s.label))


def write_ground_truth(samples: list[Sample], path: str | Path, *, overwrite: bool = False) -> str:
    """`database,subject,filename,label` rows (MEGC2019 composite file) after a header; returns the sha256."""
    if not samples:
        raise ExportError("no samples for the ground-truth file")
    return save_file(Path(path), _rows(samples), overwrite)
