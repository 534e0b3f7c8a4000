"""Training splits: folds by subject, leakage refused, MEGC2019 composite mapping and files."""

from pathlib import Path

import pytest

from annotator.formats.splits import (
    Fold,
    LeakageError,
    Sample,
    check_no_leakage,
    composite3,
    kfold_subject,
    loso,
    write_ground_truth,
    write_splits,
)
from annotator.formats.writers import ExportError


def corpus() -> list[Sample]:
    out = []
    for n, subject in enumerate(["sub01", "sub02", "sub03", "sub04", "sub05"]):
        out += [Sample("casme2", subject, f"EP0{k}_0{n}", "happiness") for k in range(n + 1)]
    out.append(Sample("samm", "sub01", "006_1_2", "Anger"))  # same id, other dataset: another person
    return out


def test_loso_one_fold_per_person_and_no_leak():
    folds = loso(corpus())
    assert [f.name for f in folds] == [
        "casme2_sub01",
        "casme2_sub02",
        "casme2_sub03",
        "casme2_sub04",
        "casme2_sub05",
        "samm_sub01",
    ]
    assert [len(f.test) for f in folds] == [1, 2, 3, 4, 5, 1]
    assert all(len(f.train) + len(f.test) == 16 for f in folds)
    check_no_leakage(folds)


def test_kfold_subject_is_seeded_balanced_and_whole_subjects():
    samples = corpus()
    folds = kfold_subject(samples, 3, seed=7)
    assert folds == kfold_subject(samples, 3, seed=7)
    check_no_leakage(folds)
    tests = [{s.person for s in f.test} for f in folds]
    assert set().union(*tests) == {s.person for s in samples} and sum(map(len, tests)) == 6
    sizes = sorted(len(f.test) for f in folds)
    assert sizes == [5, 5, 6]  # subject sizes 5,4,3,2,1,1 -> {5,1}, {4,1}, {3,2}
    assert kfold_subject(samples, 3, seed=8) != folds  # the two size-1 subjects swap folds with the seed
    with pytest.raises(ExportError, match=r"k must be in \[2, 6\]"):
        kfold_subject(samples, 7, seed=0)


def test_planted_leak_is_caught_and_nothing_written(tmp_path):
    folds = loso(corpus())
    leak = folds[2].test[0]
    folds[0].train.append(Sample(leak.dataset, leak.subject, "EP09_99", "happiness"))
    folds[0].test.append(leak)
    with pytest.raises(
        LeakageError, match=r"fold 'casme2_sub01': subject\(s\) casme2/sub03 in both train and test"
    ):
        check_no_leakage(folds)
    with pytest.raises(LeakageError):
        write_splits(folds, tmp_path / "splits")
    assert list(tmp_path.iterdir()) == []


def test_composite3_mapping_and_drops():
    kept, dropped = composite3(
        {
            "casme2": [
                Sample("casme2", "1", "EP02_01f", "happiness"),
                Sample("casme2", "sub02", "EP01_01", "repression"),
                Sample("casme2", "03", "EP03_02", "disgust"),
                Sample("casme2", "04", "EP05_03", "sadness"),
                Sample("casme2", "05", "EP06_01", "fear"),
                Sample("casme2", "06", "EP07_01", "others"),
                Sample("casme2", "07", "EP08_01", "surprise"),
            ],
            "samm": [
                Sample("samm", "006", "006_1_2", "Anger"),
                Sample("samm", "007", "007_3_1", "Sadness"),
                Sample("samm", "011", "011_2_1", "Contempt"),
                Sample("samm", "012", "012_1_1", "Other"),
                Sample("samm", "013", "013_1_1", "Happiness"),
            ],
            "smic": [
                Sample("smic", "s1", "s01_ne_01", "negative"),
                Sample("smic", "s2", "s02_sur_01", "surprise"),
            ],
        }
    )
    assert [(s.dataset, s.subject, s.filename, s.label) for s in kept] == [
        ("casme2", "sub01", "EP02_01f", 1),
        ("casme2", "sub02", "EP01_01", 0),
        ("casme2", "sub03", "EP03_02", 0),
        ("casme2", "sub07", "EP08_01", 2),
        ("samm", "11", "011_2_1", 0),
        ("samm", "13", "013_1_1", 1),
        ("samm", "6", "006_1_2", 0),
        ("samm", "7", "007_3_1", 0),
        ("smic", "s01", "s01_ne_01", 0),
        ("smic", "s02", "s02_sur_01", 2),
    ]
    assert [(s.filename, reason) for s, reason in dropped] == [
        ("EP05_03", "emotion 'sadness' has no composite class in casme2"),
        ("EP06_01", "emotion 'fear' has no composite class in casme2"),
        ("EP07_01", "emotion 'others' has no composite class in casme2"),
        ("012_1_1", "emotion 'Other' has no composite class in samm"),
    ]
    with pytest.raises(ExportError, match="'casme3' is not one of"):
        composite3({"casme3": [Sample("casme3", "1", "a", "happiness")]})


def test_ground_truth_file_rows(tmp_path):
    kept, _ = composite3(
        {
            "casme2": [Sample("casme2", "01", "EP02_01f", "happiness")],
            "samm": [Sample("samm", "006", "006_1_2", "Disgust")],
            "smic": [Sample("smic", "s1", "s01_ne_01", "negative")],
        }
    )
    write_ground_truth(kept, tmp_path / "gt.csv")
    assert (tmp_path / "gt.csv").read_text() == (
        "database,subject,filename,label\ncasme2,sub01,EP02_01f,1\nsamm,6,006_1_2,0\nsmic,s01,s01_ne_01,0\n"
    )


def test_write_splits_files_and_identical_bytes(tmp_path):
    samples = [
        Sample("casme2", "sub01", "EP02_01f", 1),
        Sample("casme2", "sub02", "EP01_01", 0),
        Sample("samm", "6", "006_1_2", 0),
    ]
    sha = write_splits(loso(samples), tmp_path / "a")
    root = tmp_path / "a"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())[:5] == [
        "casme2_sub01/test.csv",
        "casme2_sub01/test_subjects.txt",
        "casme2_sub01/train.csv",
        "casme2_sub01/train_subjects.txt",
        "casme2_sub02/test.csv",
    ]
    assert (root / "samm_6/test.csv").read_text() == "database,subject,filename,label\nsamm,6,006_1_2,0\n"
    assert (root / "samm_6/train_subjects.txt").read_text() == "casme2,sub01\ncasme2,sub02\n"
    assert (root / "casme2_sub01/train.csv").read_text() == (
        "database,subject,filename,label\ncasme2,sub02,EP01_01,0\nsamm,6,006_1_2,0\n"
    )
    assert write_splits(loso(list(reversed(samples))), tmp_path / "b") == sha
    files = lambda r: {p.relative_to(r): p.read_bytes() for p in Path(r).rglob("*") if p.is_file()}  # noqa: E731
    assert files(tmp_path / "a") == files(tmp_path / "b")


def test_fold_without_test_samples_is_an_error():
    with pytest.raises(ExportError, match="has no test samples"):
        check_no_leakage([Fold("f", [Sample("samm", "6", "x", 0)], [])])
