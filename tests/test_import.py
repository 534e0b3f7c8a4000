"""Importing sheets into a dataset: matching, frame conversion, waiting labels, report, one transaction.

Sheets are built in the datasets' layouts by tests/sheets.py; no dataset file is used.
"""

import sqlite3
import threading
from pathlib import Path

import pytest
import sheets
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotator import importing, jobs, labels
from annotator.importing import ImportFailed, Request, import_file, place_waiting_labels
from annotator.models import ImportRecord, Interval, Job, PendingInterval, Revision, Role, Subject, Video
from annotator.models.videos import IngestState
from tests.conftest import wait_for_job
from tests.factories import UserFactory, VideoFactory


def ready(dataset, name: str, subject: str, *, frames: int = 200, first: int = 1, folder: Path | None = None):
    """A video as ingest leaves it: frames counted, first image number known."""
    code, _ = Subject.objects.get_or_create(
        dataset=dataset, normalized=importing.normalise_subject(subject), defaults={"code": subject}
    )
    return VideoFactory(
        dataset=dataset,
        name=name,
        subject=code,
        frame_count=frames,
        first_frame_number=first,
        source_path=str(folder) if folder else "",
        ingest_state=IngestState.READY,
    )


def casme2_sheet(tmp_path: Path) -> Path:
    return sheets.casme2(
        tmp_path / "CASME2-coding.xlsx",
        [
            ["1", "EP02_01f", None, 46, 59, 86, None, "4+L10+xyz", "repression", "IV"],  # row 2
            ["01", "EP03_02", None, 100, "/", 130, None, "12", "Happiness", "I"],  # row 3
            ["2", "EP04_01", None, "abc", 10, 20, None, "4", "disgust", "IV"],  # row 4: text in onset
            ["2", "EP04_01", None, 30, 25, 20, None, "4", "disgust", "IV"],  # row 5: onset after offset
            ["2", "EP04_01", None, 30, 99, 40, None, "4", "fear", "IV"],  # row 6: apex outside
            ["2", "EP04_01", None, 30, 99, 40, None, "4", "fear", "IV"],  # row 7: duplicate
            ["2", "EP04_01", None, 50, 52, 60, None, "4", "grumpy", "IV"],  # row 8: unknown emotion
        ],
    )


def test_casme2_into_ingested_folders_frames_provenance_revisions(dataset, owner, tmp_path):
    folder = tmp_path / "sub01" / "EP02_01f"
    folder.mkdir(parents=True)
    a = ready(dataset, "EP02_01f", "sub01", frames=60, first=46, folder=folder)
    b = ready(dataset, "EP03_02", "sub01", frames=40, first=100, folder=folder)
    c = ready(dataset, "EP04_01", "sub02", frames=80, first=1, folder=folder)
    record = import_file(dataset, Request(casme2_sheet(tmp_path)), user=owner)
    report = record.report
    assert (
        report["format"],
        report["rows_read"],
        report["intervals_created"],
        report["waiting_for_video"],
    ) == (
        "casme2",
        7,
        4,
        0,
    )
    got = {
        (i.video.name, i.onset, i.apex, i.offset, i.emotion) for i in Interval.objects.select_related("video")
    }
    assert got == {
        ("EP02_01f", 0, 13, 40, "repression"),  # file numbers 46/59/86 - first image 46
        ("EP03_02", 0, None, 30, "happiness"),  # apex '/' -> unknown
        ("EP04_01", 29, None, 39, "fear"),  # apex 99 outside [30, 40] -> unknown
        ("EP04_01", 49, 51, 59, "grumpy"),  # not a CASME II emotion: kept as written, reported
    }
    first = Interval.objects.get(video=a)
    assert first.provenance["file"] == "CASME2-coding.xlsx" and first.provenance["sheet"] == "Sheet1"
    assert first.provenance["row"] == 2 and first.provenance["raw"]["Action Units"] == "4+L10+xyz"
    assert first.provenance["megc3"] == "negative" and first.annotator == owner
    assert first.au_tokens[-1] == {"unparsed": "xyz", "start": 6}
    revision = Revision.objects.get(interval_id=first.pk)  # written in bulk, as create_interval writes one
    assert (revision.action, revision.by, revision.video) == ("create", owner, a)
    assert revision.after == labels.snapshot(first) and first.provenance["import"] == record.pk
    assert report["refused"] == [
        {"row": 4, "reason": "column OnsetFrame: 'abc' is not a frame number"},
        {"row": 5, "reason": "onset 30 is after offset 20"},
        {"row": 7, "reason": "duplicate of row 6"},
    ]
    assert {"row": 3, "column": "ApexFrame", "value": "/", "mapped_to": "unknown"} in report["sentinels"]
    assert report["aus_flagged"] == [{"row": 2, "sheet": "Sheet1", "aus": "4+L10+xyz", "unparsed": ["xyz"]}]
    assert report["emotions_unknown"] == [{"row": 8, "sheet": "Sheet1", "value": "grumpy"}]
    assert report["megc3"] == {"negative": 1, "positive": 1, "dropped": 1}  # CASME II fear is dropped
    assert {b.pk, c.pk} <= set(Interval.objects.values_list("video_id", flat=True))


