"""MOL in the app: training clips from ME intervals with emotions, training with LOSO as a job that
registers a checkpoint, emotion suggestions on intervals and predictions, and bad input."""

import hashlib
import json
from pathlib import Path

import pytest
import torch
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from annotator.models import Interval, Job, ModelCheckpoint, Prediction, PredictionRun, Revision, Role
from annotator.recognition import RecognitionError, resolve_classes, to_class, training_samples
from inference.mol import MOL, Checkpoint, MOLConfig
from tests.factories import VideoFactory
from tests.spotting_data import ingest_videos

# Seed 1's ME is labelled happiness, seed 2's disgust (the shared spotting clips, one ingest each).
EMOTIONS = {1: "happiness", 2: "disgust"}
FAST = ["--steps", "2", "--flow-width", "0.125", "--batch-size", "2"]


@pytest.fixture(autouse=True)
def small(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    torch.set_num_threads(1)


def ingest(dataset, seeds=(1, 2)) -> list:
    """The shared test clips (subject = seed), their ME labelled with an emotion, MaE kept without."""
    videos = ingest_videos(dataset, seeds=seeds)
    for seed, video in zip(seeds, videos, strict=True):
        video.intervals.filter(kind="ME").update(emotion=EMOTIONS[seed])
    return videos


def test_class_sets_follow_the_megc_protocol(dataset):
    assert [
        to_class(e, ("negative", "positive", "surprise"), "megc3") for e in ("Disgust", "happiness", "others")
    ] == [
        "negative",
        "positive",
        None,
    ]
    assert resolve_classes(dataset, "5", ["anger", "contempt", "happiness"])[0] == "samm-5"
    assert resolve_classes(dataset, "5", ["repression", "happiness"])[0] == "casme2-5"
    assert to_class("Other", resolve_classes(dataset, "casme2-5", [])[1], "casme2-5") == "others"
    assert resolve_classes(dataset, "dataset", ["Disgust", "happiness"]) == (
        "dataset",
        ("happiness", "disgust"),
    )


def test_train_with_loso_then_suggest_emotions(dataset, member, api):
    videos = ingest(dataset)
    first = videos[0]
    Interval.objects.create(video=first, kind="ME", onset=2, offset=6, emotion="happiness")  # 5 frames
    Interval.objects.create(video=first, kind="ME", onset=8, offset=8, emotion="disgust")  # 1 frame
    VideoFactory(dataset=dataset, ingest_state="ready", subject__code="03")  # a subject with no clip

    call_command(
        "train", "--model", "mol", "--dataset", dataset.name, "--classes", "dataset", "--loso", *FAST, "--now"
    )
    record = ModelCheckpoint.objects.get(dataset=dataset)
    path = Path(settings.MEDIA_ROOT) / record.file
    assert record.kind == "mol" and record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert Job.objects.get(kind="train_mol").queue == "models"
    data = record.training_data
    assert data["classes"] == ["happiness", "disgust"] and data["clips"] == 3
    assert data["short_clips_resampled"] == 1 and data["skipped"] == {"1 frame": 1}
    assert data["subjects"] == ["01", "02"] and data["subjects_without_clips"] == ["03"]
    assert data["steps"] == 2 and len(data["curve"]) == 2 and set(data["normalisation"]) >= {"pixel_mean"}
    assert record.config["flow_width"] == 0.125 and record.config["lr"] == MOLConfig().lr
    metrics = record.metrics
    assert metrics["folds"] == 2 and metrics["classes"] == ["happiness", "disgust"]
    assert sum(map(sum, metrics["confusion"])) == 3 == len(metrics["per_clip"])
    assert {f["subject"] for f in metrics["fold_details"]} == {"01", "02"}
    for i, name in enumerate(metrics["classes"]):
        row = metrics["confusion"][i]
        assert metrics["recall"][name] == pytest.approx(row[i] / sum(row))
    assert Checkpoint.load(path, expected_classes=("happiness", "disgust")).stats == data["normalisation"]

    open_iv = Interval.objects.create(video=first, kind="ME", onset=40, offset=50)
    labelled = Interval.objects.get(video=first, onset=2)
    run = PredictionRun.objects.create(dataset=dataset, name="spots", model="baseline")
    pred = Prediction.objects.create(run=run, video=videos[1], kind="ME", onset=20, offset=30)
    Prediction.objects.create(run=run, video=videos[1], kind="ME", onset=5, offset=5)  # 1 frame: skipped
    revisions = Revision.objects.count()
    call_command(
        "prelabel", "--model", "mol", "--checkpoint", str(record.pk), "--dataset", dataset.name, "--now"
    )
    result = Job.objects.get(kind="prelabel_mol").result
    assert result["intervals"] == 1 and result["predictions"] == 1 and result["skipped_count"] == 1
    open_iv.refresh_from_db()
    pred.refresh_from_db()
    for emotion, scores in (
        (open_iv.suggested_emotion, open_iv.emotion_scores),
        (pred.emotion, pred.emotion_scores),
    ):
        assert set(scores) == {"happiness", "disgust"} and sum(scores.values()) == pytest.approx(1, abs=1e-3)
        assert emotion == max(scores, key=scores.get)
    assert open_iv.version == 1 and Revision.objects.count() == revisions  # a suggestion is no edit
    labelled.refresh_from_db()
    assert labelled.suggested_emotion == "" and labelled.emotion_scores is None

    client = api(member(Role.ANNOTATOR))
    shown = client.get(f"/api/intervals/{open_iv.pk}/").json()
    assert (
        shown["suggested_emotion"] == open_iv.suggested_emotion
        and shown["emotion_scores"] == open_iv.emotion_scores
    )
    taken = client.patch(
        f"/api/intervals/{open_iv.pk}/", {"emotion": open_iv.suggested_emotion, "version": 1}, format="json"
    )
    assert taken.status_code == 200 and taken.json()["emotion"] == open_iv.suggested_emotion
    assert taken.json()["version"] == 2

    # a second run finds nothing left to suggest
    call_command(
        "prelabel", "--model", "mol", "--checkpoint", str(record.pk), "--dataset", dataset.name, "--now"
    )
    assert Job.objects.filter(kind="prelabel_mol").latest("pk").result["intervals"] == 0


def test_one_class_and_no_emotions_are_refused_with_what_was_found(dataset):
    ingest(dataset, seeds=(2,))
    with pytest.raises(CommandError, match=r"at least two classes .* negative: 1"):
        call_command("train", "--model", "mol", "--dataset", dataset.name, *FAST, "--now")
    Interval.objects.update(emotion="")
    with pytest.raises(RecognitionError, match="no ME intervals with an emotion"):
        training_samples(dataset, "3")
    assert not ModelCheckpoint.objects.exists()


def register(dataset, name: str, classes: tuple[str, ...], steps: int) -> ModelCheckpoint:
    """A MOL checkpoint file made directly (untrained weights), registered like a trained one."""
    config = MOLConfig(class_names=classes, flow_width=0.125)
    state = MOL(config, with_aux=False).state_dict()
    ckpt = Checkpoint(
        config, state, {"pixel_mean": 100.0, "pixel_std": 50.0, "flow_scale": 1.0}, {"steps": steps}
    )
    path = Path(settings.MEDIA_ROOT) / f"{name}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    ckpt.save(path)
    return ModelCheckpoint.objects.create(
        dataset=dataset,
        kind="mol",
        name=name,
        file=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        config=config.to_dict(),
    )


def test_prelabel_refuses_unusable_checkpoints_and_writes_nothing(dataset, video):
    iv = Interval.objects.create(video=video, kind="ME", onset=10, offset=20)

    def refused(record, match):
        with pytest.raises(CommandError, match=match):
            call_command(
                "prelabel",
                "--model",
                "mol",
                "--checkpoint",
                str(record.pk),
                "--dataset",
                dataset.name,
                "--now",
            )

    refused(register(dataset, "untrained", ("happiness", "disgust"), steps=0), "never trained")
    refused(
        register(dataset, "megc", ("negative", "positive", "surprise"), steps=5),
        r"\['negative', 'positive'\] are not emotions",
    )
    changed = register(dataset, "changed", ("happiness", "disgust"), steps=5)
    (Path(settings.MEDIA_ROOT) / changed.file).write_bytes(b"not this")
    refused(changed, "changed since it was registered")
    other = ModelCheckpoint.objects.create(
        dataset=dataset, kind="mcwes", name="spotter", file="x.pt", sha256="0"
    )
    with pytest.raises(CommandError, match="trained MOL checkpoint"):
        call_command(
            "prelabel", "--model", "mol", "--checkpoint", str(other.pk), "--dataset", dataset.name, "--now"
        )
    iv.refresh_from_db()
    assert iv.suggested_emotion == "" and iv.emotion_scores is None


def test_model_page_panel_train_form_and_checkpoint_page(dataset, member, client):
    viewer, annotator = member(Role.VIEWER), member(Role.ANNOTATOR)
    metrics = {
        "classes": ["happiness", "disgust"],
        "confusion": [[3, 1], [0, 2]],
        "recall": {"happiness": 0.75, "disgust": 1.0},
        "accuracy": 5 / 6,
        "uf1": 0.829,
        "uar": 0.875,
        "folds": 2,
        "absent_classes": [],
        "fold_details": [{"subject": "01", "n_test": 3, "accuracy": 1.0, "final_loss": {"total": 0.5}}],
    }
    curve = [{"step": s, "total": 2.0 / s, "ce": 1.0 / s, "flow": 0.1, "landmarks": 0.2} for s in range(1, 6)]
    record = ModelCheckpoint.objects.create(
        dataset=dataset,
        kind="mol",
        name="shown",
        file="none.pt",
        sha256="0" * 64,
        config={"class_names": ["happiness", "disgust"], "flow_width": 0.125, "lr": 3e-4, "batch_size": 2},
        metrics=metrics,
        training_data={"clips": 6, "steps": 5, "per_class": {"happiness": 4, "disgust": 2}, "curve": curve},
    )
    client.force_login(viewer)
    panel = client.get(f"/datasets/{dataset.pk}/models/mol/")
    assert (
        panel.status_code == 200 and b"0.829" in panel.content and b"Start MOL training" not in panel.content
    )
    assert (
        client.post(f"/datasets/{dataset.pk}/models/mol/train/", {"classes": "3", "steps": 5}).status_code
        == 403
    )
    page = client.get(f"/datasets/{dataset.pk}/models/mol/{record.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and text.count("<svg") == 2 and "0.750" in text and "0.875" in text
    assert b"mol-panel" in client.get(f"/datasets/{dataset.pk}/models/").content

    client.force_login(annotator)
    bad = client.post(f"/datasets/{dataset.pk}/models/mol/train/", {"classes": "7", "steps": 0})
    assert bad.status_code == 400 and not Job.objects.exists()
    post = {"classes": "5", "steps": 40, "loso": "on", "flow_width": 0.125}
    started = client.post(f"/datasets/{dataset.pk}/models/mol/train/", post)
    job = Job.objects.get(kind="train_mol")
    assert started.status_code == 302 and job.params == {
        "classes": "5",
        "steps": 40,
        "loso": True,
        "flow_width": 0.125,
    }
    assert started.url == f"/jobs/{job.pk}/"
    message = " ".join(str(m) for m in started.wsgi_request._messages)
    assert f"MOL training job #{job.pk} queued; its steps and loss show here" in message
    assert b"MOL jobs" in client.get(f"/datasets/{dataset.pk}/models/mol/").content
    untrained = register(dataset, "untrained", ("happiness", "disgust"), steps=0)
    refused = client.post(f"/datasets/{dataset.pk}/models/mol/{untrained.pk}/prelabel/", follow=True)
    assert b"never trained" in refused.content and not Job.objects.filter(kind="prelabel_mol").exists()

    client.force_login(member_elsewhere())
    assert client.get(f"/datasets/{dataset.pk}/models/mol/{record.pk}/").status_code == 404


def member_elsewhere():
    from tests.factories import MembershipFactory

    return MembershipFactory(role=Role.OWNER).user


def test_an_interrupted_training_registers_nothing_and_its_retry_reuses_the_loso_result(dataset, monkeypatch):
    import inference.mol
    from annotator import jobs

    ingest(dataset)

    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(inference.mol, "train", killed)  # the final model; LOSO folds train
        with pytest.raises(CommandError, match="worker killed"):
            call_command("train", "--model", "mol", "--dataset", dataset.name, "--loso", *FAST, "--now")
    job = Job.objects.get(kind="train_mol")
    assert job.state == Job.State.FAILED and not ModelCheckpoint.objects.exists()
    saved = Path(settings.MEDIA_ROOT) / "training" / f"job-{job.pk}" / "loso.json"
    assert saved.is_file()

    monkeypatch.setattr(inference.mol, "loso", killed)  # a retry must not evaluate again
    jobs.retry_job(job)
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    record = ModelCheckpoint.objects.get(job=job)
    assert record.metrics == json.loads(saved.read_text()) and record.metrics["folds"] == 2
    jobs.execute(job.pk)  # delivered twice: still one checkpoint
    assert ModelCheckpoint.objects.filter(dataset=dataset).count() == 1
