"""MC-WES: shapes, each loss on a hand-made case, MIL pooling, decoding, determinism, training,
checkpoints. Tiny inputs (32x32 crops, a few dozen frames) so the module runs in seconds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inference.mcwes import (
    MCWESConfig,
    VideoInput,
    load_checkpoint,
    predict,
    save_checkpoint,
    split_windows,
    train,
    weak_labels_from_intervals,
    windows_from_intervals,
)
from inference.mcwes.calibrate import best_cut, fit_decoding
from inference.mcwes.checkpoint import LEGACY
from inference.mcwes.data import canonical_index, snippet_frames, snippet_inputs
from inference.mcwes.decode import decode, duration_kind, is_blink, soft_nms
from inference.mcwes.labels import contrast_problem, snippet_targets
from inference.mcwes.losses import (
    distribution_consistency,
    duration_consistency,
    feature_consistency,
    mil_loss,
    saliency_consistency,
    topk_mean,
)
from inference.mcwes.model import MCWESNet
from inference.mcwes.train import to_tensors
from inference.media.motion import REGIONS

T = 60


def make_video(seed: int, expression: bool, fps: float = 30.0, n: int = T) -> VideoInput:
    """Noise face with, optionally, a bright patch + regional motion burst at frames 30..37."""
    rng = np.random.default_rng(seed)
    crops = (100 + rng.integers(0, 10, (n, 32, 32))).astype(np.uint8)
    motion = rng.random((n, 3)).astype(np.float32) * 0.1
    intervals = []
    if expression:
        crops[30:38, 8:16, 8:24] += 80
        motion[30:38, 1] += 3.0
        intervals = [{"kind": "ME", "onset": 30, "offset": 37}]
    return VideoInput(fps=fps, crops=crops, motion=motion, intervals=intervals, video_id=f"v{seed}")


def tiny_config(**kw) -> MCWESConfig:
    return MCWESConfig(**{"hidden": 16, "epochs": 3, "batch_videos": 2, "window_half_s": 0.0, **kw})


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny convolutions only lose from thread hand-offs on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def corpus() -> list[VideoInput]:
    return [make_video(i, expression=i % 2 == 0) for i in range(4)]


@pytest.fixture(scope="module")
def trained(corpus):
    return train(corpus, tiny_config(), seed=0, device="cpu")


# ---------------------------------------------------------------- shapes


def test_snippet_shapes_and_resampling():
    cfg = tiny_config(n_regions=3)
    x = snippet_inputs(make_video(0, True), cfg)
    s = (T - 8) // 2 + 1
    assert x.appearance.shape == (s, 8, 32, 32)
    assert x.difference.shape == (s, 7, 32, 32)
    assert x.regional.shape == (s, 8 * 3)
    out = MCWESNet(cfg)(to_tensors(x, {"app_scale": 1.0, "diff_scale": 1.0, "motion_scale": 1.0}, "cpu"))
    assert out.cas.shape == (s, 3) and out.a_img.shape == (s,) and out.features.shape == (s, 32)
    # 200 fps is brought to ~30 fps; the snippet spans tile the whole source timeline
    idx = canonical_index(400, 200 / 30)
    assert len(idx) == 60 and idx[-1] <= 399
    x200 = snippet_inputs(make_video(1, False, fps=200, n=400), cfg)
    spans = snippet_frames(x200.n_snip, x200.step, 400, cfg)
    assert spans[0, 0] == 0 and spans[-1, 1] == 399
    assert np.all(spans[1:, 0] == spans[:-1, 1] + 1)


def test_motion_resampling_sums_source_frames():
    cfg = tiny_config(n_regions=1)
    v = make_video(0, False, fps=120, n=120)
    v.motion = np.ones((120, 1), np.float32)
    x = snippet_inputs(v, cfg)
    # every canonical frame after the first spans 4 source frames of magnitude 1
    assert np.allclose(x.regional[0, 1:], 4.0)


def test_predict_curves_cover_every_frame(trained):
    v = make_video(7, True, n=45)
    intervals, curves = predict(trained, v, device="cpu")
    assert set(curves) == {"ME", "MaE", "expression", "attention", "a_img", "a_flow"}
    assert all(c.shape == (45,) for c in curves.values())
    for iv in intervals:
        assert 0 <= iv["onset"] <= iv["apex"] <= iv["offset"] < 45 and iv["kind"] in ("ME", "MaE")


def test_window_speed_joins_the_motion_stream():
    cfg = tiny_config(n_regions=3, window_half_s=0.17)
    v = make_video(0, True)
    v.window_motion = np.zeros((T, len(REGIONS)), np.float32)
    v.window_motion[:, 2] = 0.5
    x = snippet_inputs(v, cfg)
    assert x.regional.shape == (len(x.regional), 8 * (3 + len(REGIONS)))
    per_frame = x.regional.reshape(len(x.regional), 8, -1)
    assert np.allclose(per_frame[..., 3 + 2], 0.5) and np.allclose(per_frame[..., 3 + 3], 0.0)
    assert np.allclose(
        per_frame[..., :3],
        snippet_inputs(v, tiny_config(n_regions=3)).regional.reshape(per_frame[..., :3].shape),
    )
    # without a precomputed one it is measured on the crops (a bright patch moves: non-zero)
    v.window_motion = None
    assert snippet_inputs(v, cfg).regional.reshape(per_frame.shape)[..., 3:].max() > 0
    v.window_motion = np.zeros((T, 2), np.float32)
    with pytest.raises(ValueError, match="window_motion must be finite"):
        snippet_inputs(v, cfg)
    net = MCWESNet(cfg)
    assert net.enc_reg[0].in_features == 8 * (3 + len(REGIONS))


# ---------------------------------------------------------------- losses on hand-made cases


def test_topk_mean():
    x = torch.tensor([1.0, 5.0, 3.0, 2.0])
    assert topk_mean(x, 2).item() == pytest.approx(4.0)
    assert topk_mean(x, 10).item() == pytest.approx(2.75)


def test_mil_loss_prefers_activation_that_matches_the_label():
    S = 20
    y = torch.tensor([1.0, 0.0])
    a = torch.full((S,), 0.02)
    a[5:8] = 0.98
    good = torch.zeros(S, 3)
    good[:, 2] = 1.0
    good[5:8] = torch.tensor([1.0, 0.0, 0.0])
    wrong = good.clone()
    wrong[5:8] = torch.tensor([0.0, 1.0, 0.0])  # says MaE where the label says ME
    ks = (3, 6)
    assert mil_loss(good, a, y, ks) < 0.05
    assert mil_loss(wrong, a, y, ks) > 1.0


def test_mil_loss_still_pulls_a_class_that_has_died_out():
    """All-background probabilities (ME score far under EPS) must still get a gradient from a
    video labelled ME, or training cannot leave the all-background state."""
    S = 20
    logits = torch.zeros(S, 3)
    logits[:, 2] = 40.0  # softmax ME ~ 4e-18
    logits.requires_grad_(True)
    mil_loss(torch.softmax(logits, 1), torch.full((S,), 0.9), torch.tensor([1.0, 0.0]), (3, 6)).backward()
    assert logits.grad[:, 0].min() < 0  # gradient descent raises the ME logit


def test_saliency_consistency_value_and_stop_gradient():
    same = torch.tensor([0.2, 0.9])
    assert saliency_consistency(same, same.clone()).item() == 0.0
    a_img = torch.tensor([1.0, 0.0], requires_grad=True)
    a_flow = torch.tensor([0.0, 1.0], requires_grad=True)
    loss = saliency_consistency(a_img, a_flow)
    assert loss.item() == pytest.approx(1.0)
    loss.backward()
    # each side only sees its own half of the term: d/da_img 0.5 * mean((a_img - a_flow)^2)
    assert torch.allclose(a_img.grad, torch.tensor([0.5, -0.5]))
    assert torch.allclose(a_flow.grad, torch.tensor([-0.5, 0.5]))


def test_distribution_consistency_concentrated_vs_spread():
    S = 20
    y = torch.tensor([1.0, 0.0])
    a = torch.zeros(S)
    a[:8] = 1.0
    probs = torch.zeros(S, 3)
    probs[:, 2] = 1.0
    concentrated = probs.clone()
    concentrated[:4] = torch.tensor([1.0, 0.0, 0.0])  # within 4 x k_ME = 4 snippets
    spread = probs.clone()
    spread[:8] = torch.tensor([1.0, 0.0, 0.0])
    ks = (1, 5)
    # sparsity alone: mean saliency 8 / 20
    assert distribution_consistency(concentrated, a, y, ks).item() == pytest.approx(0.4)
    # 4 of the 16 snippets beyond the strongest 4 carry activation 1
    assert distribution_consistency(spread, a, y, ks).item() == pytest.approx(0.4 + 4 / 16)
    # a class absent from the label is not this term's business
    assert distribution_consistency(spread, a, torch.zeros(2), ks).item() == pytest.approx(0.4)


def test_duration_consistency_zero_inside_prior_positive_outside():
    def run(length: int, S: int = 20) -> torch.Tensor:
        x = torch.zeros(S)
        x[5 : 5 + length] = 1.0
        return x

    for length in (2, 3, 4):
        assert duration_consistency(run(length), 2, 4).item() == 0.0
    # a run of 6 has 2 windows of 5 full snippets, normalised by S + 5 - 1
    assert duration_consistency(run(6), 2, 4).item() == pytest.approx(2 / 24)
    # a run of 1 is removed by an opening of width 2: one snippet of excess over S
    assert duration_consistency(run(1), 2, 4).item() == pytest.approx(1 / 20)
    x = run(6).requires_grad_()
    duration_consistency(x, 2, 4).backward()
    assert x.grad.abs().sum() > 0


def test_feature_consistency_pulls_same_class_pushes_background():
    me, bg = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    separated = torch.stack([me, me, bg, bg])
    mixed = torch.stack([me, bg, bg, me])
    kinds = [0, 0, 2, 2]
    assert feature_consistency(separated, kinds, 0.2) < feature_consistency(mixed, kinds, 0.2)
    # separated: log(1 / (1 + 2 exp(-5))) per anchor
    expected = np.log(1 + 2 * np.exp(-5.0))
    assert feature_consistency(separated, kinds, 0.2).item() == pytest.approx(expected, rel=1e-5)
    assert feature_consistency(separated, [0, 1, 2, 2], 0.2).item() == 0.0


# ---------------------------------------------------------------- decoding


def _curves(act: np.ndarray, n_frames: int) -> dict[str, np.ndarray]:
    centres = np.arange(len(act)) * 2 + 3.5
    curves = {k: np.interp(np.arange(n_frames), centres, act[:, c]) for c, k in enumerate(("ME", "MaE"))}
    return curves | {"expression": curves["ME"] + curves["MaE"]}


def test_per_class_decoding_hand_made_curve_gives_exact_interval():
    cfg = tiny_config(label_by="cas", thresholds=(0.5,), max_proposals=5)
    n_frames, S = 60, 27
    act = np.zeros((S, 2))
    act[10:14, 0] = 0.9  # snippets 10..13 -> canonical frames 2*10+3 .. 2*13+4
    spans = snippet_frames(S, 1.0, n_frames, cfg)
    out = decode(act, spans, _curves(act, n_frames), 30.0, cfg)
    assert out == [{"kind": "ME", "onset": 23, "apex": 24, "offset": 30, "score": pytest.approx(0.9)}]
    # the same run is not an MaE: 8 frames are below the MaE duration prior
    act[:, [0, 1]] = act[:, [1, 0]]
    assert decode(act, spans, _curves(act, n_frames), 30.0, cfg) == []
    # a curve that never crosses a threshold yields nothing
    assert decode(np.full((S, 2), 0.1), spans, _curves(act, n_frames), 30.0, cfg) == []


def test_decoding_default_follows_the_supervision():
    assert MCWESConfig().label_by == "duration" and MCWESConfig(supervision="frame").label_by == "cas"
    assert MCWESConfig(supervision="frame", label_by="duration").label_by == "duration"


def test_duration_decoding_labels_each_expression_by_its_length():
    """The default of weak training: proposals on p_ME * a + p_MaE * a; ME when at most me_max_s long, else MaE,
    whichever class the network put the activation in."""
    assert duration_kind(0, 14, 30.0, 0.5) == "ME" and duration_kind(0, 15, 30.0, 0.5) == "MaE"
    assert duration_kind(0, 99, 200.0, 0.5) == "ME" and duration_kind(0, 100, 200.0, 0.5) == "MaE"
    cfg = tiny_config(thresholds=(0.5,), max_proposals=5)
    n_frames, S = 120, 57
    spans = snippet_frames(S, 1.0, n_frames, cfg)
    act = np.zeros((S, 2))
    act[10:12, 1] = 0.9  # an 8-frame run the network called MaE, with an ME half: one ME
    act[12:14, 0] = 0.9
    act[30:50, 0] = 0.9  # a 1.4 s run the network called ME: an MaE
    found = decode(act, spans, _curves(act, n_frames), 30.0, cfg)
    assert [(d["kind"], d["onset"], d["offset"]) for d in found] == [("ME", 23, 30), ("MaE", 63, 102)]
    # per kind score cuts: an ME cut above the ME's score drops it, the MaE stays
    only_mae = decode(act, spans, _curves(act, n_frames), 30.0, cfg, calibration={"score_cut": [0.95, 0.5]})
    assert [d["kind"] for d in only_mae] == ["MaE"]


def test_blink_rule_drops_eye_only_movements():
    motion = np.full((60, 5), 0.1)
    motion[20:26, 1] = 2.0  # eyes only
    assert is_blink(motion, 20, 25, eye=1, ratio=0.5)
    motion[20:26, 3] = 1.5  # the mouth moves too: an expression
    assert not is_blink(motion, 20, 25, eye=1, ratio=0.5)
    assert not is_blink(motion, 40, 45, eye=1, ratio=0.5)  # nothing moves: not a blink either
    cfg = tiny_config(thresholds=(0.5,), eye_region=1)
    S = 27
    act = np.zeros((S, 2))
    act[10:14, 0] = 0.9  # frames 23..30
    spans = snippet_frames(S, 1.0, 60, cfg)
    curves = _curves(act, 60)
    eyes = np.full((60, 5), 0.1)
    eyes[23:31, 1] = 2.0
    assert decode(act, spans, curves, 30.0, cfg, motion=eyes) == []
    assert len(decode(act, spans, curves, 30.0, cfg, motion=motion)) == 1
    assert (
        len(decode(act, spans, curves, 30.0, tiny_config(thresholds=(0.5,), eye_region=-1), motion=eyes)) == 1
    )


@pytest.mark.parametrize("label_by", ["duration", "cas"])
def test_calibration_from_weak_labels_only(label_by):
    # the cut separates videos with the class from those without, by their strongest proposal
    assert best_cut([0.8, 0.9], [0.2, 0.3], floor=0.05) == pytest.approx(0.55)
    assert best_cut([0.8], [], floor=0.05) == 0.05  # nothing to separate: the floor
    cfg = tiny_config(thresholds=(0.5,), label_by=label_by)
    S = 27
    spans = snippet_frames(S, 1.0, 60, cfg)
    pos, neg = np.zeros((S, 2)), np.zeros((S, 2))
    pos[10:14, 0] = 0.2  # a weak but clean ME peak, under every absolute threshold
    neg[10:14, 0] = 0.15  # weaker: 0.75 of the typical peak
    fit = fit_decoding([pos, neg], [np.array([1, 0]), np.array([0, 0])], [spans, spans], [30.0, 30.0], cfg)
    if label_by == "duration":
        assert fit["expression_scale"] == pytest.approx(0.2) and "act_scale" not in fit
    else:
        assert fit["act_scale"][0] == pytest.approx(0.2) and fit["act_scale"][1] == 1.0
    assert 0.75 < fit["score_cut"][0] <= 1.0  # the negative video's proposal stays under the cut
    curves = _curves(pos, 60)
    assert len(decode(pos, spans, curves, 30.0, cfg, calibration=fit)) == 1
    assert decode(neg, spans, curves, 30.0, cfg, calibration=fit) == []


def test_soft_nms_decays_overlaps():
    kept = soft_nms([(0, 9, 0.9), (2, 11, 0.8), (20, 29, 0.7)], sigma=0.3, min_score=0.05)
    assert kept[0] == (0, 9, 0.9) and kept[1] == (20, 29, 0.7)
    assert kept[2][:2] == (2, 11) and kept[2][2] == pytest.approx(0.8 * np.exp(-((8 / 12) ** 2) / 0.3))
    # below min_score after decay: dropped
    assert len(soft_nms([(0, 9, 0.9), (0, 9, 0.1)], sigma=0.3, min_score=0.05)) == 1


# ---------------------------------------------------------------- labels


def test_weak_labels_and_windows():
    ivs = [{"kind": "ME", "onset": 10, "offset": 14}, {"kind": "MaE", "onset": 38, "offset": 55}]
    assert weak_labels_from_intervals(ivs) == {"ME": 1, "MaE": 1}
    assert weak_labels_from_intervals([]) == {"ME": 0, "MaE": 0}
    with pytest.raises(ValueError, match="blink"):
        weak_labels_from_intervals([{"kind": "blink", "onset": 0, "offset": 1}])
    wins = windows_from_intervals(ivs, 60, 20)
    assert [(s, e) for s, e, _ in wins] == [(0, 19), (20, 39), (40, 59)]
    assert [t for _, _, t in wins] == [{"ME": 1, "MaE": 0}, {"ME": 0, "MaE": 0}, {"ME": 0, "MaE": 1}]
    v = make_video(0, True)
    v.intervals, v.windows = ivs, wins
    subs = split_windows(v)
    assert [s.length for s in subs] == [20, 20, 20] and subs[2].offset == 40
    assert subs[2].intervals == [{"kind": "MaE", "onset": 0, "offset": 15}]


def test_weak_labels_need_videos_with_and_without_each_present_class():
    me, plain = make_video(0, True), make_video(1, False)
    assert contrast_problem([me, plain]) is None
    assert contrast_problem([plain, make_video(2, False)]) == (
        "none of the 2 training videos or windows contains an ME or an MaE"
    )
    assert "all 1 training videos or windows contain ME;" in contrast_problem([me])
    # windows count one by one: one video tagged in a window with and a window without an ME
    windowed = make_video(3, True)
    windowed.windows = [(0, 29, {"ME": 0, "MaE": 0}), (30, 59, {"ME": 1, "MaE": 0})]
    assert contrast_problem([windowed]) is None
    with pytest.raises(ValueError, match="weak labels cannot train MC-WES: all 1 training videos"):
        train([me], tiny_config())
    train([me], tiny_config(supervision="frame", epochs=1))  # frame labels hold their own contrast


def test_snippet_targets_for_frame_supervision():
    cfg = tiny_config(n_regions=3)
    v = make_video(0, True)
    x = snippet_inputs(v, cfg)
    t = snippet_targets(v, x, cfg)
    spans = snippet_frames(x.n_snip, x.step, T, cfg)
    me = spans[t == 0]
    assert len(me) and me[:, 0].min() >= 29 and me[:, 1].max() <= 38 and set(t) <= {0, 2}


# ---------------------------------------------------------------- training


def test_training_reduces_loss_and_is_deterministic(corpus, trained):
    longer = train(corpus, tiny_config(epochs=12), seed=0, device="cpu")
    assert longer.history[-1]["total"] < longer.history[0]["total"]
    again = train(corpus, tiny_config(), seed=0, device="cpu")
    assert all(torch.equal(again.state[k], trained.state[k]) for k in trained.state)
    other = train(corpus, tiny_config(), seed=1, device="cpu")
    assert not all(torch.equal(other.state[k], trained.state[k]) for k in trained.state)


def test_frame_supervision_and_user_features_modes(corpus):
    ck = train(corpus, tiny_config(epochs=2, supervision="frame"), seed=0, device="cpu")
    assert np.isfinite(ck.history[-1]["total"])
    rng = np.random.default_rng(0)
    feats = [
        VideoInput(
            fps=30,
            features=rng.random((20, 6)).astype(np.float32),
            n_frames=46,
            labels={"ME": i % 2, "MaE": 0},
        )
        for i in range(3)
    ]
    ck = train(feats, tiny_config(feature_dim=6, epochs=2), seed=0, device="cpu")
    intervals, curves = predict(ck, feats[0], device="cpu")
    assert curves["ME"].shape == (46,)


def test_resume_continues_exactly(corpus, tmp_path):
    path = tmp_path / "epoch.pt"
    full = train(corpus, tiny_config(epochs=4), seed=3, device="cpu")

    class Interrupted(Exception):
        pass

    def stop_after_two(epoch: int, losses: dict) -> None:
        if epoch == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(
            corpus, tiny_config(epochs=4), seed=3, device="cpu", checkpoint_path=path, progress=stop_after_two
        )
    assert load_checkpoint(path).epoch == 2
    seen = []
    resumed = train(
        corpus,
        tiny_config(epochs=4),
        seed=3,
        device="cpu",
        checkpoint_path=path,
        resume=True,
        progress=lambda e, losses: seen.append(e),
    )
    assert seen == [3, 4]
    assert all(torch.allclose(resumed.state[k], full.state[k]) for k in full.state)
    with pytest.raises(ValueError, match="different config"):
        train(corpus, tiny_config(epochs=4, lr=0.1), seed=3, device="cpu", checkpoint_path=path, resume=True)


# ---------------------------------------------------------------- checkpoints and bad input


def test_checkpoint_round_trip_and_rejections(trained, tmp_path):
    v = make_video(9, True)
    path = tmp_path / "m.pt"
    save_checkpoint(trained, path)
    loaded = load_checkpoint(path)
    assert loaded.config == trained.config
    assert predict(loaded, v, "cpu")[0] == predict(trained, v, "cpu")[0]

    torch.save({"kind": "mol", "format_version": 1}, tmp_path / "mol.pt")
    with pytest.raises(ValueError, match="'mol' checkpoint"):
        load_checkpoint(tmp_path / "mol.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    raw = torch.load(path, weights_only=True)
    raw["state"]["cas.3.weight"] = torch.zeros(5, 16, 1)
    torch.save(raw, tmp_path / "shape.pt")
    with pytest.raises(ValueError, match="cas.3.weight has shape"):
        load_checkpoint(tmp_path / "shape.pt")
    raw = torch.load(path, weights_only=True)
    raw["config"]["hidden_size"] = 3
    torch.save(raw, tmp_path / "cfg.pt")
    with pytest.raises(ValueError, match="unknown MCWESConfig keys"):
        load_checkpoint(tmp_path / "cfg.pt")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")
    # a checkpoint saved before the window speed, blink rule, calibration and duration labelling
    # keeps its behaviour
    raw = torch.load(path, weights_only=True)
    for key in LEGACY:
        del raw["config"][key]
    torch.save(raw, tmp_path / "old.pt")
    old = load_checkpoint(tmp_path / "old.pt").config
    assert (old.window_half_s, old.eye_region, old.calibrate, old.label_by) == (0.0, -1, False, "cas")


def test_bad_inputs_name_the_problem(trained):
    v = make_video(0, True)
    v.motion = v.motion[:, :2]
    with pytest.raises(ValueError, match="2 regions, model expects 3"):
        predict(trained, v, "cpu")
    v = make_video(0, True)
    v.crops = v.crops.astype(np.float32)
    with pytest.raises(ValueError, match="uint8"):
        predict(trained, v, "cpu")
    feats = VideoInput(
        fps=30, features=np.zeros((50, 6), np.float32), n_frames=46, labels={"ME": 1, "MaE": 0}
    )
    with pytest.raises(ValueError, match="50 feature rows, but 46 frames"):
        train([feats], tiny_config(feature_dim=6))
    with pytest.raises(ValueError, match=r"features must be \(S, 8\)"):
        train([feats], tiny_config(feature_dim=8))
    with pytest.raises(ValueError, match="supervision"):
        MCWESConfig(supervision="strong")
    with pytest.raises(ValueError, match="label_by must be"):
        MCWESConfig(label_by="votes")
    with pytest.raises(ValueError, match="no labels"):
        train([VideoInput(fps=30, crops=v.crops.astype(np.uint8), motion=np.zeros((T, 3)))], tiny_config())