def test_dry_run_writes_only_its_record_and_predicts_the_real_run(dataset, owner, tmp_path):
    path = casme2_sheet(tmp_path)
    preview = import_file(dataset, Request(path), dry_run=True, user=owner)
    assert preview.dry_run and Video.objects.count() == 0 and Subject.objects.count() == 0
    assert PendingInterval.objects.count() == 0 and ImportRecord.objects.count() == 1
    real = import_file(dataset, Request(path), user=owner)
    keys = ("rows_read", "intervals_created", "waiting_for_video", "refused", "sentinels", "unmatched_videos")
    assert {k: preview.report[k] for k in keys} == {k: real.report[k] for k in keys}
    assert real.report["waiting_for_video"] == 4 and PendingInterval.objects.count() == 4


def test_labels_wait_for_their_video_and_are_placed_at_ingest(dataset, owner, tmp_path):
    record = import_file(dataset, Request(casme2_sheet(tmp_path)), user=owner)
    assert record.report["videos_created"] == 3 and record.report["subjects_created"] == ["1", "2"]
    video = Video.objects.get(name="EP02_01f")
    assert (video.ingest_state, video.frame_count, video.subject.normalized) == (IngestState.NEW, None, "1")
    waiting = PendingInterval.objects.get(video=video)
    assert (waiting.onset, waiting.apex, waiting.offset, waiting.frame_convention) == (
        46,
        59,
        86,
        "file_number",
    )
    assert place_waiting_labels(video.pk) == []  # not ready: nothing happens
    folder = tmp_path / "EP02_01f"
    folder.mkdir()
    Video.objects.filter(pk=video.pk).update(
        ingest_state=IngestState.READY, frame_count=50, first_frame_number=40, source_path=str(folder)
    )
    messages = place_waiting_labels(video.pk)
    assert messages == ["1 imported label(s) placed on the frames (0 were already there)"]
    placed = Interval.objects.get(video=video)
    assert (placed.onset, placed.apex, placed.offset, placed.annotator) == (6, 19, 46, owner)
    assert placed.provenance["row"] == 2 and not PendingInterval.objects.filter(video=video).exists()
    # A label that does not fit the frames stays waiting, with its reason.
    other = Video.objects.get(name="EP03_02")
    Video.objects.filter(pk=other.pk).update(
        ingest_state=IngestState.READY, frame_count=10, first_frame_number=100
    )
    assert "do not fit the frames" in place_waiting_labels(other.pk)[0]
    assert "beyond the last frame" in PendingInterval.objects.get(video=other).error


