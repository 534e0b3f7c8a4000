"""Time to export 10,000 intervals from the database to the CASME II sheet (xlsx) and to ELAN (.eaf zip).

The Django path (query, models -> writer inputs, write, ExportRecord) against the pure writer on the
same inputs, measured in the same run: the difference is what the database side costs.
Runs on a throw-away SQLite database in a temporary var dir.
Run: .venv/bin/python bench/bench_export_db.py [intervals] [videos]
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = tempfile.mkdtemp(prefix="bench-export-db-")
os.environ["MESTUDIO_VAR_DIR"] = VAR
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mestudio.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from annotator import exporting  # noqa: E402
from annotator.formats.writers import write  # noqa: E402
from annotator.models import Dataset, Interval, Revision, Subject, Video  # noqa: E402


def corpus(n: int, videos: int) -> Dataset:
    """`videos` clips at 200 fps numbered from image 1, `n // videos` MEs each, one revision per interval."""
    dataset = Dataset.objects.create(name="bench", frame_convention="file_number", default_fps=200.0)
    per = n // videos
    subjects = Subject.objects.bulk_create(
        Subject(dataset=dataset, code=f"{s + 1:02d}", normalized=str(s + 1)) for s in range(26)
    )
    clips = Video.objects.bulk_create(
        Video(
            dataset=dataset,
            subject=subjects[v % 26],
            name=f"EP{v:03d}_01",
            fps=200.0,
            frame_count=per * 40 + 10,
            first_frame_number=1,
        )
        for v in range(videos)
    )
    rows = Interval.objects.bulk_create(
        Interval(
            video=video,
            kind="ME",
            onset=i * 40,
            apex=i * 40 + 5,
            offset=i * 40 + 20,
            aus="4+L10",
            emotion="disgust",
        )
        for video in clips
        for i in range(per)
    )
    Revision.objects.bulk_create(
        Revision(interval_id=row.pk, video=row.video, action="create", after={}) for row in rows
    )
    return dataset


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    videos = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    call_command("migrate", verbosity=0)
    dataset = corpus(n, videos)
    out = Path(VAR)
    print(f"{n} intervals, {videos} videos, SQLite")
    for fmt, suffix in (("casme2", ".xlsx"), ("eaf", ".zip")):
        db_s, record = timed(
            lambda fmt=fmt, suffix=suffix: exporting.export(dataset, fmt, out / f"db{suffix}")
        )
        collect_s, inputs = timed(
            lambda fmt=fmt: exporting.collect(dataset, fmt, exporting.Selection()).intervals
        )
        pure_s, _ = timed(
            lambda fmt=fmt, suffix=suffix, inputs=inputs: write(fmt, inputs, out / f"pure{suffix}")
        )
        same = (out / f"db{suffix}").read_bytes() == (out / f"pure{suffix}").read_bytes()
        print(
            f"{fmt:7s} Django path {db_s * 1000:7.0f} ms ({n / db_s:7.0f} intervals/s)  "
            f"query+convert {collect_s * 1000:6.0f} ms  pure writer {pure_s * 1000:7.0f} ms  "
            f"same bytes: {same}  written: {record.counts['intervals_written']}"
        )


if __name__ == "__main__":
    main()
