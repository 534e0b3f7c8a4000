"""Jobs: the row is the truth; a real worker runs them; failures are clear and retryable."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from annotator import jobs
from annotator.models import Job, Role
from inference.synth import make_spec
from inference.synth.output import write_video
from tests.conftest import wait_for_job
from tests.factories import VideoFactory


@pytest.fixture
def clip(tmp_path) -> Path:
    return write_video(
        make_spec(3, seconds=2.0, width=160, height=120, n_me=1, n_mae=0, n_blinks=0), tmp_path / "clip.mp4"
    )


def test_real_worker_runs_a_job_to_completion(celery_worker, dataset, owner, clip):
    video = VideoFactory(dataset=dataset, source_path=str(clip), fps=None, frame_count=None)
    job = jobs.start_job("probe", dataset=dataset, video=video, user=owner)
    # Enqueued only after commit: a transactional test commits at once.
    job = wait_for_job(job)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.progress == 100 and job.attempts == 1 and job.started_at <= job.finished_at
    video.refresh_from_db()
    assert (video.frame_count, video.fps, video.width, video.height) == (60, 30.0, 160, 120)


def test_a_bad_file_fails_with_a_clear_message_and_can_be_retried(
    celery_worker, dataset, owner, tmp_path, clip
):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    video = VideoFactory(dataset=dataset, source_path=str(empty), frame_count=None)
    job = wait_for_job(jobs.start_job("probe", dataset=dataset, video=video, user=owner))
    assert job.state == Job.State.FAILED
    assert "empty" in job.error and "0 bytes" in job.error
    video.refresh_from_db()
    assert video.pk and video.frame_count is None  # the video record stays
    empty.write_bytes(clip.read_bytes())  # the user fixes the file, then retries
    job = wait_for_job(jobs.retry_job(job))
    assert job.state == Job.State.SUCCEEDED and job.attempts == 2


def test_a_finished_job_is_not_run_twice(db, dataset):
    job = Job.objects.create(
        kind="probe", dataset=dataset, state=Job.State.SUCCEEDED, progress=100, attempts=1
    )
    jobs.execute(job.pk)
    jobs.execute(job.pk, redelivered=True)
    job.refresh_from_db()
    assert job.attempts == 1 and job.state == Job.State.SUCCEEDED


def test_a_redelivered_job_of_a_dead_worker_runs_again(db, dataset, clip):
    video = VideoFactory(dataset=dataset, source_path=str(clip), frame_count=None)
    job = Job.objects.create(
        kind="probe",
        dataset=dataset,
        video=video,
        state=Job.State.RUNNING,
        heartbeat_at=timezone.now(),
        attempts=1,
    )
    jobs.execute(job.pk)  # a duplicate delivery while the first worker is alive: refused
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING and job.attempts == 1
    jobs.execute(job.pk, redelivered=True)  # the broker redelivered it because the worker died
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.attempts == 2


def test_sweeper_fails_jobs_whose_heartbeat_stopped(db, dataset, settings):
    old = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT_S + 5)
    stale = Job.objects.create(kind="probe", dataset=dataset, state=Job.State.RUNNING, heartbeat_at=old)
    alive = Job.objects.create(
        kind="probe", dataset=dataset, state=Job.State.RUNNING, heartbeat_at=timezone.now()
    )
    assert jobs.sweep_stale_jobs() == 1
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert stale.state == Job.State.FAILED and "stopped responding" in stale.error
    assert alive.state == Job.State.RUNNING


def test_unexpected_errors_are_recorded_not_lost(db, dataset):
    video = VideoFactory(dataset=dataset, source_path="/nonexistent/x.mp4")
    job = Job.objects.create(kind="probe", dataset=dataset, video=video)
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "x.mp4" in job.error and job.finished_at


def test_only_failed_jobs_can_be_retried(api, member, dataset):
    job = Job.objects.create(kind="probe", dataset=dataset, state=Job.State.RUNNING)
    response = api(member(Role.ANNOTATOR)).post(reverse("job-retry", args=[job.pk]))
    assert response.status_code == 409 and "running" in response.json()["detail"]


def test_job_pages_poll_while_active(client, owner, dataset):
    job = Job.objects.create(
        kind="probe", dataset=dataset, state=Job.State.RUNNING, progress=40, stage="probe"
    )
    client.force_login(owner)
    partial = client.get(reverse("job_detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in partial and "40%" in partial and "<html" not in partial
    table = client.get(reverse("job_list"), HTTP_HX_REQUEST="true").content.decode()
    assert "every 2s" in table and 'value="40"' in table
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED, progress=100)
    assert (
        "every 1s"
        not in client.get(reverse("job_detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    )
