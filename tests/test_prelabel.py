"""Pre-labelling through the app: CLI job, window-speed cache, after-ingest hook, thresholds in the
API, bad input (no motion signals, missing or foreign checkpoints), retries."""

import io

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotator import jobs
from annotator.models import Job, ModelCheckpoint, Prediction, PredictionCurve, PredictionRun, Role
from annotator.models.videos import IngestState
from annotator.spotting import WINDOW_FILE, store_dir
from tests.factories import VideoFactory
from tests.spotting_data import ingest_videos


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def prelabel(dataset, *extra: str) -> PredictionRun:
    call_command("prelabel", "--model", "baseline", "--dataset", dataset.name, "--now", *extra)
    return PredictionRun.objects.filter(dataset=dataset).order_by("-pk").first()


def test_baseline_prelabels_every_ingested_video_with_curves_and_a_cached_window(dataset):
    videos = ingest_videos(dataset)
    run = prelabel(dataset)
    assert run.model == "baseline" and run.finished_at is not None
    assert sorted(run.report["done"]) == sorted(v.pk for v in videos)
    assert run.report["timing"]["window_cached"] == len(videos)  # ingest computed the window signal
    for video in videos:
        video.refresh_from_db()
        preds = Prediction.objects.filter(run=run, video=video)
        assert preds.exists()
        assert all(0 <= p.onset <= p.apex <= p.offset < video.frame_count for p in preds)
        assert {p.kind for p in preds} <= {"ME", "MaE"}
        curves = {c.name: c.values for c in PredictionCurve.objects.filter(run=run, video=video)}
        assert set(curves) == {"accumulated", "window:accumulated"}
        assert all(len(v) == video.frame_count for v in curves.values())
        with np.load(store_dir(video) / WINDOW_FILE) as data:
            assert data["values"].shape[0] == video.frame_count
    # a second run reads the window speed from the cache and finds the same intervals
    again = prelabel(dataset, "--name", "second")
    assert again.name == "second" and again.report["timing"]["window_cached"] == len(videos)
    first = list(Prediction.objects.filter(run=run).values_list("video", "kind", "onset", "offset"))
    second = list(Prediction.objects.filter(run=again).values_list("video", "kind", "onset", "offset"))
    assert first == second


def test_the_run_threshold_hides_weak_predictions_in_the_api(dataset, member, api):
    ingest_videos(dataset, seeds=(1,))
    run = prelabel(dataset)
    client = api(member(Role.VIEWER))
    scores = sorted(Prediction.objects.filter(run=run).values_list("score", flat=True))
    assert any(s < run.threshold for s in scores), "the run should keep candidates below its threshold"
    shown = client.get(f"/api/predictions/?run={run.pk}").json()
    assert len(shown) == sum(s >= run.threshold for s in scores)
    run.threshold = 0.0
    run.save()
    assert len(client.get(f"/api/predictions/?run={run.pk}").json()) == len(scores)


def test_a_video_without_motion_signals_is_refused_by_name(dataset):
    ingest_videos(dataset, seeds=(1,))
    broken = VideoFactory(dataset=dataset, name="broken", ingest_state=IngestState.FAILED)
    with pytest.raises(CommandError, match=r"broken .*no motion signals \(ingest failed\)"):
        prelabel(dataset, "--video", str(broken.pk))
    assert not Prediction.objects.filter(video=broken).exists()
    # a dataset run spots what it can and lists what it skipped
    run = prelabel(dataset, "--name", "all")
    assert len(run.report["done"]) == 1 and not any("broken" in s for s in run.report["skipped"])


def test_a_store_without_motion_file_fails_the_job_clearly(dataset):
    (video,) = ingest_videos(dataset, seeds=(1,))
    (store_dir(video) / "motion.npz").unlink()
    job = jobs.start_job("prelabel", dataset=dataset, params={"model": "baseline", "video": video.pk})
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "motion.npz is missing; re-ingest" in job.error and video.name in job.error


def test_without_now_the_job_is_left_to_a_worker(dataset):
    out = io.StringIO()
    call_command("prelabel", "--dataset", dataset.name, stdout=out)
    job = Job.objects.get(kind="prelabel")
    assert out.getvalue() == f"Queued prelabel job #{job.pk}.\n" and job.state == Job.State.QUEUED
    assert not PredictionRun.objects.exists()


