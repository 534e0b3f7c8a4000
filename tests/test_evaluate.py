"""MEGC evaluation of prediction runs: CLI (text and JSON), run page, API; the run's threshold
decides what counts; access."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotator.models import Role
from tests.factories import IntervalFactory, PredictionFactory, PredictionRunFactory, VideoFactory


@pytest.fixture
def run(dataset):
    """Two videos. a: ME 10-20 and MaE 50-80 found, plus a weak ME (0.2) at 100-105 that matches
    nothing; b: ME 5-12 missed, one false MaE 200-240."""
    run = PredictionRunFactory(dataset=dataset, name="r", threshold=0.5)
    a, b = VideoFactory(dataset=dataset, name="a"), VideoFactory(dataset=dataset, name="b")
    IntervalFactory(video=a, kind="ME", onset=10, apex=15, offset=20)
    IntervalFactory(video=a, kind="MaE", onset=50, apex=60, offset=80)
    IntervalFactory(video=b, kind="ME", onset=5, apex=8, offset=12)
    IntervalFactory(video=b, kind="blink", onset=30, apex=31, offset=33)  # not an expression: not scored
    PredictionFactory(run=run, video=a, kind="ME", onset=11, apex=15, offset=21, score=0.9)
    PredictionFactory(run=run, video=a, kind="MaE", onset=52, apex=60, offset=78, score=0.7)
    PredictionFactory(run=run, video=a, kind="ME", onset=100, apex=102, offset=105, score=0.2)
    PredictionFactory(run=run, video=b, kind="MaE", onset=200, apex=210, offset=240, score=0.6)
    return run


def test_cli_json_counts_per_video_and_pooled(run, dataset, capsys):
    call_command("evaluate", "--dataset", dataset.name, "--run", str(run.pk), "--json")
    out = json.loads(capsys.readouterr().out)
    pooled = out["pooled"]
    assert {k: pooled["ME"][k] for k in ("tp", "fp", "fn")} == {"tp": 1, "fp": 0, "fn": 1}
    assert {k: pooled["MaE"][k] for k in ("tp", "fp", "fn")} == {"tp": 1, "fp": 1, "fn": 0}
    assert pooled["overall"]["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert out["videos"]["a"]["overall"]["f1"] == 1.0
    assert out["videos"]["b"]["overall"] == {
        "tp": 0,
        "fp": 1,
        "fn": 1,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    run.refresh_from_db()
    assert run.metrics["pooled"] == pooled  # stored for the dataset page


def test_clips_sharing_a_name_across_subjects_are_scored_apart(dataset, capsys):
    """CASME II reuses clip names across subjects: each clip is its own row, keyed subject/name."""
    run = PredictionRunFactory(dataset=dataset, threshold=0.5)
    first = VideoFactory(dataset=dataset, name="EP01_01", subject__code="01")
    second = VideoFactory(dataset=dataset, name="EP01_01", subject__code="02")
    IntervalFactory(video=first, kind="ME", onset=10, apex=15, offset=20)
    IntervalFactory(video=second, kind="ME", onset=50, apex=55, offset=60)
    for video in (first, second):
        PredictionFactory(run=run, video=video, kind="ME", onset=10, apex=15, offset=20, score=0.9)
    call_command("evaluate", "--dataset", dataset.name, "--run", str(run.pk), "--json")
    videos = json.loads(capsys.readouterr().out)["videos"]
    counts = {v: tuple(c["overall"][k] for k in ("tp", "fp", "fn")) for v, c in videos.items()}
    assert counts == {"01/EP01_01": (1, 0, 0), "02/EP01_01": (0, 1, 1)}


def test_lowering_the_threshold_counts_the_weak_prediction(run, dataset, capsys):
    run.threshold = 0.1
    run.save()
    call_command("evaluate", "--dataset", dataset.name, "--run", str(run.pk), "--json")
    assert json.loads(capsys.readouterr().out)["pooled"]["ME"]["fp"] == 1


def test_cli_text_table_and_bad_input(run, dataset, capsys):
    call_command("evaluate", "--dataset", dataset.name, "--run", str(run.pk))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"Run #{run.pk} r: threshold 0.500")
    pooled = next(line for line in lines if line.startswith("POOLED") and " overall " in line)
    assert pooled.split()[2:5] == ["2", "1", "1"] and pooled.split()[-1] == "0.667"
    with pytest.raises(CommandError, match="has no prediction run #999"):
        call_command("evaluate", "--dataset", dataset.name, "--run", "999")
    with pytest.raises(CommandError, match="No dataset called 'nope'"):
        call_command("evaluate", "--dataset", "nope", "--run", str(run.pk))


def test_run_page_shows_metrics_and_an_editor_sets_the_threshold(run, member, client):
    viewer = member(Role.VIEWER)
    client.force_login(viewer)
    page = client.get(reverse("run_detail", args=[run.pk])).content.decode()
    assert "MEGC metrics" in page and "0.667" in page and "3 of 4 predictions" in page
    assert client.post(reverse("run_detail", args=[run.pk]), {"threshold": "0.1"}).status_code == 403
    client.force_login(member(Role.ANNOTATOR))
    client.post(reverse("run_detail", args=[run.pk]), {"threshold": "0.1"})
    run.refresh_from_db()
    assert run.threshold == 0.1
    assert "4 of 4 predictions" in client.get(reverse("run_detail", args=[run.pk])).content.decode()


def test_api_metrics_and_threshold(run, member, api):
    viewer = api(member(Role.VIEWER))
    metrics = viewer.get(f"/api/runs/{run.pk}/metrics/").json()
    assert metrics["pooled"]["overall"]["tp"] == 2
    assert viewer.patch(f"/api/runs/{run.pk}/", {"threshold": 0.1}, format="json").status_code == 403
    editor = api(member(Role.ANNOTATOR))
    assert editor.patch(f"/api/runs/{run.pk}/", {"threshold": 2}, format="json").status_code == 400
    assert editor.patch(f"/api/runs/{run.pk}/", {"threshold": 0.1}, format="json").json()["threshold"] == 0.1
    assert editor.get(f"/api/runs/{run.pk}/metrics/").json()["pooled"]["ME"]["fp"] == 1


def test_other_datasets_runs_are_not_found(run, api, django_user_model):
    stranger = api(django_user_model.objects.create_user("stranger", password="x"))
    assert stranger.get(f"/api/runs/{run.pk}/metrics/").status_code == 404
    assert stranger.get(f"/api/runs/?dataset={run.dataset_id}").json() == []
