"""Celery tasks: thin wrappers that take ids; the work lives in job handlers."""

from celery import shared_task

from . import jobs


@shared_task(bind=True, name="jobs.run", acks_late=True)
def run_job(self, job_id: int) -> None:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    jobs.execute(job_id, redelivered=redelivered)


@shared_task(name="jobs.sweep")
def sweep_stale_jobs() -> int:
    return jobs.sweep_stale_jobs()
