"""Quality figures over stored labels: runs against humans, two annotators, the comparison API,
`evaluate --against`, and the dashboard pages with their plots."""

import json

import pytest
from django.core.management import CommandError, call_command

from annotator import labels, quality
from annotator.models import PredictionRun, Role
from tests.factories import DatasetFactory, PredictionFactory, PredictionRunFactory, VideoFactory


def label(video, user, kind, onset, offset, apex=None, emotion=""):
    values = {"kind": kind, "onset": onset, "offset": offset, "apex": apex, "emotion": emotion}
    return labels.create_interval(video, values, user)


@pytest.fixture
def pair(dataset, member):
    """Two annotators on two videos, with known differences (see each line)."""
    a, b = member(Role.ANNOTATOR, "ann_a"), member(Role.ANNOTATOR, "ann_b")
    v1 = VideoFactory(dataset=dataset, name="v1", frame_count=400)
    v2 = VideoFactory(dataset=dataset, name="v2", frame_count=400)
    v3 = VideoFactory(dataset=dataset, name="only_a", frame_count=400)  # labelled by A alone: not compared
    label(v1, a, "ME", 10, 20, 15, "happiness")
    label(v1, b, "ME", 12, 22, 16, "happiness")  # onset +2, apex +1, offset +2, IoU 9/13
    label(v1, a, "MaE", 100, 140, 120, "surprise")
    label(v1, b, "ME", 98, 141, None, "surprise")  # kind differs; onset -2, offset +1; no apex for B
    label(v2, a, "ME", 50, 60, 55, "disgust")
    label(v2, b, "ME", 50, 60, 55, "happiness")  # same frames, emotion differs
    label(v2, a, "ME", 200, 210)  # B has nothing here: only A
    label(v2, b, "MaE", 300, 340)  # A has nothing here: only B
    label(v3, a, "ME", 5, 9)
    return a, b


def test_agreement_on_hand_made_pair(dataset, pair):
    a, b = pair
    result = quality.agreement(dataset, a, b, 0.5)
    summary = quality.agreement_summary(result)
    assert summary["matched"] == 3
    assert (summary["only_a"], summary["only_b"]) == (1, 1)
    assert summary["onset"]["values"] == [2, -2, 0]
    assert summary["onset"]["mean"] == 0 and summary["onset"]["median"] == 0
    assert summary["offset"]["values"] == [2, 1, 0]
    assert summary["offset"]["mean"] == 1 and summary["offset"]["median"] == 1
    assert summary["apex"]["values"] == [1, 0]  # the pair where B gave no apex is left out
    # kind: A = [ME, MaE, ME], B = [ME, ME, ME]: po = 2/3, pe = 2/3*1 + 1/3*0 = 2/3 -> kappa 0
    assert summary["kappa_kind"] == pytest.approx(0.0)
    # emotion: A = [hap, sur, dis], B = [hap, sur, hap]: po = 2/3, pe = 1/3*2/3 + 1/3*1/3 + 0 = 1/3
    assert summary["kappa_emotion"] == pytest.approx((2 / 3 - 1 / 3) / (1 - 1 / 3))
    assert [(v, round(i, 4)) for v, _, _, i in result.pairs] == [
        ("v1", round(9 / 13, 4)),
        ("v1", round(41 / 44, 4)),
        ("v2", 1.0),
    ]


def test_agreement_threshold_changes_matches(dataset, pair):
    a, b = pair
    strict = quality.agreement_summary(quality.agreement(dataset, a, b, 0.9))
    assert strict["matched"] == 2  # 9/13 = 0.69 falls below 0.9; 41/44 = 0.93 and 1.0 stay
    assert (strict["only_a"], strict["only_b"]) == (2, 2)


def run_with(dataset, rows, threshold=0.0):
    run = PredictionRunFactory(dataset=dataset, model="external", threshold=threshold)
    for video, kind, onset, offset, score, emotion in rows:
        PredictionFactory(
            run=run,
            video=video,
            kind=kind,
            onset=onset,
            apex=None,
            offset=offset,
            score=score,
            emotion=emotion,
        )
    return run


