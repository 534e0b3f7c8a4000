"""What the job-starting commands (`prelabel`, `train`) do with the job they queued."""

from django.core.management.base import BaseCommand, CommandError

from annotator import jobs
from annotator.models import Job


def run_now_or_leave(command: BaseCommand, job: Job, what: str, now: bool, queued: str) -> None:
    """With --now run the job in this process and print its result (a failed job is a
    CommandError, so scripts see a non-zero exit); otherwise print `queued` and leave it to a worker."""
    if not now:
        command.stdout.write(queued)
        return
    jobs.execute(job.pk)
    job.refresh_from_db()
    if job.state != Job.State.SUCCEEDED:
        raise CommandError(f"{what} job #{job.pk} failed: {job.error}")
    command.stdout.write(command.style.SUCCESS(f"job #{job.pk}: {job.result}"))
