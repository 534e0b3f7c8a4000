"""MOL (inference/mol): blocks, correlation, training, LOSO bookkeeping, checkpoints. Tiny and CPU-only."""

import importlib

import cv2
import numpy as np
import pytest
import torch

from inference.mol import (
    Checkpoint,
    CheckpointError,
    MOLConfig,
    MOLSample,
    loso,
    predict,
    subclip_indices,
    train,
)
from inference.mol.blocks import CCC, F5C, FCC, CircularConv, knn_cosine
from inference.mol.correlation import correlation
from inference.mol.data import pair_flows, prepare
from inference.mol.flownet import FlowNetC
from inference.mol.loso import split_by_subject
from inference.mol.model import MOL, LandmarkHead, RecognitionHead, Stem
from inference.mol.train import losses, make_batch, normalisation_stats

TINY = MOLConfig(num_landmarks=6, eye_indices=(0, 1), flow_width=1 / 16, dropout=0.0, lr=1e-3, batch_size=1)
DIRECTIONS = [(0.0, -1.0), (1.0, 0.0), (0.0, 1.0)]  # per class: up, right, down (pixels per frame)
POINTS = np.array([[44, 50], [84, 50], [64, 70], [50, 90], [78, 90], [64, 30]], np.float32)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Two threads on a shared 2-core machine run ~10x slower than one (oversubscription)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_clip(label: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A smooth random texture translating in the class's direction, and 6 tracked points."""
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.uniform(0, 255, (160, 160)).astype(np.float32), (0, 0), 3)
    base = cv2.normalize(base, None, 0, 255, cv2.NORM_MINMAX)
    dx, dy = DIRECTIONS[label]
    frames, points = [], []
    for t in range(length):
        m = np.float32([[1, 0, dx * t - 16], [0, 1, dy * t - 16]])
        frames.append(cv2.warpAffine(base, m, (128, 128), borderMode=cv2.BORDER_REFLECT).astype(np.uint8))
        points.append(POINTS + [dx * t, dy * t])
    return np.stack(frames), np.stack(points).astype(np.float32)


def make_samples(subjects: int = 3, per_subject: int = 3, length: int = 10) -> list[MOLSample]:
    out = []
    for s in range(subjects):
        for v in range(per_subject):
            label = v % 3
            frames, points = make_clip(label, length, seed=10 * s + v)
            out.append(MOLSample(frames, label, f"sub{s}", f"sub{s}_v{v}", landmarks=points))
    return out


def assert_all_grads(module: torch.nn.Module) -> None:
    for name, p in module.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, f"{name} got a zero gradient"


@pytest.mark.parametrize(
    ("block", "shape", "out_shape"),
    [
        (lambda: Stem(), (2, 1, 128, 128), (2, 128, 16, 16)),
        (lambda: FCC(8, 16), (2, 8, 16, 16), (2, 8, 16, 16)),
        (lambda: CCC(8, 16, 4, "channel"), (2, 8, 16, 16), (2, 8, 16, 16)),
        (lambda: CCC(8, 16, 4, "spatial"), (2, 8, 16, 16), (2, 8, 16, 16)),
        (lambda: F5C(8, 16), (2, 8, 16, 16), (2, 8, 16, 16)),
        (lambda: RecognitionHead(7, 3, 0.0), (2, 7, 256, 16, 16), (2, 3)),
        (lambda: LandmarkHead(5), (2, 128, 16, 16), (2, 5, 2)),
    ],
)
def test_block_shapes_and_gradients(block, shape, out_shape) -> None:
    torch.manual_seed(0)
    module = block()
    y = module(torch.randn(shape))
    assert y.shape == out_shape
    (y**2).sum().backward()
    assert_all_grads(module)


def test_flownet_shapes_and_gradients() -> None:
    torch.manual_seed(0)
    net = FlowNetC(feature_channels=8, width=1 / 16, max_disp=2)
    flow = net(
        torch.randn(2, 1, 128, 128),
        torch.randn(2, 1, 128, 128),
        torch.randn(2, 8, 16, 16),
        torch.randn(2, 8, 16, 16),
    )
    assert flow.shape == (2, 2, 128, 128)
    (flow**2).sum().backward()
    assert_all_grads(net)


def test_full_model_outputs_and_recognition_path() -> None:
    torch.manual_seed(0)
    model = MOL(TINY).eval()
    x = torch.randn(1, 8, 128, 128)
    out = model(x)
    assert out["logits"].shape == (1, 3)
    assert out["flow"].shape == (1, 7, 2, 128, 128)
    assert out["landmarks"].shape == (1, 7, 6, 2)
    rec = MOL(TINY, with_aux=False)
    assert not hasattr(rec, "flow") and not hasattr(rec, "landmarks")
    rec.load_state_dict({k: v for k, v in model.state_dict().items() if k in rec.state_dict()})
    torch.testing.assert_close(rec.eval().recognise(x), out["logits"])
    with pytest.raises(ValueError, match="expects"):
        model.recognise(torch.randn(1, 7, 128, 128))


