"""CAS(ME)^2 `CAS(ME)^2code_final.xlsx`: three header-less sheets tied together by naming rules.

A row names its video only indirectly: participant index (naming rule1 -> folder `s15`) and an
expression id `anger1_1` whose stem maps to a video code (naming rule2 -> `0401`); the MEGC id is
`15_0401`. This writer builds the three sheets consistently from each video's MEGC id.
"""

from __future__ import annotations

import re

from annotator.formats.writers.model import (
    ExportError,
    ExportInterval,
    ExportReport,
    frame_or,
    kept,
    position_1,
)
from annotator.formats.writers.sheets import Sheet, workbook

TYPES = {"ME": "micro-expression", "MaE": "macro-expression"}
_MEGC_ID = re.compile(r"^s?(\d+)_(\d{4})(.*)$")


def _ids(iv: ExportInterval) -> tuple[int, str, str] | None:
    """(folder number, video code, expression name) of the interval's video; None without a MEGC id."""
    v = iv.video
    m = _MEGC_ID.match(v.megc_id or "") or _MEGC_ID.match(v.name)
    if not m:
        return None
    folder, code = int(m.group(1)), m.group(2)
    tail = _MEGC_ID.match(v.name)
    name = v.extra.get("expression_name") or (tail.group(3) if tail else "") or code
    return folder, code, name


def casme_sq(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    ids, chosen = {}, []
    for iv in kept(intervals, report, ("ME", "MaE")):
        ids[iv.video.video_id] = _ids(iv)
        if ids[iv.video.video_id] is None:
            report.skip(iv, "casme-sq names videos by MEGC id like '15_0401'; video has none")
        else:
            chosen.append(iv)
    if not chosen:
        raise ExportError(f"casme-sq: no interval left to write (first reason: {report.skipped[0].reason})")
    names: dict[str, str] = {}
    for iv in chosen:
        _, code, name = ids[iv.video.video_id]
        if names.setdefault(code, name) != name:
            raise ExportError(
                f"video {iv.video.video_id!r}: code {code} is named both {names[code]!r} "
                f"and {name!r}; naming rule2 allows one name per code"
            )
    participants = {}
    for iv in chosen:
        folder = ids[iv.video.video_id][0]
        given = iv.video.extra.get("participant")
        participants.setdefault(folder, int(given) if given else None)
    free = iter(i for i in range(1, len(participants) + len(chosen) + 1) if i not in participants.values())
    for folder in sorted(participants):
        if participants[folder] is None:
            participants[folder] = next(free)
    rows, count = [], {}
    for iv in chosen:
        folder, code, name = ids[iv.video.video_id]
        count[iv.video.video_id] = count.get(iv.video.video_id, 0) + 1
        rows.append(
            [
                participants[folder],
                f"{name}_{count[iv.video.video_id]}",
                position_1(iv.onset),
                frame_or(iv.apex, position_1, 0, "apex", report),
                frame_or(iv.offset, position_1, 0, "offset", report),
                iv.aus,
                iv.emotion,
                TYPES[iv.kind],
                iv.extra.get("self_reported_emotion", ""),
            ]
        )
    report.convention("frames: 1-based index of img###.jpg in the long video = index + 1; unknown written 0")
    report.convention(
        "expression id = <naming rule2 name>_<n>, n counting the video's intervals in onset order"
    )
    report.convention(
        "participant index from video.extra['participant'], else the free indices in folder-number order"
    )
    report.counts["intervals_written"] = len(rows)
    rule1 = [[folder, f"s{folder}", participants[folder]] for folder in sorted(participants)]
    rule2 = [[code, names[code]] for code in sorted(names)]
    return workbook(
        [
            Sheet("CASFEcode_final", 0, [], rows),
            Sheet("naming rule1", 0, [], rule1),
            Sheet("naming rule2", 0, [], rule2),
        ]
    )
