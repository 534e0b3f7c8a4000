"""Background work as Job rows (the pattern of paperless-ngx).

A caller creates the row with `start_job`; the Celery task is sent only after the transaction
commits and carries nothing but the job id. The worker claims the row, runs the handler
registered for the job's kind, and mirrors progress, heartbeat, result and errors into the row.
Pages poll the row. A worker that dies leaves a stale heartbeat that `sweep_stale_jobs` turns
into a failure the user can retry; handlers are idempotent, so a retry redoes nothing finished.
"""

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Job

log = logging.getLogger(__name__)


class JobFailure(Exception):
    """A failure whose message is meant for the user: bad input, no face found, missing data."""


@dataclass(frozen=True)
class JobKind:
    name: str
    queue: str
    time_limit: int
    handler: Callable[["Job", "JobContext"], Any]


_KINDS: dict[str, JobKind] = {}


def job_handler(kind: str, *, queue: str = "io", time_limit: int = 3600):
    """Register the function that does the work of one kind of job."""

    def register(fn: Callable[[Job, "JobContext"], Any]):
        _KINDS[kind] = JobKind(kind, queue, time_limit, fn)
        return fn

    return register


def job_kind(kind: str) -> JobKind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(f"Unknown job kind {kind!r}") from None


def start_job(kind: str, *, dataset=None, video=None, params: dict | None = None, user=None) -> Job:
    spec = job_kind(kind)
    job = Job.objects.create(
        kind=kind,
        queue=spec.queue,
        dataset=dataset,
        video=video,
        params=params or {},
        created_by=user if user is not None and user.is_authenticated else None,
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def retry_job(job: Job) -> Job:
    """Put a failed job back in the queue; its handler skips whatever it had finished."""
    if job.state != Job.State.FAILED:
        raise JobFailure(f"Only a failed job can be retried; this one is {job.get_state_display().lower()}.")
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.QUEUED,
        progress=0,
        stage="",
        message="Queued again",
        error="",
        error_detail="",
        finished_at=None,
        heartbeat_at=None,
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db()
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import run_job

    job = Job.objects.get(pk=job_id)
    spec = job_kind(job.kind)
    run_job.apply_async(
        args=[job_id],
        queue=spec.queue,
        time_limit=spec.time_limit,
        soft_time_limit=max(spec.time_limit - 30, 1),
    )


class JobContext:
    """Handed to a handler to report progress; writes are throttled to one a second."""

    def __init__(self, job: Job):
        self.job = job
        self._last_write = 0.0

    def progress(self, percent: float, stage: str | None = None, message: str | None = None) -> None:
        now = timezone.now()
        changed_stage = stage is not None and stage != self.job.stage
        if not changed_stage and now.timestamp() - self._last_write < 1.0 and percent < 100:
            return
        self._last_write = now.timestamp()
        fields: dict[str, Any] = {"progress": max(0, min(100, int(percent))), "heartbeat_at": now}
        if stage is not None:
            fields["stage"] = stage
        if message is not None:
            fields["message"] = message
        Job.objects.filter(pk=self.job.pk).update(**fields)
        for key, value in fields.items():
            setattr(self.job, key, value)


class _Heartbeat(threading.Thread):
    """Keeps heartbeat_at fresh while a handler runs a long step that reports no progress."""

    def __init__(self, job_id: int, every_s: float):
        super().__init__(daemon=True)
        self.job_id, self.every_s = job_id, every_s
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every_s):
                Job.objects.filter(pk=self.job_id, state=Job.State.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            close_old_connections()


def _claim(job_id: int, redelivered: bool) -> Job | None:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT_S)
    claimable = Q(state=Job.State.QUEUED) | Q(state=Job.State.RUNNING, heartbeat_at__lt=stale)
    if redelivered:
        claimable |= Q(state=Job.State.RUNNING)
    claimed = Job.objects.filter(claimable, pk=job_id).update(
        state=Job.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        message="Started",
    )
    return Job.objects.get(pk=job_id) if claimed else None


def execute(job_id: int, *, redelivered: bool = False) -> None:
    """Run one job to its end state. Called by the Celery task; never raises for job errors."""
    job = _claim(job_id, redelivered)
    if job is None:
        log.info(
            "Job %s is not waiting to run (finished, failed or running elsewhere); nothing to do.", job_id
        )
        return
    spec = job_kind(job.kind)
    heartbeat = _Heartbeat(job.pk, every_s=max(5.0, settings.JOB_HEARTBEAT_TIMEOUT_S / 6))
    heartbeat.start()
    end: dict[str, Any]
    try:
        result = spec.handler(job, JobContext(job))
        end = {"state": Job.State.SUCCEEDED, "progress": 100, "result": result, "message": "Finished"}
    except JobFailure as exc:
        end = {"state": Job.State.FAILED, "error": str(exc), "message": "Failed"}
    except SoftTimeLimitExceeded:
        end = {
            "state": Job.State.FAILED,
            "message": "Failed",
            "error": f"Stopped after the time limit of {spec.time_limit} s for {job.kind} jobs.",
        }
    except Exception as exc:  # noqa: BLE001 - every other error is recorded on the job, not lost
        log.exception("Job %s (%s) failed", job.pk, job.kind)
        end = {
            "state": Job.State.FAILED,
            "message": "Failed",
            "error_detail": traceback.format_exc(),
            "error": f"Unexpected error ({type(exc).__name__}: {exc}). Nothing was lost; you can retry.",
        }
    finally:
        heartbeat.stopped.set()
        heartbeat.join()
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now(), heartbeat_at=timezone.now(), **end)


def sweep_stale_jobs() -> int:
    """Fail running jobs whose worker stopped sending heartbeats; returns how many."""
    stale = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT_S)
    return Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=stale).update(
        state=Job.State.FAILED,
        finished_at=timezone.now(),
        message="Failed",
        error="The worker running this job stopped responding (no heartbeat). Nothing finished was lost; retry it.",
    )