def test_ingest_job_places_waiting_labels(dataset, owner, tmp_path, monkeypatch):
    """The ingest handler's one-line hook, with the media pipeline replaced by its result."""
    from types import SimpleNamespace

    from annotator.handlers import ingest as handler

    import_file(dataset, Request(casme2_sheet(tmp_path)), user=owner)
    folder = tmp_path / "frames"
    folder.mkdir()
    video = Video.objects.get(name="EP02_01f")
    Video.objects.filter(pk=video.pk).update(source_path=str(folder))
    result = SimpleNamespace(
        fps=200.0, frame_count=60, width=64, height=64, grayscale=False, first_frame_number=46, messages=[],
        gaps=0, vfr=False, face_found_ratio=1.0, timings={},
    )  # fmt: skip
    monkeypatch.setattr(handler, "ingest", lambda *args, **kwargs: result)
    monkeypatch.setattr(handler, "window_signals", lambda *args: None)  # no crops behind the fake result
    job = jobs.start_job("ingest", dataset=dataset, video=video, user=owner)
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert "1 imported label(s) placed" in job.result["messages"][0]
    assert list(video.intervals.values_list("onset", "offset")) == [(0, 40)]


def test_reimport_creates_nothing_twice(dataset, owner, tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    ready(dataset, "EP02_01f", "1", frames=60, first=46, folder=folder)
    path = casme2_sheet(tmp_path)
    first = import_file(dataset, Request(path), user=owner).report
    second = import_file(dataset, Request(path), user=owner).report
    assert (first["intervals_created"], first["waiting_for_video"]) == (1, 3)
    assert (second["intervals_created"], second["waiting_for_video"], second["already_imported"]) == (0, 0, 4)
    assert Interval.objects.count() == 1 and PendingInterval.objects.count() == 3
    # The same labels from another file (a csv copy) are found by video, kind and frames.
    csv = sheets.csv_file(tmp_path / "copy.csv", [["EP02_01f", "ME", 0, 13, 40, "4", "repression", "1", ""]])
    third = import_file(dataset, Request(csv), user=owner).report
    assert (third["intervals_created"], third["already_imported"]) == (0, 1)


def test_one_transaction_nothing_half_written(dataset, owner, tmp_path, monkeypatch):
    folder = tmp_path / "f"
    folder.mkdir()
    for name, subject in (("EP02_01f", "1"), ("EP03_02", "1"), ("EP04_01", "2")):
        ready(dataset, name, subject, frames=200, first=1, folder=folder)
    written = []

    def failing(intervals):
        create(intervals)  # the intervals and their revisions are in, then the disk fills
        written.append((Interval.objects.count(), Revision.objects.count()))
        raise RuntimeError("disk full")

    create = importing.create_intervals
    monkeypatch.setattr(importing, "create_intervals", failing)
    with pytest.raises(RuntimeError):
        import_file(dataset, Request(casme2_sheet(tmp_path)), user=owner)
    assert written == [(4, 4)]
    assert (
        Interval.objects.count() == 0 and Revision.objects.count() == 0 and ImportRecord.objects.count() == 0
    )


def test_an_import_that_lands_while_planning_makes_the_plan_start_again(
    dataset, owner, tmp_path, monkeypatch
):
    """Two imports of one sheet at once: the second plans before the first writes, then writes after it."""
    for name, subject in (("EP02_01f", "1"), ("EP03_02", "1"), ("EP04_01", "2")):
        ready(dataset, name, subject, frames=200, first=1)
    path = casme2_sheet(tmp_path)
    plans = []

    def plan_then_other_import(*args, **kwargs):
        plan = plan_rows(*args, **kwargs)
        plans.append(len(plan.items))
        if len(plans) == 1:
            with monkeypatch.context() as inner:
                inner.setattr(importing, "_plan", plan_rows)
                import_file(dataset, Request(path), user=owner)  # commits while the first has planned
        return plan

    plan_rows = importing._plan
    monkeypatch.setattr(importing, "_plan", plan_then_other_import)
    second = import_file(dataset, Request(path), user=owner).report
    assert plans == [4, 0]  # planned again inside the transaction: all four are there by then
    assert (second["intervals_created"], second["already_imported"]) == (0, 4)
    assert Interval.objects.count() == Revision.objects.count() == 4


def test_a_video_ingested_while_planning_gets_intervals_not_waiting_labels(
    dataset, owner, tmp_path, monkeypatch
):
    video = ready(dataset, "EP02_01f", "1")
    Video.objects.filter(pk=video.pk).update(ingest_state=IngestState.NEW)  # being ingested
    rows = [["1", "EP02_01f", None, 46, 59, 86, None, "4", "repression", "IV"]]
    path = sheets.casme2(tmp_path / "one.xlsx", rows)
    plan_rows = importing._plan

    def plan_then_ingest(*args, **kwargs):
        plan = plan_rows(*args, **kwargs)
        Video.objects.filter(pk=video.pk).update(ingest_state=IngestState.READY)
        return plan

    monkeypatch.setattr(importing, "_plan", plan_then_ingest)
    report = import_file(dataset, Request(path), user=owner).report
    assert (report["intervals_created"], report["waiting_for_video"]) == (1, 0)
    assert video.intervals.get().onset == 45 and not PendingInterval.objects.exists()


def test_subjects_and_videos_matched_across_spellings(dataset, owner, tmp_path):
    samm_video = ready(dataset, "006_1_2", "6", frames=400, first=5000)
    rows = [["006", "006_1_2", 1, 5100, 5104, 5120, 21, "Micro - 1/2", "4+7", "Anger", "IV", ""]]
    report = import_file(dataset, Request(sheets.samm(tmp_path / "samm.xlsx", rows)), user=owner).report
    assert report["intervals_created"] == 1 and report["subjects_created"] == []
    assert report["warnings"] == [
        "1 video(s) have no image file numbers (not ingested from an image folder): "
        "file numbers taken to count from each one's first frame number ('006_1_2' from 5000)"
    ]
    assert list(samm_video.intervals.values_list("onset", "apex", "offset", "emotion")) == [
        (100, 104, 120, "anger")
    ]
    # CAS(ME)^2: participant 1 -> folder s15 -> video 15_0401, whose media folder is 15_0401girlcrashing.
    casme = ready(dataset, "15_0401girlcrashing", "s15", frames=3000)
    path = sheets.casme_sq(
        tmp_path / "CAS(ME)^2code_final.xlsx",
        [[1, "anger1_1", 557, 572, 608, "4+7", "negative", "macro-expression", "anger"]],
        [[15, "s15", 1]],
        [["0401", "anger1"]],
    )
    report = import_file(dataset, Request(path), user=owner).report
    assert report["intervals_created"] == 1 and report["unmatched_videos"] == []
    assert list(casme.intervals.values_list("kind", "onset", "apex", "offset")) == [("MaE", 556, 571, 607)]
    # A clip of this name belonging to another subject is refused, not silently merged.
    rows = [["007", "006_1_2", 1, 5100, 5104, 5120, 21, "Micro - 1/2", "4", "Anger", "IV", ""]]
    report = import_file(dataset, Request(sheets.samm(tmp_path / "samm7.xlsx", rows)), user=owner).report
    assert report["refused"][0]["reason"].startswith("video '006_1_2' belongs to subject '6'")


def test_placeholder_hands_its_labels_to_the_ingested_video(dataset, owner, tmp_path):
    path = sheets.casme_sq(
        tmp_path / "CAS(ME)^2code_final.xlsx",
        [[1, "anger1_1", 557, 572, 608, "4+7", "negative", "micro-expression", "anger"]],
        [[15, "s15", 1]],
        [["0401", "anger1"]],
    )
    import_file(dataset, Request(path), user=owner)
    placeholder = Video.objects.get(name="15_0401")
    assert placeholder.ingest_state == IngestState.NEW
    real = ready(dataset, "15_0401girlcrashing", "15", frames=3000)
    assert place_waiting_labels(real.pk)[0].startswith("1 imported label(s) placed")
    assert not Video.objects.filter(pk=placeholder.pk).exists()
    assert list(real.intervals.values_list("onset", "offset")) == [(556, 607)]


def test_smic_e_first_frame_and_vocabulary(dataset, owner, tmp_path):
    clip = ready(dataset, "s1_ne_01", "s1", frames=300)  # ingested from a video file: FirstF anchors
    rows = [
        ["s1", "s1_ne_01", 100, 120, 21, 130, 140, 11, None, None, None, "negative", 50, 300, 251],
        ["s1", None, 100, 120, 21, None, None, None, None, None, None, "negative", 50, 300, 251],
    ]
    record = import_file(
        dataset, Request(sheets.smic_e(tmp_path / "SMIC-HS-E_annotation.xlsx", rows)), user=owner
    )
    assert record.report["format"] == "smic-e" and record.report["chosen"][0].startswith("detected smic-e")
    assert list(clip.intervals.values_list("onset", "offset", "emotion")) == [
        (50, 70, "negative"),
        (80, 90, "negative"),
    ]
    assert record.report["emotions_added"] == ["negative"]
    assert record.report["refused"] == [
        {"row": 3, "sheet": "Sheet1", "reason": "the row names no video (Filename is empty)"}
    ]
    dataset.refresh_from_db()
    assert "negative" in dataset.emotions
    assert [i.provenance["part"] for i in clip.intervals.all()] == [1, 2]


def test_csv_and_elan(dataset, owner, tmp_path):
    video = ready(dataset, "clip", "1", frames=100)
    csv = sheets.csv_file(tmp_path / "labels.csv", [["clip", "MaE", 0, 3, 9, "12", "happiness", "1", "n"]])
    assert import_file(dataset, Request(csv), user=owner).report["intervals_created"] == 1
    eaf = sheets.eaf(tmp_path / "clip.eaf", {"ME": [(1000, 1100, "")]}, media="file:///x/clip.mp4")
    report = import_file(dataset, Request(eaf, fps=30), user=owner).report
    assert report["format"] == "eaf" and report["intervals_created"] == 1
    assert list(video.intervals.values_list("kind", "onset", "offset")) == [("MaE", 0, 9), ("ME", 30, 32)]
    defaulted = import_file(dataset, Request(eaf), user=owner, dry_run=True).report
    assert "default 30 fps" in defaulted["chosen"][1]


def test_frames_outside_an_ingested_video_and_unknown_onset_are_refused(dataset, owner, tmp_path):
    ready(dataset, "006_1", "6", frames=100)
    rows = [
        ["006", "006_1", 1, 0, -1, 20, 21, "Macro", "4", ""],  # onset 0: under way at the start
        ["006", "006_1", 1, 90, -1, 120, 31, "Micro - 1/2", "4", ""],  # beyond the last frame
        ["006", "006_1", 1, 10, 12, 15, 6, "Micro - 1/2", "4", ""],
    ]
    report = import_file(dataset, Request(sheets.samm_lv(tmp_path / "lv.xlsx", rows)), user=owner).report
    assert report["intervals_created"] == 1
    reasons = {r["row"]: r["reason"] for r in report["refused"]}
    assert reasons[11] == "onset is unknown (written '0'); an interval needs an onset"
    assert reasons[12].startswith("Offset 119 is beyond the last frame of the video (99)")
    assert "written onset/apex/offset 90/?/120, position_1" in reasons[12]


def written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("build", "fmt", "message"),
    [
        (lambda p: sheets.samm(p / "s.xlsx", []), "casme2", r"header on row 14 lacks column\(s\) OnsetFrame"),
        (lambda p: sheets.workbook(p / "x.xlsx", {"S": [["a", "b"], [1, 2]]}), None, "no known format fits"),
        (lambda p: written(p / "empty.xlsx", b""), None, "empty.xlsx: empty file"),
        (lambda p: written(p / "bad.xlsx", b"PK\x03\x04junk"), "samm", "bad.xlsx: corrupt .xlsx workbook"),
        (lambda p: sheets.encrypted_xlsx(p / "locked.xlsx"), "samm", "password-protected"),
    ],
)
def test_bad_files_fail_whole_with_a_clear_message(dataset, owner, tmp_path, build, fmt, message):
    with pytest.raises(ImportFailed, match=message):
        import_file(dataset, Request(build(tmp_path), fmt), user=owner)
    assert ImportRecord.objects.count() == 0 and Video.objects.count() == 0


