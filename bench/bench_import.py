"""Read speed of the sheet readers on generated 10,000- and 50,000-row sheets (rows/s).

Memory is the process's peak resident size (tracemalloc would slow the reader several-fold).
Reference measured in the same run: openpyxl's own read_only iteration of the same file (values
only, no parsing), so the ratio shows what the readers add on top of opening the workbook.
Run: .venv/bin/python bench/bench_import.py [rows ...]
"""

import resource
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import sheets  # noqa: E402

from annotator.formats.readers import read  # noqa: E402


def samm_rows(count: int) -> list[list]:
    rows = []
    for i in range(count):
        onset = 1000 + 10 * i
        apex = "-1" if i % 50 == 0 else onset + 4  # a sentinel every 50 rows
        rows.append(
            ["006", f"006_{i}", 1, onset, apex, onset + 9, 10, "Micro - 1/2", "4+7+L10", "Anger", "IV", ""]
        )
    return rows


def openpyxl_only(path: Path) -> int:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in wb["MICRO_ONLY"].iter_rows(values_only=True))
    wb.close()
    return count


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = sheets.samm(Path(tmp) / f"samm_{size}.xlsx", samm_rows(size))
            base, _ = timed(openpyxl_only, path)
            seconds, report = timed(read, path, "samm")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            assert len(report.records) == size and len(report.sentinels) == -(-size // 50)
            print(
                f"{size:>6} rows: read {seconds:6.2f} s = {size / seconds:8.0f} rows/s; "
                f"openpyxl iteration alone {base:6.2f} s ({seconds / base:.2f}x); "
                f"process peak RSS so far {peak / 2**20:.0f} MiB; "
                f"{path.stat().st_size / 2**20:.1f} MiB file"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 50_000])