def test_fcc_reaches_every_position_from_one_pixel() -> None:
    torch.manual_seed(0)
    fcc = FCC(8, 16).eval()
    x = torch.randn(1, 8, 16, 16)
    for channel in (0, 7):  # one channel of each half
        x2 = x.clone()
        x2[0, channel, 3, 11] += 5.0
        changed = (fcc(x2) - fcc(x)).abs().amax(dim=1)[0]
        assert (changed > 1e-6).all(), (
            f"channel {channel}: {int((changed <= 1e-6).sum())} positions unreached"
        )
    # A single column convolution reaches only its own column: the test above can fail.
    col = CircularConv(8, 16, axis=2)
    x2 = x.clone()
    x2[0, 0, 3, 11] += 5.0
    changed = (col(x2) - col(x)).abs().amax(dim=1)[0] > 1e-6
    assert changed[:, 11].all() and not changed[:, :11].any() and not changed[:, 12:].any()


def test_knn_cosine_picks_exact_neighbours() -> None:
    angles = np.deg2rad([0, 10, 25, 90, 100, 180])
    nodes = torch.tensor(np.stack([np.cos(angles), np.sin(angles)], -1), dtype=torch.float32)[None]
    nodes = nodes * torch.tensor([1.0, 3.0, 0.5, 2.0, 1.0, 4.0])[None, :, None]  # length must not matter
    idx = knn_cosine(nodes, 2)[0]
    expected = [{1, 2}, {0, 2}, {1, 0}, {4, 2}, {3, 2}, {4, 3}]
    assert [set(row.tolist()) for row in idx] == expected


def test_ccc_channel_graph_uses_channels_and_matches_a_loop() -> None:
    torch.manual_seed(0)
    ccc = CCC(6, 4, k=2, graph="channel").eval()
    a, b = torch.randn(16), torch.randn(16)
    maps = torch.stack([a, 2 * a, -a, b, 3 * b + 0.1 * a, -b]).view(1, 6, 4, 4)
    idx = knn_cosine(ccc.nodes(maps), 2)[0]
    assert set(idx[0].tolist()) == {1, 4} and set(idx[3].tolist()) == {4, 1}
    # Vectorised result against an explicit loop over channels and their neighbours.
    nodes = maps.view(6, 16)
    agg = torch.stack(
        [
            torch.stack(
                [torch.relu(ccc.edge_self(nodes[i]) + ccc.edge_diff(nodes[j] - nodes[i])) for j in idx[i]]
            ).amax(0)
            for i in range(6)
        ]
    )
    expected = maps + ccc.out(agg.view(1, 6, 4, 4))
    torch.testing.assert_close(ccc(maps), expected)


def test_correlation_matches_direct_loop() -> None:
    torch.manual_seed(0)
    f1, f2 = torch.randn(2, 3, 5, 6), torch.randn(2, 3, 5, 6)
    d = 2
    out = correlation(f1, f2, d)
    assert out.shape == (2, 25, 5, 6)
    ref = torch.zeros_like(out)
    for b in range(2):
        for k, (dy, dx) in enumerate((dy, dx) for dy in range(-d, d + 1) for dx in range(-d, d + 1)):
            for i in range(5):
                for j in range(6):
                    if 0 <= i + dy < 5 and 0 <= j + dx < 6:
                        ref[b, k, i, j] = sum(f1[b, c, i, j] * f2[b, c, i + dy, j + dx] for c in range(3)) / 3
    torch.testing.assert_close(out, ref)


def test_subclip_phases_and_short_clips() -> None:
    phases = subclip_indices(20, 8)
    assert [p.tolist() for p in phases] == [list(range(0, 16, 2)), list(range(1, 17, 2))]
    short = subclip_indices(5, 8)
    assert (
        len(short) == 1
        and short[0][0] == 0
        and short[0][-1] == 4
        and sorted(set(short[0])) == [0, 1, 2, 3, 4]
    )
    with pytest.raises(ValueError, match="at least 2 frames"):
        subclip_indices(1, 8)


def test_given_flow_is_chained_over_the_stride() -> None:
    frames = np.zeros((17, 128, 128), np.uint8)
    flow = np.zeros((16, 2, 128, 128), np.float32)
    flow[:, 0] = 1.0  # 1 px right per frame
    targets = pair_flows(MOLSample(frames, 0, "s", flow=flow), subclip_indices(17, 8)[1], "dis")
    np.testing.assert_allclose(targets[:, 0], 2.0, atol=1e-5)
    np.testing.assert_allclose(targets[:, 1], 0.0, atol=1e-5)


@pytest.mark.skipif(hasattr(cv2, "optflow"), reason="opencv-contrib present: TV-L1 is available")
def test_tvl1_without_contrib_says_so() -> None:
    frames, _ = make_clip(0, 9, 0)
    with pytest.raises(RuntimeError, match="opencv-contrib"):
        train([MOLSample(frames, 0, "a")], MOLConfig(flow_method="tvl1"), steps=1)