def test_run_evaluation_counts_and_recognition(dataset, member):
    a = member(Role.ANNOTATOR, "coder")
    v1 = VideoFactory(dataset=dataset, name="v1")
    v2 = VideoFactory(dataset=dataset, name="v2")
    label(v1, a, "ME", 10, 20, emotion="happiness")
    label(v1, a, "MaE", 100, 150, emotion="surprise")
    label(v2, a, "ME", 30, 40, emotion="disgust")
    label(v2, a, "ME", 60, None)  # open interval: not scored
    run = run_with(
        dataset,
        [
            (v1, "ME", 11, 20, 0.9, "happiness"),  # TP ME, IoU 10/11
            (v1, "ME", 100, 150, 0.9, "surprise"),  # FP: an ME never meets a MaE truth
            (v2, "ME", 30, 40, 0.9, "happiness"),  # TP ME, emotion wrong
            (v2, "ME", 200, 210, 0.1, ""),  # below the run threshold: hidden
        ],
        threshold=0.5,
    )
    result = quality.evaluate_run(run).to_dict()
    counts = result["spotting"]["counts"]
    assert (counts["ME"]["tp"], counts["ME"]["fp"], counts["ME"]["fn"]) == (2, 1, 0)
    assert (counts["MaE"]["tp"], counts["MaE"]["fp"], counts["MaE"]["fn"]) == (0, 0, 1)
    assert counts["overall"]["f1"] == pytest.approx(4 / 6)
    assert result["unscored_truths"] == 1
    assert result["recognition"]["pairs"] == 2 and result["recognition"]["accuracy"] == 0.5
    assert result["spot_then_recognise"] == pytest.approx(4 / 6 * result["recognition"]["uf1"])
    by_threshold = {p["iou_threshold"]: p["f1"]["ME"] for p in result["spotting"]["f1_by_threshold"]}
    assert by_threshold[0.9] == pytest.approx(4 / 5) and by_threshold[0.5] == pytest.approx(4 / 5)
    subset = quality.evaluate_run(run, videos=["v2"]).to_dict()["spotting"]["counts"]["overall"]
    assert (subset["tp"], subset["fp"], subset["fn"]) == (1, 0, 0)
    with pytest.raises(ValueError, match="not in dataset"):
        quality.evaluate_run(run, videos=["nope"])


def test_against_one_annotator(dataset, pair):
    a, b = pair
    v1 = dataset.videos.get(name="v1")
    run = run_with(dataset, [(v1, "ME", 12, 22, 1.0, "")])
    only_b = quality.evaluate_run(run, annotator=b).to_dict()["spotting"]["counts"]["ME"]
    assert (only_b["tp"], only_b["fp"], only_b["fn"]) == (1, 0, 1)  # B's two MEs on v1
    both = quality.evaluate_run(run).to_dict()["spotting"]["counts"]["ME"]
    assert (both["tp"], both["fn"]) == (1, 2)  # A's ME + B's two MEs


def test_compare_endpoint_run_and_annotator(api, dataset, pair):
    a, b = pair
    v1 = dataset.videos.get(name="v1")
    run = run_with(dataset, [(v1, "ME", 12, 22, 1.0, ""), (v1, "ME", 300, 310, 1.0, "")])
    client = api(a)
    body = client.get(f"/api/review/{v1.pk}/compare/?run={run.pk}&base=ann_a").json()
    assert body["counts"] == {"match": 1, "miss": 1, "extra": 1}
    match = next(i for i in body["items"] if i["type"] == "match")
    assert match["human"]["onset"] == 10 and match["other"]["onset"] == 12
    assert match["iou"] == pytest.approx(9 / 13)
    body = client.get(f"/api/review/{v1.pk}/compare/?annotator=ann_b&base=ann_a&iou=0.7").json()
    assert body["counts"] == {"match": 1, "miss": 1, "extra": 1}  # 9/13 < 0.7 splits the first pair
    miss = next(i for i in body["items"] if i["type"] == "miss")
    assert miss["iou"] == pytest.approx(9 / 13)  # best IoU shown for a near miss
    assert client.get(f"/api/review/{v1.pk}/compare/").status_code == 400
    assert client.get(f"/api/review/{v1.pk}/compare/?annotator=nobody").status_code == 400
    other_run = PredictionRunFactory(dataset=DatasetFactory())
    assert client.get(f"/api/review/{v1.pk}/compare/?run={other_run.pk}").status_code == 404


