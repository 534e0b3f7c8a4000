"""Exports through the Django path: models -> writers -> file and ExportRecord; CLI, page, API, job."""

import hashlib
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from pympi.Elan import Eaf

from annotator import exporting, labels
from annotator.exporting import ExportError, Selection
from annotator.formats.readers import read
from annotator.jobs import execute
from annotator.models import ExportRecord, Interval, Job, Role
from inference.media.framestore import ChunkWriter
from tests.conftest import wait_for_job
from tests.factories import (
    DatasetFactory,
    PredictionFactory,
    PredictionRunFactory,
    SubjectFactory,
    VideoFactory,
)

# --- helpers ----------------------------------------------------------------------------------


def make_video(dataset, subject: str, name: str, *, fps=200.0, frames=2000, first=1, **fields):
    digits = "".join(c for c in subject if c.isdigit())
    subj = SubjectFactory(dataset=dataset, code=subject, normalized=digits or subject)
    return VideoFactory(
        dataset=dataset,
        subject=subj,
        name=name,
        fps=fps,
        frame_count=frames,
        first_frame_number=first,
        **fields,
    )


def add(video, kind, onset, apex, offset, aus="", emotion="", notes=""):
    values = {"kind": kind, "onset": onset, "apex": apex, "offset": offset, "aus": aus, "emotion": emotion}
    return labels.create_interval(video, values | {"notes": notes}, None)


def to_index(number, convention: str, video) -> int | None:
    if number is None:
        return None
    return {
        "file_number": number - video.first_frame_number,
        "position_1": number - 1,
        "relative_1": number - 1,
        "index_0": number,
    }[convention]


# --- round trip per sheet format: export from models, read back with the readers ---------------

