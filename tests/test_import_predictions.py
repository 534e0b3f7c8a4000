"""External spotting files -> PredictionRun: each format with exact predictions, bad input, CLI, page, API."""

import pytest
from django.core.management import CommandError, call_command

from annotator.models import Prediction, PredictionRun, Role
from annotator.predictions_import import PredictionImportError, import_predictions
from tests.factories import VideoFactory


@pytest.fixture
def videos(dataset):
    """A CAS(ME)^2-like long video (MEGC id 15_0401) and a SAMM-LV-like one, both numbered from 1."""
    return (
        VideoFactory(dataset=dataset, name="15_0401girlcrashing", frame_count=500, first_frame_number=1),
        VideoFactory(dataset=dataset, name="006_1", frame_count=1000, first_frame_number=1),
    )


def rows(run: PredictionRun) -> list[tuple]:
    return list(
        Prediction.objects.filter(run=run)
        .order_by("video__name", "onset")
        .values_list("video__name", "kind", "onset", "apex", "offset", "score", "emotion")
    )


def test_megc2022(dataset, videos):
    text = "vid,pred_onset,pred_offset,type\n15_0401,11,21,me\n006_1,100,180,mae\n006_1,1,1,me\n"
    run = import_predictions(dataset, text, "megc2022", "m22")
    assert run.model == "external"
    assert rows(run) == [
        ("006_1", "ME", 0, None, 0, 1.0, ""),
        ("006_1", "MaE", 99, None, 179, 1.0, ""),
        ("15_0401girlcrashing", "ME", 10, None, 20, 1.0, ""),
    ]
    assert "first_frame_number" in run.report["frame_conversion"]
    assert run.report["per_video_conversion"] == {
        "006_1": "index = number - 1",
        "15_0401girlcrashing": "index = number - 1",
    }


def test_megc2023_uses_first_frame_number(dataset):
    VideoFactory(dataset=dataset, name="v", frame_count=100, first_frame_number=46)
    run = import_predictions(dataset, "vid,onset,offset,type\nv,50,60,ME\n", "megc2023", "m23")
    assert rows(run) == [("v", "ME", 4, None, 14, 1.0, "")]


def test_megc_log_reads_prediction_side(dataset, videos):
    text = "2\n15_0401 11 21 11 20 TP\n15_0401 30 40 - - FN\n15_0401 - - 301 330 FP\n"
    run = import_predictions(dataset, text, "megc-log", "log")
    assert rows(run) == [
        ("15_0401girlcrashing", "ME", 10, None, 19, 1.0, ""),
        ("15_0401girlcrashing", "ME", 300, None, 329, 1.0, ""),
    ]
    assert run.report["notes"] == ["megc-log rows carry no type: every prediction is stored as an ME"]


def test_str_keeps_emotion(dataset, videos):
    text = "subject,video,onset,offset,emotion\n15,15_0401,5,9,happiness\n6,006_1,20,25,surprise\n"
    run = import_predictions(dataset, text, "str", "str")
    assert rows(run) == [
        ("006_1", "ME", 19, None, 24, 1.0, "surprise"),
        ("15_0401girlcrashing", "ME", 4, None, 8, 1.0, "happiness"),
    ]


def test_csv_is_zero_based_with_optional_columns(dataset, videos):
    text = "video,kind,onset,apex,offset,score,emotion\n006_1,MaE,0,3,9,0.75,disgust\n15_0401girlcrashing,ME,7,,9,,\n"
    run = import_predictions(dataset, text, "csv", "own")
    assert rows(run) == [
        ("006_1", "MaE", 0, 3, 9, 0.75, "disgust"),
        ("15_0401girlcrashing", "ME", 7, None, 9, 1.0, ""),
    ]
    assert "0-based" in run.report["frame_conversion"]


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("csv", "video,onset,offset,confidence\n006_1,1,2,0.5\n", "unknown column(s) 'confidence'"),
        ("megc2022", "vid,pred_onset,type\n006_1,1,me\n", "missing column(s) pred_offset"),
        (
            "megc2022",
            "vid,pred_onset,pred_offset,type\n006_1,10,2000,me\n",
            "line 2 (006_1 10..2000): frames outside",
        ),
        ("megc2022", "vid,pred_onset,pred_offset,type\n006_1,0,5,me\n", "frames outside the video"),
        (
            "megc2022",
            "vid,pred_onset,pred_offset,type\n006_1,30,20,me\n",
            "line 2 (006_1 30..20): offset before onset",
        ),
        (
            "megc2022",
            "vid,pred_onset,pred_offset,type\n006_1,3,5,me\n006_1,3,5,me\n",
            "line 3 (006_1 3..5): duplicate of line 2",
        ),
        (
            "megc2022",
            "vid,pred_onset,pred_offset,type\n006_1,3,5,me\nnope,1,2,me\n",
            "unknown video id 'nope' (line(s) 3)",
        ),
        ("megc2022", "vid,pred_onset,pred_offset,type\ns1,3,5,me\ns2,1,2,me\n", "a file for another dataset"),
        (
            "megc2022",
            "vid,pred_onset,pred_offset,type\n006_1,a,5,xx\n",
            "onset 'a' is not a whole frame number",
        ),
        ("megc-log", "006_1 1 2 1 2 TP\n", "starts with its dataset line"),
        ("megc2023", "vid,onset,offset,type\n", "holds no predictions"),
    ],
)
def test_bad_files_import_nothing(dataset, videos, fmt, text, expected):
    with pytest.raises(PredictionImportError) as info:
        import_predictions(dataset, text, fmt, "bad")
    assert any(expected in p for p in info.value.problems), info.value.problems
    assert not PredictionRun.objects.exists() and not Prediction.objects.exists()


