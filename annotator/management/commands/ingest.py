from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotator import jobs
from annotator.ingest import add_source, discover
from annotator.models import Dataset, Job


class Command(BaseCommand):
    help = "Ingest a video file, an image-sequence folder, or a tree of them (subject/clip) into a dataset."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dataset", required=True, help="Dataset name.")
        parser.add_argument(
            "--subject", help="Subject id for every source found (default: from the folder tree)."
        )
        parser.add_argument(
            "--fps", type=float, help="Frame rate (image folders have none; default: the dataset's)."
        )
        parser.add_argument(
            "--now", action="store_true", help="Run the jobs in this process instead of a worker."
        )

    def handle(self, *args, path, dataset, subject, fps, now, **options):
        target = Dataset.objects.filter(name=dataset).first()
        if target is None:
            raise CommandError(f"No dataset called {dataset!r}.")
        try:
            sources = discover(Path(path))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        queued: list[Job] = []
        for source in sources:
            video, job = add_source(target, source, subject=subject, fps=fps)
            if job is None:
                self.stdout.write(
                    f"{source.path}: already ingested as video {video.name} (#{video.pk}); skipped."
                )
            else:
                queued.append(job)
                self.stdout.write(f"{source.path} -> video {video.name} (#{video.pk}), job #{job.pk}")
        if now:
            for job in queued:
                jobs.execute(job.pk)
                job.refresh_from_db()
                line = f"job #{job.pk} {job.state}: {job.error or job.result}"
                self.stdout.write(
                    self.style.SUCCESS(line) if job.state == Job.State.SUCCEEDED else self.style.ERROR(line)
                )
        failed = [job for job in queued if job.refresh_from_db() or job.state == Job.State.FAILED]
        if failed:
            raise CommandError(f"{len(failed)} of {len(queued)} ingest job(s) failed.")