def test_detection_failure_lists_every_format_tried(dataset, tmp_path):
    path = sheets.workbook(tmp_path / "x.xlsx", {"S": [["a", "b"], [1, 2]]})
    with pytest.raises(ImportFailed) as caught:
        import_file(dataset, Request(path))
    assert all(f"  - {fmt}:" in str(caught.value) for fmt in ("casme2", "samm", "smic-e", "eaf", "csv"))


def test_header_on_an_unexpected_row_is_read_and_warned(dataset, owner, tmp_path):
    rows = [["006", "006_1_2", 1, 5100, 5104, 5120, 21, "Micro - 1/2", "4", "Anger", "IV", ""]]
    report = import_file(
        dataset, Request(sheets.samm(tmp_path / "s.xlsx", rows, banner_rows=3)), user=owner
    ).report
    assert report["waiting_for_video"] == 1
    assert report["warnings"] == ["sheet 'MICRO_ONLY': header found on row 4, expected on row 14"]


def test_cli_prints_the_report_and_fails_clearly(dataset, owner, tmp_path, capsys):
    path = casme2_sheet(tmp_path)
    call_command("import_annotations", str(path), "--dataset", dataset.name, "--dry-run")
    out = capsys.readouterr().out
    assert (
        "would create 0 interval(s); 4 waiting for their video" in out and "dry run: nothing written" in out
    )
    call_command(
        "import_annotations", str(path), "--dataset", dataset.name, "--format", "casme2", "--user", "owner"
    )
    assert PendingInterval.objects.filter(annotator=owner).count() == 4
    with pytest.raises(
        CommandError, match="Nothing imported: CASME2-coding.xlsx: no sheet named 'MICRO_ONLY'"
    ):
        call_command("import_annotations", str(path), "--dataset", dataset.name, "--format", "samm")
    with pytest.raises(CommandError, match="No dataset called"):
        call_command("import_annotations", str(path), "--dataset", "nope")