def test_every_problem_is_listed(dataset, videos):
    text = "vid,pred_onset,pred_offset,type\n006_1,30,20,me\nzzz,1,2,me\n006_1,1,2,blob\n006_1,5,6,me\n"
    with pytest.raises(PredictionImportError) as info:
        import_predictions(dataset, text, "megc2022", "bad")
    assert len(info.value.problems) == 3  # line 2, line 3, line 4; line 5 alone is fine
    assert not Prediction.objects.exists()


def test_run_name_must_be_new(dataset, videos):
    import_predictions(dataset, "video,onset,offset\n006_1,1,2\n", "csv", "same")
    with pytest.raises(PredictionImportError, match="already has a run"):
        import_predictions(dataset, "video,onset,offset\n006_1,3,4\n", "csv", "same")


def test_command(dataset, videos, tmp_path, capsys):
    path = tmp_path / "preds.csv"
    path.write_text("vid,pred_onset,pred_offset,type\n15_0401,11,21,me\n")
    call_command("import_predictions", str(path), "--format", "megc2022", "--dataset", dataset.name)
    run = PredictionRun.objects.get()
    assert run.name == "preds.csv" and rows(run) == [("15_0401girlcrashing", "ME", 10, None, 20, 1.0, "")]
    assert "1 prediction(s) imported" in capsys.readouterr().out
    path.write_text("vid,pred_onset,pred_offset,type\nnope,11,21,me\n")
    with pytest.raises(CommandError, match="unknown video id 'nope'"):
        call_command(
            "import_predictions", str(path), "--format", "megc2022", "--dataset", dataset.name, "--name", "x"
        )
    assert PredictionRun.objects.count() == 1


def test_page_upload_runs_job(client, member, dataset, videos, celery_worker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from annotator.models import Job
    from tests.conftest import wait_for_job

    user = member(Role.ANNOTATOR)
    client.force_login(user)
    upload = SimpleUploadedFile("p.csv", b"vid,onset,offset,type\n006_1,10,20,mae\n")
    response = client.post(
        f"/datasets/{dataset.pk}/quality/predictions/",
        {"file": upload, "format": "megc2023", "name": "page run"},
    )
    assert response.status_code == 302, response.content
    job = wait_for_job(Job.objects.get(kind="import_predictions"))
    assert job.state == "succeeded", job.error
    assert rows(PredictionRun.objects.get(name="page run")) == [("006_1", "MaE", 9, None, 19, 1.0, "")]
    bad = SimpleUploadedFile("q.csv", b"vid,onset,offset,type\nnope,10,20,mae\n")
    client.post(
        f"/datasets/{dataset.pk}/quality/predictions/", {"file": bad, "format": "megc2023", "name": "b"}
    )
    failed = wait_for_job(Job.objects.filter(kind="import_predictions").latest("pk"))
    assert failed.state == "failed" and "unknown video id 'nope'" in failed.error
    assert not PredictionRun.objects.filter(name="b").exists()


def test_run_covers_every_video_of_the_dataset(dataset, videos, member):
    """A video the file never names counts its labels as misses (the model found nothing there)."""
    from annotator import labels, quality

    coder = member(Role.ANNOTATOR)
    cas, samm = videos
    labels.create_interval(cas, {"kind": "ME", "onset": 10, "offset": 20}, coder)
    labels.create_interval(samm, {"kind": "ME", "onset": 40, "offset": 50}, coder)
    run = import_predictions(dataset, "vid,onset,offset,type\n15_0401,11,21,me\n", "megc2023", "one video")
    counts = quality.evaluate_run(run).to_dict()["spotting"]["counts"]["ME"]
    assert (counts["tp"], counts["fp"], counts["fn"]) == (1, 0, 1)
    assert run.metrics["pooled"]["ME"] == counts  # stored at import for the dataset's run list