def test_mcwes_needs_a_trained_checkpoint_of_its_kind(dataset):
    with pytest.raises(CommandError, match="needs --checkpoint"):
        call_command("prelabel", "--model", "mcwes", "--dataset", dataset.name)
    mol = ModelCheckpoint.objects.create(dataset=dataset, kind="mol", name="m", file="x.pt", sha256="0" * 64)
    with pytest.raises(CommandError, match="mol model, not MC-WES"):
        call_command("prelabel", "--model", "mcwes", "--checkpoint", str(mol.pk), "--dataset", dataset.name)
    (video,) = ingest_videos(dataset, seeds=(1,), labels=False)
    corrupt = ModelCheckpoint.objects.create(
        dataset=dataset, kind="mcwes", name="c", file="c.pt", sha256="0" * 64
    )
    (store_dir(video).parents[2] / "c.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CommandError, match="c.pt is not a readable checkpoint"):
        call_command(
            "prelabel",
            "--model",
            "mcwes",
            "--checkpoint",
            str(corrupt.pk),
            "--dataset",
            dataset.name,
            "--now",
        )
    assert not Prediction.objects.exists()


def test_ingest_queues_the_baseline_when_the_dataset_asks(dataset):
    dataset.prelabel_after_ingest = True
    dataset.save()
    (video,) = ingest_videos(dataset, seeds=(2,), labels=False, fresh=True)
    job = Job.objects.get(kind="prelabel", video=video)
    assert job.queue == "models" and job.state == Job.State.QUEUED
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    run = PredictionRun.objects.get(pk=job.result["run"])
    assert run.name == "Baseline (after ingest)" and run.report["done"] == [video.pk]


def test_a_retried_job_reuses_its_run_without_duplicates(dataset):
    ingest_videos(dataset, seeds=(1,))
    job = jobs.start_job("prelabel", dataset=dataset, params={"model": "baseline"})
    jobs.execute(job.pk)
    job.refresh_from_db()
    count = Prediction.objects.filter(run_id=job.result["run"]).count()
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED)  # as if the worker died at the end
    job.refresh_from_db()
    jobs.retry_job(job)
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert PredictionRun.objects.filter(dataset=dataset).count() == 1
    assert Prediction.objects.filter(run_id=job.result["run"]).count() == count


def test_pages_queue_prelabel_jobs_for_editors_only(dataset, member, client):
    video = VideoFactory(dataset=dataset)
    client.force_login(member(Role.VIEWER))
    url = reverse("prelabel_start", args=[dataset.pk])
    assert client.post(url, {"model": "baseline"}).status_code == 403
    client.force_login(member(Role.ANNOTATOR))
    response = client.post(url, {"model": "baseline", "video": video.pk})
    job = Job.objects.get(kind="prelabel")
    assert response.url == reverse("job_detail", args=[job.pk]) and job.params["video"] == video.pk
    response = client.post(url, {"model": "mcwes"}, follow=True)
    assert "Choose a trained MC-WES checkpoint" in response.content.decode()
    assert Job.objects.filter(kind="prelabel").count() == 1
    card = client.get(reverse("video_spotting", args=[video.pk])).content.decode()
    assert "Pre-label this video with the baseline" in card and "Pre-label with MC-WES" not in card


def test_api_queues_a_prelabel_job(dataset, member, api):
    editor = api(member(Role.ANNOTATOR))
    answer = editor.post("/api/runs/prelabel/", {"dataset": dataset.pk, "model": "mcwes"}, format="json")
    assert answer.status_code == 400 and "trained MC-WES checkpoint" in str(answer.json())
    answer = editor.post("/api/runs/prelabel/", {"dataset": dataset.pk}, format="json")
    assert (
        answer.status_code == 202 and Job.objects.get(pk=answer.json()["job"]).params["model"] == "baseline"
    )
    viewer = api(member(Role.VIEWER))
    assert viewer.post("/api/runs/prelabel/", {"dataset": dataset.pk}, format="json").status_code == 403