def _upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def test_page_upload_preview_confirm(client, dataset, member, tmp_path):
    user = member(Role.ANNOTATOR, "ann")
    client.force_login(user)
    page = client.get(reverse("dataset_detail", args=[dataset.pk])).content.decode()
    assert reverse("dataset_imports", args=[dataset.pk]) in page
    start = reverse("dataset_import_start", args=[dataset.pk])
    response = client.post(
        start, {"file": _upload(casme2_sheet(tmp_path)), "format": ""}, HTTP_HX_REQUEST="true"
    )
    job = Job.objects.get(kind="import")
    assert response.status_code == 204 and response["HX-Redirect"] == reverse(
        "import_job", args=[dataset.pk, job.pk]
    )
    assert job.params["dry_run"] and job.params["file_name"] == "CASME2-coding.xlsx"
    jobs.execute(job.pk)
    preview = client.get(reverse("import_job", args=[dataset.pk, job.pk])).content.decode()
    assert (
        "Preview of the import of CASME2-coding.xlsx" in preview and "onset 30 is after offset 20" in preview
    )
    assert "Confirm: import 0 interval(s) and 4 waiting label(s)" in preview
    assert PendingInterval.objects.count() == 0
    record = ImportRecord.objects.get(job=job)
    response = client.post(reverse("import_confirm", args=[dataset.pk, record.pk]))
    real = Job.objects.filter(kind="import").exclude(pk=job.pk).get()
    assert response.status_code == 302 and not real.params["dry_run"]
    jobs.execute(real.pk)
    assert PendingInterval.objects.filter(annotator=user).count() == 4
    waiting = Video.objects.get(name="EP04_01")
    video_page = client.get(reverse("video_detail", args=[waiting.pk])).content.decode()
    assert (
        "Imported labels waiting for frames (2)" in video_page and "CASME2-coding.xlsx, row 6" in video_page
    )
    done = client.get(reverse("import_job", args=[dataset.pk, real.pk])).content.decode()
    assert "Imported CASME2-coding.xlsx" in done
    panel = client.get(reverse("dataset_imports", args=[dataset.pk])).content.decode()
    assert "preview" in panel and "imported" in panel
    shown = client.get(reverse("import_job", args=[dataset.pk, job.pk])).content.decode()
    assert f'Confirmed: import job <a href="{reverse("import_job", args=[dataset.pk, real.pk])}"' in shown