def test_evaluate_command_against(dataset, pair, capsys):
    a, b = pair
    v1 = dataset.videos.get(name="v1")
    run = run_with(dataset, [(v1, "ME", 12, 22, 1.0, "")])
    call_command(
        "evaluate",
        "--dataset",
        dataset.name,
        "--run",
        str(run.pk),
        "--against",
        "annotator:ann_b",
        "--iou",
        "0.9",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert out["against"] == "annotator ann_b" and out["iou_threshold"] == 0.9
    assert (out["pooled"]["ME"]["tp"], out["pooled"]["ME"]["fn"]) == (1, 1)
    with pytest.raises(CommandError, match="annotators with labels: ann_a, ann_b"):
        call_command(
            "evaluate", "--dataset", dataset.name, "--run", str(run.pk), "--against", "annotator:zed"
        )
    with pytest.raises(CommandError, match="annotator:USERNAME"):
        call_command("evaluate", "--dataset", dataset.name, "--run", str(run.pk), "--against", "ann_b")


def test_dashboard_pages_render_plots(client, dataset, pair):
    a, b = pair
    v1 = dataset.videos.get(name="v1")
    run = run_with(dataset, [(v1, "ME", 12, 22, 1.0, "happiness")])
    client.force_login(a)
    page = client.get(f"/datasets/{dataset.pk}/quality/").content.decode()
    assert run.name in page and "Import as a run" in page
    page = client.get(f"/datasets/{dataset.pk}/quality/runs/{run.pk}/?against=ann_a").content.decode()
    assert page.count("<svg") >= 4  # bars, F1 vs IoU, onset and offset histograms (+ strips)
    assert "Emotion on matched intervals" in page and 'class="match"' in page
    page = client.get(f"/datasets/{dataset.pk}/quality/runs/{run.pk}/").content.decode()
    assert "pools the labels of 2 annotators" in page
    page = client.get(f"/datasets/{dataset.pk}/quality/agreement/?a=ann_a&b=ann_b").content.decode()
    assert "Cohen" in page and "ann_b minus ann_a" in page and 'class="extra"' in page
    assert 'data-where="v2: extra (best IoU 0.00): MaE 300..340"' in page  # keys n / p step through these
    other = DatasetFactory()
    assert client.get(f"/datasets/{other.pk}/quality/").status_code == 404
    assert not PredictionRun.objects.filter(dataset=other).exists()


def test_viewer_cannot_upload(client, dataset, member):
    viewer = member(Role.VIEWER)
    client.force_login(viewer)
    assert client.post(f"/datasets/{dataset.pk}/quality/predictions/", {}).status_code == 403


def test_evaluate_default_and_quality_agree(dataset, pair):
    """The evaluate command's default path and the quality pages give the same pooled counts."""
    from annotator.spotting import evaluate_run

    v1, v2 = dataset.videos.get(name="v1"), dataset.videos.get(name="v2")
    run = run_with(
        dataset, [(v1, "ME", 12, 22, 1.0, ""), (v2, "MaE", 300, 338, 1.0, ""), (v2, "ME", 0, 3, 1.0, "")]
    )
    ours = quality.evaluate_run(run).to_dict()["spotting"]["counts"]
    assert evaluate_run(run, store=False)["pooled"] == ours
    assert (ours["overall"]["tp"], ours["overall"]["fp"], ours["overall"]["fn"]) == (2, 1, 6)


def test_run_page_state_filter(client, dataset, pair):
    a, _ = pair
    v1, v2 = dataset.videos.get(name="v1"), dataset.videos.get(name="v2")
    type(v1).objects.filter(pk=v1.pk).update(review_state="accepted")
    run = run_with(dataset, [(v1, "ME", 12, 22, 1.0, ""), (v2, "ME", 50, 60, 1.0, "")])
    accepted = quality.evaluate_run(run, annotator=a, state="accepted").to_dict()["spotting"]
    assert list(accepted["videos"]) == ["v1"]
    assert (accepted["counts"]["overall"]["tp"], accepted["counts"]["overall"]["fn"]) == (1, 1)
    client.force_login(a)
    page = client.get(
        f"/datasets/{dataset.pk}/quality/runs/{run.pk}/?against=ann_a&state=accepted"
    ).content.decode()
    assert "<td>v1</td>" in page and "<td>v2</td>" not in page


def test_run_page_reports_bad_parameters(client, dataset, pair):
    a, _ = pair
    run = run_with(dataset, [(dataset.videos.get(name="v1"), "ME", 12, 22, 1.0, "")])
    client.force_login(a)
    page = client.get(f"/datasets/{dataset.pk}/quality/runs/{run.pk}/?iou=5").content.decode()
    assert "iou: Ensure this value is less than or equal to 1.0" in page
    page = client.get(f"/datasets/{dataset.pk}/quality/runs/{run.pk}/?videos=v1,nope").content.decode()
    assert "Videos not in dataset" in page and "nope" in page
