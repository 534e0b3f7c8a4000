"""MC-WES training as a job: labels from the app, cached snippet inputs, LOSO metrics, a registered
checkpoint with its hash; no labels, interruption and retry; pre-labelling with the result."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from annotator import jobs
from annotator.jobs import JobContext
from annotator.models import Job, ModelCheckpoint, Prediction, PredictionRun, WeakLabel
from tests.spotting_data import ingest_videos


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def tag_videos(videos) -> None:
    for video in videos:
        kinds = set(video.intervals.values_list("kind", flat=True))
        WeakLabel.objects.create(video=video, contains_me="ME" in kinds, contains_mae="MaE" in kinds)


def test_a_dataset_without_weak_labels_is_refused_with_what_to_add(dataset):
    ingest_videos(dataset, seeds=(1,), labels=False)
    with pytest.raises(CommandError, match="no training labels for mode 'video': tag whole videos"):
        call_command("train", "--model", "mcwes", "--dataset", dataset.name, "--epochs", "1", "--now")
    assert not ModelCheckpoint.objects.exists()


def test_loso_training_registers_a_checkpoint_that_prelabels(dataset):
    videos = ingest_videos(dataset)
    tag_videos(videos)
    call_command("train", "--model", "mcwes", "--dataset", dataset.name, "--epochs", "1", "--loso", "--now")
    record = ModelCheckpoint.objects.get(dataset=dataset)
    path = Path(settings.MEDIA_ROOT) / record.file
    assert record.kind == "mcwes" and record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.metrics["protocol"] == "leave-one-subject-out" and record.metrics["folds"] == 2
    pooled = record.metrics["pooled"]["overall"]
    truths = sum(v.intervals.count() for v in videos)
    assert pooled["tp"] + pooled["fn"] == truths
    data = record.training_data
    assert data["label_mode"] == "video" and data["subjects"] == ["01", "02"] and data["epochs"] == 1
    assert data["snippet_cache"] == {"reused": 0, "written": 2} and data["seconds_per_epoch"] > 0
    job = Job.objects.get(kind="train")
    assert job.queue == "models" and job.stage == "done" and job.result["checkpoint"] == record.pk

    # a second training reuses the prepared snippet inputs
    call_command(
        "train", "--model", "mcwes", "--dataset", dataset.name, "--epochs", "1", "--name", "again", "--now"
    )
    assert ModelCheckpoint.objects.get(name="again").training_data["snippet_cache"]["reused"] == 2

    call_command(
        "prelabel", "--model", "mcwes", "--checkpoint", str(record.pk), "--dataset", dataset.name, "--now"
    )
    run = PredictionRun.objects.get(model="mcwes")
    assert run.checkpoint == record and sorted(run.report["done"]) == sorted(v.pk for v in videos)
    assert set(run.curves.values_list("name", flat=True)) == {"ME", "MaE", "attention"}
    for p in Prediction.objects.filter(run=run).select_related("video"):
        assert p.kind in ("ME", "MaE") and 0 <= p.onset <= p.offset < p.video.frame_count


def test_an_interrupted_training_registers_nothing_and_resumes_on_retry(dataset, monkeypatch):
    tag_videos(ingest_videos(dataset))
    seen = []
    original = JobContext.progress

    def dies_after_first_epoch(self, percent, stage=None, message=None):
        seen.append(message or "")
        if "epoch 1/2" in seen[-1] and seen.count(seen[-1]) == 1:
            raise RuntimeError("worker killed")
        return original(self, percent, stage, message)

    monkeypatch.setattr(JobContext, "progress", dies_after_first_epoch)
    job = jobs.start_job("train", dataset=dataset, params={"labels": "video", "epochs": 2, "name": "x"})
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "worker killed" in job.error
    assert not ModelCheckpoint.objects.exists()
    work = Path(settings.MEDIA_ROOT) / "training" / f"job-{job.pk}"
    assert (work / "final-epochs.pt").is_file()  # the finished epoch is kept for the retry

    before = len(seen)
    jobs.retry_job(job)
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    record = ModelCheckpoint.objects.get()
    assert record.job == job and record.training_data["epochs"] == 2
    retried = seen[before:]
    assert any("epoch 2/2" in m for m in retried) and not any("epoch 1/2" in m for m in retried)