def test_page_failure_roles_and_other_datasets(client, dataset, member, tmp_path):
    viewer = member(Role.VIEWER, "viewer")
    client.force_login(viewer)
    start = reverse("dataset_import_start", args=[dataset.pk])
    assert client.post(start, {"file": _upload(casme2_sheet(tmp_path))}).status_code == 403
    client.force_login(UserFactory())
    assert client.get(reverse("dataset_imports", args=[dataset.pk])).status_code == 404
    annotator = member(Role.ANNOTATOR, "ann")
    client.force_login(annotator)
    bad = tmp_path / "notes.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    client.post(start, {"file": _upload(bad)})
    job = Job.objects.get(kind="import")
    jobs.execute(job.pk)
    page = client.get(reverse("import_job", args=[dataset.pk, job.pk])).content.decode()
    assert "Nothing imported: notes.xlsx: corrupt .xlsx workbook" in page and "Nothing was written" in page
    empty = client.post(start, {"file": SimpleUploadedFile("e.xlsx", b"")}).content.decode()
    assert "The submitted file is empty" in empty


def test_api_upload_dry_run_confirm_and_list(api, dataset, member, tmp_path, settings):
    user = member(Role.ANNOTATOR, "ann")
    client = api(user)
    with casme2_sheet(tmp_path).open("rb") as fh:
        response = client.post(
            "/api/imports/", {"dataset": dataset.pk, "file": fh, "dry_run": "true"}, format="multipart"
        )
    assert response.status_code == 202, response.content
    jobs.execute(response.json()["id"])
    records = client.get(f"/api/imports/?dataset={dataset.pk}").json()
    rows = records["results"] if isinstance(records, dict) else records
    assert len(rows) == 1 and rows[0]["dry_run"] and rows[0]["report"]["waiting_for_video"] == 4
    confirm = client.post(f"/api/imports/{rows[0]['id']}/confirm/")
    assert confirm.status_code == 202
    jobs.execute(confirm.json()["id"])
    assert PendingInterval.objects.count() == 4
    assert client.post(f"/api/imports/{rows[0]['id'] + 1}/confirm/").status_code == 400  # not a dry run
    settings.IMPORT_ROOTS = [tmp_path / "roots"]
    outside = client.post("/api/imports/", {"dataset": dataset.pk, "path": str(tmp_path)}, format="json")
    assert outside.status_code == 403
    both = client.post("/api/imports/", {"dataset": dataset.pk}, format="json")
    assert both.status_code == 400 and "either an uploaded file or a server path" in both.content.decode()
    viewer = api(member(Role.VIEWER, "v"))
    assert (
        viewer.post("/api/imports/", {"dataset": dataset.pk, "path": "x"}, format="json").status_code == 403
    )
    assert api(UserFactory()).get(f"/api/imports/{rows[0]['id']}/").status_code == 404