# format: (dataset frame convention, subject, video name, first frame number, fps, intervals,
#          the video id the reader gives for each interval in onset order)
ROUND_TRIP = {
    "casme2": (
        "file_number",
        "01",
        "EP02_01f",
        46,
        200.0,
        [("ME", 0, 5, 10, "4+L10", "disgust"), ("ME", 20, None, 30, "12", "happiness")],
        ["EP02_01f", "EP02_01f"],
    ),
    "samm": (
        "file_number",
        "006",
        "006_1_2",
        5562,
        200.0,
        [("ME", 0, 10, 40, "4+7", "Anger"), ("ME", 100, None, None, "12", "Happiness")],
        ["006_1_2", "006_1_2"],
    ),
    "samm-lv": (
        "position_1",
        "006",
        "006_1",
        1,
        200.0,
        [("MaE", 0, None, 99, "12", ""), ("ME", 500, 510, 530, "4", "")],
        ["006_1", "006_1"],
    ),
    "casme-sq": (
        "position_1",
        "s15",
        "15_0401",
        1,
        30.0,
        [("MaE", 10, 12, 40, "1+2", "surprise"), ("ME", 100, None, None, "4", "negative")],
        ["15_0401", "15_0401"],
    ),
    "casme3-a": (
        "file_number",
        "spNO.1",
        "a",
        1,
        30.0,
        [("ME", 10, 12, 20, "4+7", ""), ("blink", 30, None, 33, "", ""), ("MaE", 50, None, 90, "12", "")],
        ["a", "a", "a"],
    ),
    "mmew": (
        "relative_1",
        "S03",
        "S03-01-002",
        1,
        90.0,
        [("ME", 0, 7, 20, "4", "disgust")],
        ["S03-01-002"],
    ),
    "csv": (
        "index_0",
        "01",
        "EP02_01f",
        46,
        200.0,
        [("ME", 0, 5, 10, "4+L10", "disgust"), ("blink", 20, None, None, "", "")],
        ["EP02_01f", "EP02_01f"],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", list(ROUND_TRIP))
def test_round_trip_from_models_through_the_reader(tmp_path, fmt):
    convention, subject, name, first, fps, rows, read_as = ROUND_TRIP[fmt]
    dataset = DatasetFactory(frame_convention=convention)
    video = make_video(dataset, subject, name, fps=fps, frames=1000, first=first)
    for row in rows:
        add(video, *row)
    out = tmp_path / f"x.{'csv' if fmt == 'csv' else 'xlsx'}"
    record = exporting.export(dataset, fmt, out)
    records = read(out, fmt).records
    got = sorted(
        (
            r.video,
            r.kind,
            to_index(r.onset, r.frame_convention, video),
            to_index(r.apex, r.frame_convention, video),
            to_index(r.offset, r.frame_convention, video),
            r.aus,
            r.emotion,
        )
        for r in records
    )
    assert got == sorted((vid, *row) for vid, row in zip(read_as, rows, strict=True))
    assert record.counts["intervals_written"] == len(rows)
    assert record.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()


# --- exact files for small cases -----------------------------------------------------------


@pytest.fixture
def two_videos(dataset):
    """Two subjects, one video each, 30 fps: an ME with everything, an open MaE, a blink."""
    a = make_video(dataset, "01", "s01_v1", fps=30.0, frames=300)
    b = make_video(dataset, "02", "s02_v1", fps=30.0, frames=300)
    add(a, "ME", 10, 14, 20, "4+L10", "disgust", "clear")
    add(a, "MaE", 50, None, None, "12", "happiness")
    add(b, "blink", 5, None, 8)
    return a, b


@pytest.mark.django_db
def test_csv_exact_bytes(dataset, two_videos, tmp_path):
    exporting.export(dataset, "csv", tmp_path / "g.csv")
    assert (tmp_path / "g.csv").read_text() == (
        "video,kind,onset,apex,offset,aus,emotion,subject,notes\n"
        "s01_v1,ME,10,14,20,4+L10,disgust,01,clear\n"
        "s01_v1,MaE,50,,,12,happiness,01,\n"
        "s02_v1,blink,5,,8,,,02,\n"
    )


@pytest.mark.django_db
def test_megc2022_exact_lines_and_open_interval_skipped_with_reason(dataset, two_videos, tmp_path):
    record = exporting.export(dataset, "megc2022", tmp_path / "m.csv")
    assert (tmp_path / "m.csv").read_text() == "vid,pred_onset,pred_offset,type\ns01_v1,11,21,me\n"
    skipped = record.params["report"]["skipped"]
    assert [s["reason"] for s in skipped] == [
        "offset unknown; megc2022 has no way to write an open interval",
        "megc2022 holds only ME, MaE",
    ]
    assert record.counts["skipped"] == 2 and record.counts["intervals_written"] == 1


@pytest.mark.django_db
def test_megc_log_scores_a_run_against_the_human_labels(dataset, tmp_path):
    video = make_video(dataset, "15", "15_0401girlcrashing", fps=30.0, frames=500)
    add(video, "ME", 100, 105, 110)
    add(video, "ME", 300, None, 310)
    run = PredictionRunFactory(dataset=dataset, threshold=0.5)
    PredictionFactory(run=run, video=video, kind="ME", onset=101, apex=None, offset=111)  # IoU 10/12: TP
    PredictionFactory(run=run, video=video, kind="ME", onset=200, apex=None, offset=205)  # FP
    PredictionFactory(run=run, video=video, kind="ME", onset=400, apex=None, offset=405, score=0.1)  # hidden
    PredictionFactory(run=run, video=video, kind="ME", onset=420, apex=None, offset=425, status="rejected")
    out = tmp_path / "log.txt"
    record = exporting.export(dataset, "megc-log", out, Selection(run_id=run.pk), options={"dataset": "2"})
    assert out.read_text() == (
        "2\n15_0401 101 111 102 112 TP\n15_0401 - - 201 206 FP\n15_0401 301 311 - - FN\n"
    )
    assert (record.counts["TP"], record.counts["FP"], record.counts["FN"]) == (1, 1, 1)
    assert record.params["run"] == run.pk


@pytest.mark.django_db
def test_megc_log_needs_a_run_and_a_dataset_number(dataset, two_videos, tmp_path):
    with pytest.raises(ExportError, match="choose a run"):
        exporting.export(dataset, "megc-log", tmp_path / "l.txt", options={"dataset": "1"})
    run = PredictionRunFactory(dataset=dataset)
    with pytest.raises(ExportError, match="dataset must be 1"):
        exporting.export(dataset, "megc-log", tmp_path / "l.txt", Selection(run_id=run.pk))
    other = PredictionRunFactory()
    with pytest.raises(ExportError, match=f"run {other.pk} is not a prediction run of dataset"):
        exporting.export(dataset, "csv", tmp_path / "l.csv", Selection(run_id=other.pk))
    with pytest.raises(ExportError, match="option media_url '{folder}/{name}.mp4': 'folder' is not a field"):
        exporting.export(dataset, "eaf", tmp_path / "e.zip", options={"media_url": "{folder}/{name}.mp4"})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_run_predictions_exported_instead_of_human_labels(dataset, two_videos, tmp_path):
    a, _ = two_videos
    run = PredictionRunFactory(dataset=dataset)
    PredictionFactory(run=run, video=a, kind="MaE", onset=30, apex=33, offset=38, emotion="surprise")
    exporting.export(dataset, "csv", tmp_path / "p.csv", Selection(run_id=run.pk))
    assert (tmp_path / "p.csv").read_text().splitlines()[1:] == ["s01_v1,MaE,30,33,38,,surprise,01,"]


@pytest.mark.django_db
def test_state_and_kinds_filter(dataset, two_videos, tmp_path):
    a, b = two_videos
    b.review_state = "accepted"
    b.save()
    exporting.export(dataset, "csv", tmp_path / "acc.csv", Selection(state="accepted"))
    assert [line.split(",")[:2] for line in (tmp_path / "acc.csv").read_text().splitlines()[1:]] == [
        ["s02_v1", "blink"]
    ]
    exporting.export(dataset, "csv", tmp_path / "k.csv", Selection(kinds=("MaE",)))
    assert [line.split(",")[:2] for line in (tmp_path / "k.csv").read_text().splitlines()[1:]] == [
        ["s01_v1", "MaE"]
    ]
    with pytest.raises(
        ExportError, match="no labelled intervals \\(videos in review state 'accepted'; kinds ME\\)"
    ):
        exporting.export(dataset, "csv", tmp_path / "none.csv", Selection("accepted", ("ME",)))
    with pytest.raises(ExportError, match="unknown interval kind\\(s\\) micro"):
        exporting.parse_kinds("ME,micro")


# --- ELAN at 30 and 200 fps ---------------------------------------------------------------


@pytest.mark.django_db
def test_eaf_times_at_30_and_200_fps_and_back(dataset, tmp_path):
    slow = make_video(dataset, "01", "slow", fps=30.0, frames=300)
    fast = make_video(dataset, "02", "fast", fps=200.0, frames=2000)
    add(slow, "ME", 10, 14, 20, "4", "disgust")
    add(fast, "ME", 10, 14, 20, "4", "disgust")
    out = tmp_path / "eaf"
    record = exporting.export(dataset, "eaf", out)
    assert sorted(p.name for p in out.iterdir()) == ["01_slow.eaf", "02_fast.eaf"]
    assert record.counts["files"] == 2
    # 30 fps: frame index i starts at round(i * 1000 / 30) ms; the interval ends where frame 21 starts.
    expected = {"01_slow.eaf": (30.0, (333, 700), (467, 500)), "02_fast.eaf": (200.0, (50, 105), (70, 75))}
    for name, (fps, span, apex) in expected.items():
        eaf = Eaf(str(out / name))
        assert [a[:2] for a in eaf.get_annotation_data_for_tier("ME")] == [span]
        assert [a[:2] for a in eaf.get_annotation_data_for_tier("ME apex")] == [apex]
        (back,) = read(out / name, "eaf", fps=fps).records
        assert (back.onset - 1, back.apex - 1, back.offset - 1) == (10, 14, 20)


# --- bytes, revisions, records --------------------------------------------------------------


@pytest.mark.django_db
def test_same_labels_same_bytes_and_revision_recorded(dataset, two_videos, tmp_path):
    a, _ = two_videos
    first = exporting.export(dataset, "samm-lv", tmp_path / "1.xlsx")
    second = exporting.export(dataset, "samm-lv", tmp_path / "2.xlsx")
    assert (tmp_path / "1.xlsx").read_bytes() == (tmp_path / "2.xlsx").read_bytes()
    assert first.sha256 == second.sha256 and first.label_revision == second.label_revision is not None
    interval = a.intervals.get(kind="ME")
    labels.update_interval(interval.pk, {"onset": 11}, interval.version, None)
    third = exporting.export(dataset, "samm-lv", tmp_path / "3.xlsx")
    assert third.label_revision > first.label_revision and third.sha256 != first.sha256
    assert ExportRecord.objects.filter(dataset=dataset).count() == 3
    assert third.file == str((tmp_path / "3.xlsx").resolve())
    assert third.params["report"]["sentinels"] == {"apex unknown -> -1": 1, "offset unknown -> -1": 1}


@pytest.mark.django_db
def test_labels_changed_while_reading_are_read_again(dataset, two_videos, tmp_path, monkeypatch):
    a, _ = two_videos
    real, calls = exporting.collect, []

    def racing(*args):
        result = real(*args)
        if not calls:  # a coder saves while the first read is under way
            interval = a.intervals.get(kind="ME")
            labels.update_interval(interval.pk, {"onset": 11}, interval.version, None)
        calls.append(result)
        return result

    monkeypatch.setattr(exporting, "collect", racing)
    record = exporting.export(dataset, "csv", tmp_path / "g.csv")
    assert len(calls) == 2 and record.label_revision == exporting.label_revision(dataset)
    assert "s01_v1,ME,11,14,20," in (tmp_path / "g.csv").read_text()


# --- bad input: clear messages, nothing left behind -----------------------------------------


@pytest.mark.django_db
def test_empty_dataset_is_refused(dataset, tmp_path):
    with pytest.raises(
        ExportError, match=f"nothing to export: dataset '{dataset.name}' has no labelled intervals"
    ):
        exporting.export(dataset, "casme2", tmp_path / "c.xlsx")
    assert list(tmp_path.iterdir()) == [] and not ExportRecord.objects.exists()


@pytest.mark.django_db
def test_videos_without_file_numbers_are_refused_for_file_number_sheets(dataset, two_videos, tmp_path):
    with pytest.raises(ExportError, match="casme2 counts frames by image file number, and no exported video"):
        exporting.export(dataset, "casme2", tmp_path / "c.xlsx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_video_from_an_image_folder_has_file_numbers(dataset, tmp_path):
    folder = tmp_path / "EP02_01f"
    folder.mkdir()
    video = make_video(dataset, "01", "EP02_01f", frames=100, first=46, source_path=str(folder))
    add(video, "ME", 0, None, 10)
    exporting.export(dataset, "casme2", tmp_path / "c.xlsx")
    (record,) = read(tmp_path / "c.xlsx", "casme2").records
    assert (record.onset, record.apex, record.offset) == (46, None, 56)


@pytest.mark.django_db
def test_existing_target_is_refused_and_left_alone(dataset, two_videos, tmp_path):
    target = tmp_path / "g.csv"
    target.write_text("keep me")
    with pytest.raises(ExportError, match="exists"):
        exporting.export(dataset, "csv", target)
    assert target.read_text() == "keep me" and not ExportRecord.objects.exists()
    with pytest.raises(ExportError, match="is longer than the 255 characters a record keeps"):
        exporting.export(dataset, "csv", tmp_path / ("x" * 240 + ".csv"))
    assert [p.name for p in tmp_path.iterdir()] == ["g.csv"]


@pytest.mark.django_db
def test_not_ingested_video_bounds_and_notes(dataset, tmp_path):
    video = VideoFactory(dataset=dataset, name="raw", fps=None, frame_count=None)
    add(video, "ME", 40, 45, 50)
    record = exporting.export(dataset, "csv", tmp_path / "g.csv")
    assert record.params["report"]["notes"] == [
        "video 'raw': frame count unknown (not ingested); bounded by its last label",
        "video 'raw': fps unknown; the dataset's 30 fps used",
    ]
    with pytest.raises(ExportError, match="video 'raw' left out: au-matrix needs it ingested"):
        exporting.export(dataset, "au-matrix", tmp_path / "au.csv")


def _crop_store(folder: Path, frames: int, size: int = 16) -> None:
    """A frame store holding only aligned crops: crop k is filled with the value 10 * k."""
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(
        json.dumps({"frame_count": frames, "chunk_size": 8, "crop_size": size})
    )
    writer = ChunkWriter(folder / "crops", chunk_size=8)
    for k in range(frames):
        writer.add(k, np.full((size, size), 10 * k, np.uint8))
    writer.flush()


@pytest.mark.django_db
def test_clips_from_the_stored_aligned_crops(dataset, tmp_path):
    video = make_video(dataset, "01", "clip", fps=30.0, frames=20, media_dir="videos/x/store")
    _crop_store(Path(settings.MEDIA_ROOT) / "videos/x/store", 20)
    add(video, "ME", 3, 5, 6)
    record = exporting.export(dataset, "clips", tmp_path / "clips.zip")
    with zipfile.ZipFile(tmp_path / "clips.zip") as zf:
        (folder,) = {n.split("/")[0] for n in zf.namelist() if "/" in n}
        pngs = sorted(n for n in zf.namelist() if n.startswith(folder) and not n.endswith("apex.png"))
        values = [int(cv2.imdecode(np.frombuffer(zf.read(n), np.uint8), 0).mean().round()) for n in pngs]
    assert values == [30, 40, 50, 60]  # frames 3..6, JPEG-exact on flat images
    assert record.counts["intervals_written"] == 1


# --- CLI --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cli_writes_file_and_record(dataset, two_videos, tmp_path):
    out = tmp_path / "l.json"
    call_command(
        "export", "--dataset", dataset.name, "--format", "labelstudio", "--out", str(out), "--kinds", "ME"
    )
    tasks = json.loads(out.read_text())
    assert [t["data"]["name"] for t in tasks] == ["s01_v1"]
    record = ExportRecord.objects.get()
    assert record.format == "labelstudio" and record.params["kinds"] == ["ME"] and record.job is None


@pytest.mark.django_db
def test_cli_errors_are_clear(dataset, two_videos, tmp_path):
    with pytest.raises(CommandError, match="No dataset called 'nope'"):
        call_command("export", "--dataset", "nope", "--format", "csv", "--out", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="unknown option\\(s\\) colour \\(accepted: none\\)"):
        call_command(
            "export",
            "--dataset",
            dataset.name,
            "--format",
            "csv",
            "--out",
            str(tmp_path / "x.csv"),
            "--option",
            "colour=red",
        )
    (tmp_path / "old.csv").write_text("old")
    with pytest.raises(CommandError, match="old.csv exists; add --overwrite to replace it"):
        call_command(
            "export", "--dataset", dataset.name, "--format", "csv", "--out", str(tmp_path / "old.csv")
        )
    call_command(
        "export",
        "--dataset",
        dataset.name,
        "--format",
        "csv",
        "--out",
        str(tmp_path / "old.csv"),
        "--overwrite",
    )
    assert (tmp_path / "old.csv").read_text().startswith("video,kind")
    (tmp_path / "old.csv").unlink()
    with pytest.raises(CommandError, match="clips needs it ingested"):
        call_command(
            "export", "--dataset", dataset.name, "--format", "clips", "--out", str(tmp_path / "x.zip")
        )
    with pytest.raises(CommandError, match="folder .*/missing does not exist"):
        call_command(
            "export", "--dataset", dataset.name, "--format", "csv", "--out", str(tmp_path / "missing/x")
        )
    assert list(tmp_path.iterdir()) == []


# --- page, API, job ---------------------------------------------------------------------------


def _run_export_jobs() -> list[Job]:
    jobs = list(Job.objects.filter(kind="export", state=Job.State.QUEUED))
    for job in jobs:
        execute(job.pk)
        job.refresh_from_db()
    return jobs


@pytest.mark.django_db
def test_page_starts_an_export_job_and_lists_the_download(client, dataset, two_videos, member):
    coder = member(Role.ANNOTATOR)
    client.force_login(coder)
    page = client.get(reverse("dataset_detail", args=[dataset.pk]))
    assert reverse("dataset_exports", args=[dataset.pk]).encode() in page.content
    response = client.post(
        reverse("dataset_export_start", args=[dataset.pk]),
        {"format": "eaf", "media_url": "{name}.avi", "kinds": ["ME", "MaE"]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and b"queued" in response.content
    (job,) = _run_export_jobs()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.queue == "io" and job.params["options"] == {"media_url": "{name}.avi"}
    record = ExportRecord.objects.get(job=job)
    stamp = f"{job.created_at:%Y%m%d%H%M%S}"
    assert record.file == f"exports/{dataset.pk}/eaf-{job.pk}-{stamp}.zip" and record.created_by == coder
    panel = client.get(reverse("dataset_exports", args=[dataset.pk]))
    link = reverse("export_download", args=[dataset.pk, record.pk])
    assert link.encode() in panel.content and b"an interval ends at the start of the frame" in panel.content
    download = client.get(link)
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == record.sha256
    with zipfile.ZipFile(Path(settings.MEDIA_ROOT) / record.file) as zf:
        assert zf.namelist() == ["01_s01_v1.eaf"]  # only ME/MaE: video 02 has a blink only


@pytest.mark.django_db
def test_page_form_errors_and_roles(client, dataset, two_videos, member):
    viewer = member(Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("dataset_exports", args=[dataset.pk])).status_code == 200
    assert (
        client.post(reverse("dataset_export_start", args=[dataset.pk]), {"format": "csv"}).status_code == 403
    )
    client.force_login(member(Role.ANNOTATOR))
    start = reverse("dataset_export_start", args=[dataset.pk])
    response = client.post(start, {"format": "megc-log"}, HTTP_HX_REQUEST="true")
    assert b"choose a run" in response.content and not Job.objects.exists()
    plain = client.post(start, {"format": "megc-log"}, follow=True)  # no htmx: back to the dataset page
    assert plain.redirect_chain[-1][0] == reverse("dataset_detail", args=[dataset.pk])
    assert b"Export: megc-log scores a run" in plain.content and not Job.objects.exists()
    plain = client.post(start, {"format": "csv"}, follow=True)
    assert b"Export job #" in plain.content and Job.objects.get().params["format"] == "csv"
    run = PredictionRunFactory(dataset=dataset)
    form = {"format": "megc-log", "run": run.pk, "megc_dataset": "2", "media_url": "{name}.mp4"}
    client.post(start, form, HTTP_HX_REQUEST="true")
    job = Job.objects.get(params__format="megc-log")
    assert (job.params["run"], job.params["options"]) == (run.pk, {"dataset": "2"})  # media_url is eaf's
    client.post(
        start, {"format": "labelstudio", "video_url": "/media/{subject}/{name}.mp4"}, HTTP_HX_REQUEST="true"
    )
    job = Job.objects.get(params__format="labelstudio")
    assert job.params["options"] == {"video_url": "/media/{subject}/{name}.mp4"}
    client.force_login(member(Role.OWNER, "stranger"))  # owner of this dataset ...
    other = DatasetFactory()
    assert client.get(reverse("dataset_exports", args=[other.pk])).status_code == 404  # ... not of that one


@pytest.mark.django_db
def test_download_checks_the_role_and_the_place(client, dataset, two_videos, member, tmp_path):
    record = exporting.export(dataset, "csv", tmp_path / "cli.csv")  # a CLI export outside MEDIA_ROOT
    client.force_login(member(Role.VIEWER))
    assert client.get(reverse("export_download", args=[dataset.pk, record.pk])).status_code == 404
    other = DatasetFactory()
    outsider = member(Role.VIEWER, "outsider")
    client.force_login(outsider)
    assert client.get(reverse("export_download", args=[other.pk, record.pk])).status_code == 404


@pytest.mark.django_db
def test_api_export_job_list_and_download(api, dataset, two_videos, member):
    coder, viewer = member(Role.ANNOTATOR), member(Role.VIEWER)
    body = {"dataset": dataset.pk, "format": "csv", "kinds": ["ME", "blink"]}
    assert api(viewer).post("/api/exports/", body, format="json").status_code == 403
    response = api(coder).post("/api/exports/", body, format="json")
    assert response.status_code == 202 and response.json()["kind"] == "export"
    (job,) = _run_export_jobs()
    assert job.state == Job.State.SUCCEEDED, job.error
    listed = api(viewer).get(f"/api/exports/?dataset={dataset.pk}").json()["results"]
    assert [(r["format"], r["counts"]["intervals_written"], r["downloadable"]) for r in listed] == [
        ("csv", 2, True)
    ]
    download = api(viewer).get(f"/api/exports/{listed[0]['id']}/download/")
    assert b"".join(download.streaming_content).decode().splitlines()[1:] == [
        "s01_v1,ME,10,14,20,4+L10,disgust,01,clear",
        "s02_v1,blink,5,,8,,,02,",
    ]
    api(coder).post("/api/exports/", body, format="json")
    (again,) = _run_export_jobs()
    assert ExportRecord.objects.get(job=again).sha256 == ExportRecord.objects.get(job=job).sha256
    bad = api(coder).post("/api/exports/", body | {"format": "samm"}, format="json")
    assert bad.status_code == 202  # accepted; the job fails with the reason
    (failed,) = _run_export_jobs()
    assert failed.state == Job.State.FAILED and "samm counts frames by image file number" in failed.error
    assert api(coder).post("/api/exports/", body | {"options": {"x": "1"}}, format="json").status_code == 400
    schema = api(viewer).get(reverse("schema")).content
    assert b"/api/exports/{id}/download/" in schema and b"ExportRequest" in schema
    owner_here = api(member(Role.OWNER, "x"))
    assert owner_here.get(f"/api/exports/{listed[0]['id']}/").status_code == 200
    other = DatasetFactory()
    assert owner_here.post("/api/exports/", body | {"dataset": other.pk}, format="json").status_code == 404


@pytest.mark.django_db
def test_job_retry_returns_the_same_record(dataset, two_videos, owner):
    from annotator.jobs import start_job

    job = start_job(
        "export", dataset=dataset, params={"format": "csv", "state": "", "kinds": [], "run": None}, user=owner
    )
    execute(job.pk)
    record = ExportRecord.objects.get(job=job)
    Job.objects.filter(pk=job.pk).update(state=Job.State.QUEUED)  # as if redelivered after it finished
    execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result["record"] == record.pk
    assert ExportRecord.objects.filter(job=job).count() == 1


def test_export_job_on_a_real_worker(celery_worker, owner, dataset):
    video = make_video(dataset, "01", "EP02_01f", fps=200.0, frames=100, first=46)
    dataset.frame_convention = "file_number"
    dataset.save()
    add(video, "ME", 0, 5, 10, "4", "disgust")
    from annotator.jobs import start_job

    job = wait_for_job(start_job("export", dataset=dataset, params={"format": "casme2"}, user=owner))
    assert job.state == Job.State.SUCCEEDED, job.error
    (record,) = read(Path(settings.MEDIA_ROOT) / job.result["file"], "casme2").records
    assert (record.video, record.onset, record.apex, record.offset) == ("EP02_01f", 46, 51, 56)


# --- importing an export gives back the same intervals (annotator.importing) ------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", [*ROUND_TRIP, "eaf"])
def test_importing_an_export_gives_back_the_same_intervals(tmp_path, fmt):
    from annotator.importing import Request, import_file

    convention, subject, name, first, fps, rows, _ = ROUND_TRIP["casme-sq" if fmt == "eaf" else fmt]
    source, twin = (DatasetFactory(frame_convention=convention) for _ in range(2))
    for dataset in (source, twin):  # the same video, ready, in both
        make_video(dataset, subject, name, fps=fps, frames=1000, first=first, ingest_state="ready")
    for row in rows:
        add(source.videos.get(), *row)
    out = tmp_path / ("e.zip" if fmt == "eaf" else f"x.{'csv' if fmt == 'csv' else 'xlsx'}")
    exporting.export(source, fmt, out)
    files = [out]
    if fmt == "eaf":
        with zipfile.ZipFile(out) as zf:
            zf.extractall(tmp_path / "eaf")
        files = sorted((tmp_path / "eaf").iterdir())
    for path in files:
        record = import_file(twin, Request(path, fmt, fps=fps))
        report = record.report
        assert (report["refused_count"], report["waiting_for_video"]) == (0, 0), report
    emotions = fmt not in ("samm-lv", "casme3-a")  # these sheets have no emotion column

    def labels_of(dataset):
        rows = Interval.objects.filter(video__dataset=dataset)
        if fmt == "eaf":  # an ELAN annotation needs an end: open intervals are skipped (and reported)
            rows = rows.exclude(offset=None)
        return sorted(
            (iv.kind, iv.onset, iv.apex, iv.offset, iv.aus, iv.emotion.lower() if emotions else "")
            for iv in rows
        )

    assert labels_of(twin) == labels_of(source)


@pytest.mark.django_db
def test_cells_kept_by_an_import_are_written_back(tmp_path):
    dataset = DatasetFactory(frame_convention="file_number")
    video = make_video(dataset, "01", "EP02_01f", frames=100, first=46)
    labels.create_interval(
        video,
        {"kind": "ME", "onset": 0, "apex": 4, "offset": 9, "emotion": "disgust"},
        None,
        provenance={"file": "CASME2-coding.xlsx", "extra": {"objective_class": "3"}},
    )
    exporting.export(dataset, "casme2", tmp_path / "c.xlsx")
    (record,) = read(tmp_path / "c.xlsx", "casme2").records
    assert record.extra == {"objective_class": "3"}
