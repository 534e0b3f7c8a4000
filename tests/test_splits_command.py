"""`manage.py splits`: subject-wise folds from the database, the composite file, the leakage check."""

import csv
import json

import pytest
from django.core.management import CommandError, call_command

from annotator.formats import splits
from annotator.models import ExportRecord
from tests.factories import DatasetFactory, IntervalFactory, SubjectFactory, VideoFactory


def clip(dataset, subject: str, name: str, *emotions: str, state: str = "new"):
    subj = dataset.subjects.filter(code=subject).first() or SubjectFactory(
        dataset=dataset, code=subject, normalized=subject.lstrip("sub0") or "0"
    )
    video = VideoFactory(dataset=dataset, subject=subj, name=name, review_state=state)
    for n, emotion in enumerate(emotions):
        IntervalFactory(
            video=video, kind="ME", onset=10 + 30 * n, apex=None, offset=20 + 30 * n, emotion=emotion
        )
    return video


def rows(path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def people(path) -> set[str]:
    return set(path.read_text().split())


@pytest.fixture
def casme(db):
    d = DatasetFactory(name="CASME II")
    clip(d, "sub01", "EP02_01f", "happiness")
    clip(d, "sub01", "EP03_02", "disgust", "others")  # two MEs: EP03_02_1, EP03_02_2
    clip(d, "sub02", "EP01_01", "surprise", state="accepted")
    clip(d, "sub03", "EP05_03", "repression", state="accepted")
    VideoFactory(dataset=d, subject=d.subjects.get(code="sub03"), name="EP09_09")  # no ME: no sample
    return d


def test_loso_one_fold_per_subject_and_no_subject_on_both_sides(casme, tmp_path):
    out = tmp_path / "loso"
    call_command("splits", "--dataset", "CASME II", "--scheme", "loso", "--out", str(out))
    summary = json.loads((out / "folds.json").read_text())
    assert [(f["fold"], f["train"], f["test"]) for f in summary] == [
        ("CASME-II_sub01", 2, 3),
        ("CASME-II_sub02", 4, 1),
        ("CASME-II_sub03", 4, 1),
    ]
    for fold in summary:
        folder = out / fold["fold"]
        assert not people(folder / "train_subjects.txt") & people(folder / "test_subjects.txt")
    assert rows(out / "CASME-II_sub01" / "test.csv") == [
        ["database", "subject", "filename", "label"],
        ["CASME-II", "sub01", "EP02_01f", "happiness"],
        ["CASME-II", "sub01", "EP03_02_1", "disgust"],
        ["CASME-II", "sub01", "EP03_02_2", "others"],
    ]
    record = ExportRecord.objects.get()
    assert record.format == "splits-loso" and record.counts["samples"] == 5 and len(record.sha256) == 64


def test_kfold_subject_and_state_filter(casme, tmp_path):
    call_command(
        "splits",
        "--dataset",
        "CASME II",
        "--scheme",
        "kfold-subject",
        "--k",
        "2",
        "--out",
        str(tmp_path / "k"),
    )
    summary = json.loads((tmp_path / "k" / "folds.json").read_text())
    tests = [set(f["test_subjects"]) for f in summary]
    assert len(summary) == 2 and not tests[0] & tests[1]
    assert tests[0] | tests[1] == {"CASME-II,sub01", "CASME-II,sub02", "CASME-II,sub03"}
    call_command(
        "splits",
        "--dataset",
        "CASME II",
        "--scheme",
        "loso",
        "--state",
        "accepted",
        "--out",
        str(tmp_path / "a"),
    )
    assert [f["fold"] for f in json.loads((tmp_path / "a" / "folds.json").read_text())] == [
        "CASME-II_sub02",
        "CASME-II_sub03",
    ]


def test_composite3_ground_truth_across_datasets(casme, tmp_path):
    samm = DatasetFactory(name="SAMM")
    clip(samm, "006", "006_1_2", "Anger")
    clip(samm, "007", "007_3_1", "Happiness")
    clip(samm, "008", "008_1_1", "Other")
    out = tmp_path / "c3"
    call_command(
        "splits", "--dataset", "CASME II", "--dataset", "SAMM", "--scheme", "composite3", "--out", str(out)
    )
    assert rows(out / "megc2019_composite3.csv") == [
        ["database", "subject", "filename", "label"],
        ["casme2", "sub01", "EP02_01f", "1"],
        ["casme2", "sub01", "EP03_02_1", "0"],
        ["casme2", "sub02", "EP01_01", "2"],
        ["casme2", "sub03", "EP05_03", "0"],
        ["samm", "6", "006_1_2", "0"],
        ["samm", "7", "007_3_1", "1"],
    ]
    summary = json.loads((out / "folds.json").read_text())
    assert len(summary) == 5  # LOSO over the 5 subjects kept
    assert ExportRecord.objects.filter(format="splits-composite3").count() == 2


def test_composite3_needs_to_know_each_corpus(casme, tmp_path):
    other = DatasetFactory(name="Lab corpus")
    clip(other, "sub01", "x", "happiness")
    with pytest.raises(CommandError, match="say which 'Lab corpus' is, e.g. --dataset 'Lab corpus=casme2'"):
        call_command(
            "splits", "--dataset", "Lab corpus", "--scheme", "composite3", "--out", str(tmp_path / "o")
        )
    with pytest.raises(CommandError, match="a corpus is named twice: casme2, casme2"):
        call_command(
            "splits",
            "--dataset",
            "CASME II",
            "--dataset",
            "Lab corpus=casme2",
            "--scheme",
            "composite3",
            "--out",
            str(tmp_path / "o"),
        )
    assert list(tmp_path.iterdir()) == []


def test_a_leaking_split_is_refused_and_nothing_written(casme, tmp_path, monkeypatch):
    def leaky(samples):
        return [splits.Fold("bad", samples, samples[:1])]  # the test subject is also in train

    monkeypatch.setattr(splits, "loso", leaky)
    for scheme in ("loso", "composite3"):
        out = tmp_path / scheme
        with pytest.raises(
            CommandError, match="fold 'bad': subject\\(s\\) \\S+/sub0[12] in both train and test"
        ):
            call_command("splits", "--dataset", "CASME II", "--scheme", scheme, "--out", str(out))
    assert list(tmp_path.iterdir()) == [] and not ExportRecord.objects.exists()


def test_bad_input_is_named(casme, tmp_path):
    (tmp_path / "exists").mkdir()
    with pytest.raises(CommandError, match="exists"):
        call_command("splits", "--dataset", "CASME II", "--scheme", "loso", "--out", str(tmp_path / "exists"))
    with pytest.raises(CommandError, match="k must be in \\[2, 3\\]"):
        call_command(
            "splits",
            "--dataset",
            "CASME II",
            "--scheme",
            "kfold-subject",
            "--k",
            "9",
            "--out",
            str(tmp_path / "k"),
        )
    with pytest.raises(CommandError, match="has no ME intervals in review state 'submitted'"):
        call_command(
            "splits",
            "--dataset",
            "CASME II",
            "--scheme",
            "loso",
            "--state",
            "submitted",
            "--out",
            str(tmp_path / "s"),
        )
    VideoFactory(dataset=casme, subject=None, name="orphan").intervals.create(kind="ME", onset=1, offset=3)
    with pytest.raises(CommandError, match="video 'orphan' of 'CASME II' has no subject"):
        call_command("splits", "--dataset", "CASME II", "--scheme", "loso", "--out", str(tmp_path / "o"))
    assert [p.name for p in tmp_path.iterdir()] == ["exists"]