def test_import_job_on_a_real_worker(celery_worker, dataset, tmp_path):
    owner = UserFactory(username="owner")
    dataset.memberships.create(user=owner, role=Role.OWNER)
    path = importing.save_upload(_upload(casme2_sheet(tmp_path)))
    job = jobs.start_job("import", dataset=dataset, params=Request(path).params(), user=owner)
    job = wait_for_job(job)
    assert job.state == Job.State.SUCCEEDED and job.queue == "io", job.error
    assert job.result["waiting_for_video"] == 4 and PendingInterval.objects.count() == 4


@pytest.mark.parametrize(
    ("fmt", "build", "expected"),
    [
        (
            "casme3-a",
            lambda p: sheets.casme3_a(
                p / "a.xlsx",
                [["spNO.1", "a", 10, 20, 30, "4+7", "Micro-expression", "I"]],
                [["spNO.1", "a", 3, 9]],
            ),
            {("a", "ME", 10, 20, 30, "file_number"), ("a", "blink", 3, None, 9, "file_number")},
        ),
        (
            "casme3-c",
            lambda p: sheets.casme3_c(p / "c.xlsx", [[1, 1, 1200, 1260, "1,2，4", "negative"]]),
            {("1", "ME", 1200, None, 1260, "position_1")},
        ),
        (
            "mmew",
            lambda p: sheets.mmew(p / "m.xlsx", [["S01", "S01-01-001", 1, 12, 30, "4", "disgust", ""]]),
            {("S01-01-001", "ME", 1, 12, 30, "relative_1")},
        ),
        (
            "smic",
            lambda p: sheets.smic_tree(p / "SMIC", {"HS/s1/micro/negative/s1_ne_01": range(1698, 1712)}),
            {("s1_ne_01", "ME", 1698, None, 1711, "file_number")},
        ),
    ],
)
def test_other_layouts_wait_as_written(dataset, owner, tmp_path, fmt, build, expected):
    report = import_file(dataset, Request(build(tmp_path)), user=owner).report
    assert report["format"] == fmt and report["refused"] == []
    waiting = PendingInterval.objects.values_list(
        "video__name", "kind", "onset", "apex", "offset", "frame_convention"
    )
    assert set(waiting) == expected


