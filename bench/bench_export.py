"""Time to export 10,000 intervals to the CASME II sheet (xlsx) and to ELAN (one .eaf per video).

References measured in the same run: a bare openpyxl save of the same 10,000 rows (the cost of the
xlsx library itself) and the generic csv export (no container at all).
Run: PYTHONPATH=. .venv/bin/python bench/bench_export.py [intervals] [videos]
"""

import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from annotator.formats.writers import ExportInterval, ExportVideo, write


def corpus(n: int, videos: int) -> list[ExportInterval]:
    per = n // videos
    out = []
    for v in range(videos):
        video = ExportVideo(f"v{v}", f"{v % 26 + 1:02d}", 200.0, per * 40 + 10, 1, f"EP{v:03d}_01")
        out += [
            ExportInterval(video, "ME", i * 40, i * 40 + 5, i * 40 + 20, "4+L10", "disgust")
            for i in range(per)
        ]
    return out


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    videos = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    data = corpus(n, videos)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)

        def bare_openpyxl() -> None:
            wb = Workbook()
            ws = wb.active
            for iv in data:
                ws.append(
                    [
                        iv.video.subject,
                        iv.video.name,
                        None,
                        iv.onset + 1,
                        iv.apex + 1,
                        iv.offset + 1,
                        None,
                        iv.aus,
                        iv.emotion,
                        "",
                    ]
                )
            wb.save(d / "bare.xlsx")

        results = {
            "casme2 xlsx": timed(lambda: write("casme2", data, d / "c.xlsx")),
            "eaf folder": timed(lambda: write("eaf", data, d / "eaf")),
            "eaf zip": timed(lambda: write("eaf", data, d / "eaf.zip")),
            "csv (reference)": timed(lambda: write("csv", data, d / "g.csv")),
            "bare openpyxl save (reference)": timed(bare_openpyxl),
        }
        sizes = {"casme2 xlsx": (d / "c.xlsx").stat().st_size, "eaf zip": (d / "eaf.zip").stat().st_size}
    bare = results["bare openpyxl save (reference)"]
    print(f"{n} intervals, {videos} videos")
    for name, seconds in results.items():
        size = f", {sizes[name] / 1024:.0f} KiB" if name in sizes else ""
        print(
            f"{name:32s} {seconds * 1000:8.0f} ms  {n / seconds:9.0f} intervals/s  "
            f"{seconds / bare:5.2f}x bare openpyxl{size}"
        )


if __name__ == "__main__":
    main()
