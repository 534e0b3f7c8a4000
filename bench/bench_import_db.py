"""Import speed through the Django path (`annotator.importing.import_file`) for generated SAMM sheets.

For each size: a dry run, the import into videos that are ingested (every row becomes an Interval
with its Revision), then the same sheet again (all rows "already imported"), and the import into a
dataset without the videos (labels wait in PendingInterval). Reference: the reader alone on the
same file, so the difference is what matching, checking and writing cost.

During the import a second thread saves an interval every 0.2 s, as the timeline does, on its own
connection: its worst wait and its failures ("database is locked" after the busy timeout, which the
web answers with 503) show whether the server stays writable; "write" is the time the import held
its write transaction (the report's write_seconds).
Database: a fresh SQLite file in a temporary var dir unless DATABASE_URL is set (then that one;
use an empty database, it is migrated here).
Run: .venv/bin/python bench/bench_import_db.py [rows ...]   (default 10000)
"""

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
os.environ.setdefault("MESTUDIO_VAR_DIR", tempfile.mkdtemp(prefix="bench-import-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mestudio.settings")

import django  # noqa: E402

django.setup()

import sheets  # noqa: E402
from bench_import import samm_rows  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection  # noqa: E402

from annotator.formats.readers import read  # noqa: E402
from annotator.importing import Request, import_file  # noqa: E402
from annotator.labels import create_interval  # noqa: E402
from annotator.models import Dataset, Interval, PendingInterval, Subject, Video  # noqa: E402
from annotator.models.videos import IngestState  # noqa: E402


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def with_videos(name: str, rows: list[list]) -> Dataset:
    """A dataset whose videos are ingested: one per sheet row name, frames numbered from 1000."""
    dataset = Dataset.objects.create(name=name)
    subject = Subject.objects.create(dataset=dataset, code="006", normalized="6")
    Video.objects.bulk_create(
        Video(
            dataset=dataset,
            subject=subject,
            name=row[1],
            frame_count=10 * len(rows) + 100,  # samm_rows: onsets 1000 + 10 i
            first_frame_number=1000,
            fps=200.0,
            ingest_state=IngestState.READY,
        )
        for row in rows
    )
    return dataset


class Saver(threading.Thread):
    """Interval saves every 0.2 s on a video of another dataset until stopped: worst wait, failures."""

    def __init__(self, video: Video):
        super().__init__()
        self.video, self.stop, self.waits, self.failed = video, threading.Event(), [], 0

    def run(self) -> None:
        while not self.stop.is_set():
            start = time.perf_counter()
            try:
                create_interval(self.video, {"kind": "ME", "onset": 1, "offset": 5}, None)
            except OperationalError:
                self.failed += 1
            self.waits.append(time.perf_counter() - start)
            self.stop.wait(0.2)
        connection.close()

    def __enter__(self) -> "Saver":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.join()

    def __str__(self) -> str:
        return f"{len(self.waits)} saves meanwhile, worst {max(self.waits, default=0):.2f} s, {self.failed} failed"


def main(sizes: list[int]) -> None:
    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench")
    print(f"database: {connection.vendor}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            rows = samm_rows(size)
            path = sheets.samm(Path(tmp) / f"samm_{size}.xlsx", rows)
            reader_s, _ = timed(read, path, "samm")
            dataset = with_videos(f"bench {size}", rows)
            dry_s, dry = timed(import_file, dataset, Request(path, "samm"), dry_run=True, user=user)
            other = Dataset.objects.create(name=f"bench {size} saves")
            with Saver(Video.objects.create(dataset=other, name="saved", frame_count=100)) as saver:
                real_s, real = timed(import_file, dataset, Request(path, "samm"), user=user)
            again_s, again = timed(import_file, dataset, Request(path, "samm"), user=user)
            empty = Dataset.objects.create(name=f"bench {size} without videos")
            wait_s, wait = timed(import_file, empty, Request(path, "samm"), user=user)
            created = Interval.objects.filter(video__dataset=dataset).count()
            assert real.report["intervals_created"] == created == size, real.report["refused"][:3]
            assert again.report["already_imported"] == size and dry.report["intervals_created"] == size
            assert (
                wait.report["waiting_for_video"]
                == PendingInterval.objects.filter(video__dataset=empty).count()
            )
            print(
                f"{size:>6} rows: reader alone {reader_s:6.2f} s; dry run {dry_s:6.2f} s; "
                f"import {real_s:6.2f} s = {size / real_s:6.0f} rows/s ({created} intervals + revisions), "
                f"write {real.report.get('write_seconds', real_s):6.2f} s; "
                f"re-import {again_s:6.2f} s; waiting for videos {wait_s:6.2f} s = {size / wait_s:6.0f} rows/s"
            )
            print(f"        interval saves during the import: {saver}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000])
