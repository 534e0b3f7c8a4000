"""MC-WES training as a job: labels from the app, cached snippet inputs, LOSO metrics, a registered
checkpoint with its hash; no labels, interruption and retry; pre-labelling with the result."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotator import jobs
from annotator.jobs import JobContext
from annotator.models import Job, ModelCheckpoint, Prediction, PredictionRun, Role, WeakLabel
from tests.factories import VideoFactory
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
    ModelCheckpoint.objects.create(dataset=dataset, kind="mcwes", name="taken", file="x.pt", sha256="0" * 64)
    with pytest.raises(CommandError, match="already has a checkpoint called 'taken'"):
        call_command("train", "--model", "mcwes", "--dataset", dataset.name, "--name", "taken", "--now")


# weak labels teach by contrast: ME only, MaE only, nothing (each LOSO fold keeps both contrasts)
CONTRASTED = {"seeds": (1, 2, 3), "mixes": {1: (1, 0), 2: (0, 1), 3: (0, 0)}}


def test_weak_labels_without_contrast_are_refused_before_training(dataset):
    tag_videos(ingest_videos(dataset))  # both videos hold an ME and an MaE
    with pytest.raises(CommandError, match="all 2 training videos or windows contain ME and MaE; tag some"):
        call_command("train", "--model", "mcwes", "--dataset", dataset.name, "--epochs", "1", "--now")
    videos = ingest_videos(dataset, seeds=(3,), mixes={3: (0, 0)})
    tag_videos(videos)  # now a video without expressions: the whole set has contrast, a fold not
    with pytest.raises(CommandError, match="fold without subject 03\\): all 2 training videos"):
        call_command(
            "train", "--model", "mcwes", "--dataset", dataset.name, "--epochs", "1", "--loso", "--now"
        )
    assert not ModelCheckpoint.objects.exists()
    assert "epoch" not in (Job.objects.filter(kind="train").last().message or "")


def test_loso_training_registers_a_checkpoint_that_prelabels(dataset):
    videos = ingest_videos(dataset, **CONTRASTED)
    tag_videos(videos)
    call_command("train", "--model", "mcwes", "--dataset", dataset.name, "--epochs", "1", "--loso", "--now")
    record = ModelCheckpoint.objects.get(dataset=dataset)
    path = Path(settings.MEDIA_ROOT) / record.file
    assert record.kind == "mcwes" and record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.metrics["protocol"] == "leave-one-subject-out" and record.metrics["folds"] == 3
    pooled = record.metrics["pooled"]["overall"]
    truths = sum(v.intervals.count() for v in videos)
    assert pooled["tp"] + pooled["fn"] == truths
    data = record.training_data
    assert data["label_mode"] == "video" and data["subjects"] == ["01", "02", "03"] and data["epochs"] == 1
    assert data["snippet_cache"] == {"reused": 0, "written": 3} and data["seconds_per_epoch"] > 0
    job = Job.objects.get(kind="train")
    assert job.queue == "models" and job.stage == "done" and job.result["checkpoint"] == record.pk

    # a second training reuses the prepared snippet inputs
    call_command(
        "train", "--model", "mcwes", "--dataset", dataset.name, "--epochs", "1", "--name", "again", "--now"
    )
    assert ModelCheckpoint.objects.get(name="again").training_data["snippet_cache"]["reused"] == 3

    call_command(
        "prelabel", "--model", "mcwes", "--checkpoint", str(record.pk), "--dataset", dataset.name, "--now"
    )
    run = PredictionRun.objects.get(model="mcwes")
    assert run.checkpoint == record and sorted(run.report["done"]) == sorted(v.pk for v in videos)
    assert set(run.curves.values_list("name", flat=True)) == {"expression", "ME", "MaE", "attention"}
    for p in Prediction.objects.filter(run=run).select_related("video"):
        assert p.kind in ("ME", "MaE") and 0 <= p.onset <= p.offset < p.video.frame_count


def test_an_interrupted_training_registers_nothing_and_resumes_on_retry(dataset, monkeypatch):
    tag_videos(ingest_videos(dataset, **CONTRASTED))
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


def checkpoint_bytes(tmp_path) -> bytes:
    from inference.mcwes import Checkpoint, MCWESConfig, save_checkpoint
    from inference.mcwes.model import MCWESNet

    config = MCWESConfig(n_regions=5)
    path = tmp_path / "c.pt"
    save_checkpoint(Checkpoint(config, MCWESNet(config).state_dict(), {}, 0), path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("kind", "content", "sha", "words"),
    [
        ("mcwes", b"garbage", "", "Not a usable mcwes checkpoint: the file is not a readable checkpoint"),
        ("mol", None, "", "Not a usable mol checkpoint"),
        ("mcwes", None, "0" * 64, "SHA-256 is"),
    ],
)
def test_upload_refuses_bad_files_and_leaves_nothing(
    dataset, owner, client, tmp_path, kind, content, sha, words
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(owner)
    upload = SimpleUploadedFile("c.pt", content or checkpoint_bytes(tmp_path))
    response = client.post(
        reverse("model_upload", args=[dataset.pk]),
        {"kind": kind, "name": "up", "file": upload, "sha256": sha},
    )
    assert response.status_code == 400 and words in response.content.decode()
    assert not ModelCheckpoint.objects.exists()
    folder = Path(settings.MEDIA_ROOT) / "checkpoints" / str(dataset.pk)
    assert not folder.exists() or not any(folder.iterdir())


def test_upload_registers_a_valid_checkpoint_that_downloads_byte_exact(
    dataset, owner, member, client, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = checkpoint_bytes(tmp_path)
    sha = hashlib.sha256(content).hexdigest()
    client.force_login(member(Role.ANNOTATOR))
    form = {"kind": "mcwes", "name": "mine", "file": SimpleUploadedFile("c.pt", content), "sha256": sha}
    assert client.post(reverse("model_upload", args=[dataset.pk]), form).status_code == 403
    client.force_login(owner)
    form["file"] = SimpleUploadedFile("c.pt", content)
    assert client.post(reverse("model_upload", args=[dataset.pk]), form).status_code == 302
    record = ModelCheckpoint.objects.get()
    assert record.uploaded and record.sha256 == sha and record.config["n_regions"] == 5
    response = client.get(reverse("model_download", args=[dataset.pk, record.pk]))
    assert b"".join(response.streaming_content) == content
    page = client.get(reverse("dataset_models", args=[dataset.pk])).content.decode()
    assert "mine" in page and sha[:12] in page


def test_models_page_says_what_training_needs_and_mcwes_is_not_offered_untrained(dataset, owner, client):
    client.force_login(owner)
    page = client.get(reverse("dataset_models", args=[dataset.pk])).content.decode()
    assert "no training labels for mode &#x27;video&#x27;: tag whole videos" in page
    card = client.get(reverse("dataset_runs", args=[dataset.pk])).content.decode()
    assert (
        "MC-WES is not offered: it has no trained checkpoint" in card and "Pre-label with MC-WES" not in card
    )
    response = client.post(reverse("model_train", args=[dataset.pk]), {"labels": "video", "epochs": 1})
    assert response.status_code == 400 and not Job.objects.filter(kind="train").exists()


def test_weak_labels_from_the_page_and_the_api(dataset, member, api, client):
    video = VideoFactory(dataset=dataset, frame_count=100)
    editor = member(Role.ANNOTATOR)
    client.force_login(editor)
    client.post(reverse("weak_label_add", args=[video.pk]), {"contains": "ME"})
    client.post(reverse("weak_label_add", args=[video.pk]), {"start": 10, "end": 40, "contains": "none"})
    response = client.post(
        reverse("weak_label_add", args=[video.pk]), {"start": 90, "end": 120, "contains": "MaE"}
    )
    assert "past the last frame (99)" in " ".join(str(m) for m in response.wsgi_request._messages)
    labels = set(video.weak_labels.values_list("start", "end", "contains_me", "contains_mae"))
    assert labels == {(None, None, True, False), (10, 40, False, False)}

    client_api = api(editor)
    made = client_api.post(
        "/api/weak-labels/", {"video": video.pk, "start": 50, "end": 60, "contains_mae": True}, format="json"
    )
    assert made.status_code == 201 and made.json()["author"] == editor.username
    bad = client_api.post("/api/weak-labels/", {"video": video.pk, "start": 50}, format="json")
    assert bad.status_code == 400 and "Give both start and end" in str(bad.json())
    assert len(client_api.get(f"/api/weak-labels/?video={video.pk}").json()) == 3
    viewer = api(member(Role.VIEWER))
    assert viewer.delete(f"/api/weak-labels/{made.json()['id']}/").status_code == 403
    assert client_api.delete(f"/api/weak-labels/{made.json()['id']}/").status_code == 204
