"""Faults survived, against real services on 127.0.0.1: a worker killed mid-ingest (its job is
taken over by a second worker), Redis restarted during a job, the database connection dropped in
the middle of a save, and a full disk under the frame store. Each test starts what it breaks
(its own redis-server, its own tmpfs), so the shared services are never touched."""

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.urls import reverse

from annotator import labels
from annotator.jobs import execute, retry_job
from annotator.models import Interval, Job, Revision, Video
from annotator.models.videos import IngestState
from annotator.tasks import run_job
from inference.media.framestore import FrameStore
from inference.synth import make_spec
from inference.synth.output import write_video
from mestudio.celery import app
from tests.conftest import start_worker, stop_workers, wait_for_job
from tests.factories import IntervalFactory, VideoFactory

REDIS = shutil.which("redis-server")
QUIET = {"n_me": 0, "n_mae": 0, "n_blinks": 0, "head_turns": 0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private redis-server without persistence, which a test may stop and start again."""

    def __init__(self, folder: Path):
        self.port, self.folder, self.proc = free_port(), folder, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                REDIS,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def redis_server(tmp_path):
    if REDIS is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class Workers:
    """Celery worker processes on the private broker, using the test database and media folder."""

    def __init__(self, broker: str, log: Path):
        self.broker, self.log, self.procs = broker, log, []

    def start(self, name: str, **env: str) -> subprocess.Popen:
        environ = {"CELERY_BROKER_URL": self.broker, "MEDIA_ROOT": str(settings.MEDIA_ROOT), **env}
        proc = start_worker(name, self.log, **environ)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        stop_workers(self.procs)


@pytest.fixture
def workers(redis_server, media, transactional_db, tmp_path):
    pool = Workers(redis_server.url, tmp_path / "workers.log")
    yield pool
    pool.stop()


def send(job: Job, broker: str) -> None:
    """What start_job does after commit, onto the private broker."""
    with app.connection_for_write(broker) as conn:
        run_job.apply_async(args=[job.pk], queue=job.queue, connection=conn)


def ingest_job(tmp_path: Path, seconds: float) -> Job:
    clip = write_video(make_spec(7, seconds=seconds, width=320, height=240, **QUIET), tmp_path / "src.mp4")
    video = VideoFactory(source_path=str(clip), frame_count=0, media_dir="")
    return Job.objects.create(kind="ingest", queue="media", dataset=video.dataset, video=video)


def wait_until(check, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} did not happen within {timeout} s\n{tail}")


def assert_store_is_whole(video: Video) -> None:
    store = FrameStore(Path(settings.MEDIA_ROOT) / video.media_dir)
    frames = [store.frame_jpeg(k) for k in range(len(store))]
    assert len(frames) == video.frame_count == store.manifest["frame_count"]
    assert all(frame[:2] == b"\xff\xd8" for frame in frames)  # every frame decodes to a JPEG start
    leftovers = [p for p in store.path.rglob("*") if p.name.endswith(".tmp")]
    assert not leftovers, leftovers


def test_a_worker_killed_mid_ingest_hands_the_job_to_another(workers, redis_server, tmp_path):
    fast = {"CELERY_VISIBILITY_TIMEOUT_S": "4", "CELERY_UNACKED_RESTORE_S": "1"}
    job = ingest_job(tmp_path, seconds=4.0)
    first = workers.start("first", **fast)
    send(job, redis_server.url)
    wait_until(
        lambda: Job.objects.filter(pk=job.pk, state=Job.State.RUNNING, progress__gt=5).exists(),
        120,
        "the first worker starting the ingest",
        workers.log,
    )
    workers.start("second", **fast)
    first.send_signal(signal.SIGKILL)
    first.wait()
    job = wait_for_job(job, timeout=180)
    assert job.state == Job.State.SUCCEEDED, (job.error, job.error_detail)
    assert job.attempts == 2  # the redelivered task claimed the job the dead worker left running
    video = Video.objects.get(pk=job.video_id)
    assert video.ingest_state == IngestState.READY and Video.objects.count() == 1
    assert video.frame_count == 120
    assert_store_is_whole(video)


def test_redis_restarted_during_a_job_neither_loses_nor_sticks_it(workers, redis_server, tmp_path):
    # Long enough to still run through the 2 s outage: a 4 s clip now ingests in about 1 s, and a
    # task that ends while Redis is down crashes the worker inside kombu 5.7's channel close
    # (restore_unacked on a released connection); compose restarts workers, this test does not.
    job = ingest_job(tmp_path, seconds=40.0)
    workers.start("only")
    send(job, redis_server.url)
    wait_until(
        lambda: Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).exists(), 120, "job start", workers.log
    )
    redis_server.stop()
    time.sleep(2)
    redis_server.start()
    job = wait_for_job(job, timeout=180)
    assert job.state == Job.State.SUCCEEDED or (job.state == Job.State.FAILED and job.error)
    # The worker reconnected: a job sent after the restart runs too.
    second = Job.objects.create(kind="ingest", queue="media", dataset=job.dataset, video=job.video)
    send(second, redis_server.url)
    assert wait_for_job(second, timeout=120).state == Job.State.SUCCEEDED
    assert_store_is_whole(Video.objects.get(pk=job.video_id))


def test_a_database_connection_dropped_mid_save_writes_nothing(
    transactional_db, video, member, api, monkeypatch
):
    coder = member("annotator")
    interval = IntervalFactory(video=video, onset=10, apex=12, offset=20)
    real_create = Revision.objects.create

    def drop_then_create(**fields):
        """The interval row is already updated in this transaction when the connection goes."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(labels.Revision.objects, "create", drop_then_create)
    client = api(coder)
    client.raise_request_exception = False
    response = client.patch(
        reverse("interval-detail", args=[interval.pk]), {"offset": 30, "version": 1}, format="json"
    )
    assert response.status_code == 500
    monkeypatch.setattr(labels.Revision.objects, "create", real_create)
    connection.close()  # the next query reconnects, as the next request would
    interval = Interval.objects.get(pk=interval.pk)
    assert (interval.offset, interval.version) == (20, 1)
    assert not Revision.objects.filter(interval_id=interval.pk, action="update").exists()
    assert (
        client.patch(
            reverse("interval-detail", args=[interval.pk]), {"offset": 30, "version": 1}, format="json"
        ).status_code
        == 200
    )


@pytest.fixture
def small_disk(tmp_path, settings):
    """MEDIA_ROOT on a 256 KiB tmpfs (needs root); grown to 64 MiB by calling the returned function."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    settings.MEDIA_ROOT = mount
    yield lambda: subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_fails_the_ingest_clearly_and_a_retry_finishes(db, small_disk, tmp_path):
    job = ingest_job(tmp_path, seconds=4.0)
    execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "No space left on device" in job.error, job.error
    video = Video.objects.get(pk=job.video_id)
    assert video.ingest_state == IngestState.FAILED and "No space left" in video.ingest_error
    small_disk()
    retry_job(job)
    execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert_store_is_whole(Video.objects.get(pk=job.video_id))
