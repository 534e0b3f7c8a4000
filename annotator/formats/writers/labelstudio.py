"""Label Studio video tasks with `timelinelabels` regions (FORMATS.md §6), ready to import.

Label Studio counts video frames from 1, so ranges are index + 1, both ends inclusive. One task
per video; region ids count within the task so the same input gives the same JSON. The project's
labeling config must name its tags as these regions do:
`<Video name="video" value="$video"/><TimelineLabels name="label" toName="video">` with one
`<Label>` per kind (ME, MaE, blink, other).
"""

from __future__ import annotations

import json
from itertools import groupby

from annotator.formats.writers.model import ExportInterval, ExportReport, kept, position_1


def _region(n: int, iv: ExportInterval) -> dict:
    meta = [
        f"{key}: {value}"
        for key, value in (
            ("apex", iv.apex if iv.apex is None else position_1(iv.apex)),
            ("aus", iv.aus),
            ("emotion", iv.emotion),
            ("notes", iv.notes),
        )
        if value not in (None, "")
    ]
    region = {
        "id": f"r{n}",
        "type": "timelinelabels",
        "from_name": "label",
        "to_name": "video",
        "origin": "manual",
        "value": {
            "ranges": [{"start": position_1(iv.onset), "end": position_1(iv.offset)}],
            "timelinelabels": [iv.kind],
        },
    }
    if meta:
        region["meta"] = {"text": meta}
    return region


def labelstudio(intervals: list[ExportInterval], report: ExportReport, *, video_url: str = "{name}") -> bytes:
    """`video_url` is formatted with the video's fields ({video_id}, {name}, {subject}...)."""
    chosen = kept(intervals, report, ("ME", "MaE", "blink", "other"), needs_offset=True)
    tasks = []
    for video, items in groupby(chosen, key=lambda iv: iv.video):
        fields = {
            k: getattr(video, k) for k in ("video_id", "subject", "name", "megc_id", "fps", "frame_count")
        }
        tasks.append(
            {
                "data": {"video": video_url.format(**fields), **fields},
                "annotations": [{"result": [_region(n, iv) for n, iv in enumerate(items, start=1)]}],
            }
        )
    report.convention("frames: Label Studio 1-based frame = index + 1; ranges inclusive; label = kind")
    report.counts["intervals_written"] = len(chosen)
    report.counts["videos"] = len(tasks)
    return (json.dumps(tasks, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