def test_a_retried_import_job_returns_its_record_and_writes_nothing_twice(dataset, owner, tmp_path):
    path = importing.save_upload(_upload(casme2_sheet(tmp_path)))
    job = jobs.start_job("import", dataset=dataset, params=Request(path).params(), user=owner)
    jobs.execute(job.pk)
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED)  # as if the worker died after the commit
    job.refresh_from_db()
    jobs.execute(jobs.retry_job(job).pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result["record"] == ImportRecord.objects.get().pk
    assert PendingInterval.objects.count() == 4


@pytest.fixture
def sqlite_writer(transactional_db):
    """A second SQLite connection, to hold the write lock as an import's write transaction does."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the whole-database write lock is SQLite's")
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None, check_same_thread=False)
    yield holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()


def _interval_post(client, video):
    body = {"video": video.pk, "kind": "ME", "onset": 10, "apex": 14, "offset": 20}
    return client.post(reverse("interval-list"), body, format="json")


def test_a_web_write_that_stays_locked_out_answers_503_and_saves_nothing(sqlite_writer, dataset, api, member):
    from django.db import connection

    client, video = api(member(Role.ANNOTATOR, "coder")), VideoFactory(dataset=dataset)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 100")  # settings wait 20 s; the answer after it is tested here
    sqlite_writer.execute("BEGIN IMMEDIATE")
    response = _interval_post(client, video)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "busy" in response.json()["detail"] and "nothing was saved" in response.json()["detail"]
    sqlite_writer.execute("ROLLBACK")
    assert not Interval.objects.exists()
    assert _interval_post(client, video).status_code == 201


def test_a_web_write_waits_for_a_lock_that_is_released(sqlite_writer, dataset, api, member, settings):
    assert settings.DATABASES["default"]["OPTIONS"]["timeout"] >= 20
    client, video = api(member(Role.ANNOTATOR, "coder")), VideoFactory(dataset=dataset)
    sqlite_writer.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, sqlite_writer.execute, ["ROLLBACK"])
    release.start()  # the import's transaction ends while the save waits (busy timeout 20 s)
    response = _interval_post(client, video)
    release.join()
    assert response.status_code == 201 and Interval.objects.count() == 1