def test_bad_input_names_the_sample() -> None:
    frames, _ = make_clip(0, 9, 0)
    with pytest.raises(ValueError, match=r"sample 1.*uint8"):
        train([MOLSample(frames, 0, "a"), MOLSample(frames.astype(np.float32), 0, "a")], TINY, steps=1)
    with pytest.raises(ValueError, match=r"sample 0.*'joy'"):
        train([MOLSample(frames, "joy", "a")], TINY, steps=1)
    with pytest.raises(ValueError, match=r"landmarks must be \(9, 6, 2\)"):
        train([MOLSample(frames, 0, "a", landmarks=np.zeros((9, 68, 2), np.float32))], TINY, steps=1)


def test_training_steps_reduce_each_loss() -> None:
    torch.manual_seed(0)
    items = prepare(make_samples(subjects=1, per_subject=2), TINY)
    stats = normalisation_stats(items)
    batch = make_batch(items[:2], stats, torch.device("cpu"))
    model = MOL(TINY).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=TINY.weight_decay)
    first = None
    for _ in range(4):
        loss = losses(model, batch)
        first = first or {k: float(v.detach()) for k, v in loss.items()}
        opt.zero_grad()
        loss["total"].backward()
        opt.step()
    last = {k: float(v.detach()) for k, v in losses(model, batch).items()}
    for key in ("ce", "flow", "landmarks", "total"):
        assert last[key] < first[key], f"{key}: {first[key]:.4f} -> {last[key]:.4f}"


def test_train_is_deterministic_and_predict_gives_probabilities() -> None:
    samples = make_samples(subjects=1, per_subject=2)
    a = train(samples, TINY, seed=3, steps=2, device="cpu")
    b = train(samples, TINY, seed=3, steps=2, device="cpu")
    assert a.info["history"] == b.info["history"]
    for k in a.state:
        torch.testing.assert_close(a.state[k], b.state[k])
    probs = predict(a, samples[0].frames)
    assert probs.shape == (3,) and abs(probs.sum() - 1) < 1e-6
    assert a.stats["pixel_std"] > 1 and a.stats["flow_scale"] > 0


def test_loso_never_mixes_subjects(monkeypatch: pytest.MonkeyPatch) -> None:
    samples = make_samples(subjects=3, per_subject=2, length=9)
    train_set, test_set = split_by_subject(samples, "sub1")
    assert {s.subject for s in test_set} == {"sub1"} and "sub1" not in {s.subject for s in train_set}
    seen = []
    real_train = train

    def spy(train_samples, config, **kw):
        seen.append({s.subject for s in train_samples})
        return real_train(train_samples, config, **kw)

    monkeypatch.setattr(importlib.import_module("inference.mol.loso"), "train", spy)
    result = loso(samples, TINY, seed=0, steps=1, device="cpu")
    assert seen == [{"sub1", "sub2"}, {"sub0", "sub2"}, {"sub0", "sub1"}]
    assert [f["subject"] for f in result.folds] == ["sub0", "sub1", "sub2"]
    assert result.confusion.sum() == len(samples)  # one decision per video, not per sub-clip
    assert sorted(p["video"] for p in result.predictions) == sorted(s.video for s in samples)
    assert all(
        p["subject"] not in f["train_subjects"]
        for p in result.predictions
        for f in result.folds
        if f["subject"] == p["subject"]
    )
    assert 0 <= result.uf1 <= 1 and 0 <= result.uar <= 1
    with pytest.raises(ValueError, match="at least 2 subjects"):
        loso(samples[:2], TINY, steps=1)


def test_checkpoint_round_trip_and_mismatches(tmp_path) -> None:
    samples = make_samples(subjects=1, per_subject=1)
    ckpt = train(samples, TINY, seed=0, steps=1, device="cpu")
    path = tmp_path / "mol.pt"
    ckpt.save(path)
    loaded = Checkpoint.load(path, expected_classes=TINY.class_names)
    assert loaded.config == TINY and loaded.stats == ckpt.stats
    np.testing.assert_allclose(predict(loaded, samples[0].frames), predict(ckpt, samples[0].frames))
    with pytest.raises(CheckpointError, match=r"classes \['negative', 'positive', 'surprise'\] differ"):
        Checkpoint.load(path, expected_classes=("happiness", "surprise", "disgust", "repression", "others"))
    other = ckpt.to_dict() | {"kind": "mcwes"}
    torch.save(other, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a MOL checkpoint"):
        Checkpoint.load(tmp_path / "other.pt")
    wrong = ckpt.to_dict()
    wrong["config"] = TINY.to_dict() | {"num_landmarks": 10, "class_names": ["a", "b", "c", "d"]}
    del wrong["config"]["num_classes"]
    with pytest.raises(CheckpointError, match="wrong shapes"):
        Checkpoint.from_dict(wrong)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pt"):
        Checkpoint.load(tmp_path / "junk.pt")
