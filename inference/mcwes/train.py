"""Training and prediction for MC-WES.

`train` is deterministic for a seed on one device: batch order and dropout are re-seeded from
(seed, epoch) at every epoch, which also makes a resumed run continue exactly as an
uninterrupted one. Pre-processed snippet inputs can be shared between calls through `cache`
(e.g. across leave-one-subject-out folds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from .calibrate import fit_decoding
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .config import CLASSES, MCWESConfig
from .data import SnippetInputs, VideoInput, snippet_centres, snippet_frames, snippet_inputs, validate
from .decode import decode
from .labels import contrast_problem, snippet_targets, split_windows, video_labels
from .losses import (
    class_prototypes,
    distribution_consistency,
    duration_consistency,
    feature_consistency,
    frame_supervision_loss,
    mil_loss,
    saliency_consistency,
)
from .model import MCWESNet, Output


def pick_device(device: str | None = None) -> torch.device:
    """The requested device, else CUDA when present, else CPU."""
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


def fit_norm(inputs: list[SnippetInputs]) -> dict:
    """Input scales from the training set, saved in the checkpoint (never per test video)."""
    if inputs[0].features is not None:
        f = np.concatenate([x.features for x in inputs])
        return {"feat_mean": f.mean(0).tolist(), "feat_std": (f.std(0) + 1e-6).tolist()}
    return {
        "app_scale": float(1.0 / (np.concatenate([x.appearance.ravel() for x in inputs]).std() + 1e-6)),
        "diff_scale": float(1.0 / (np.concatenate([x.difference.ravel() for x in inputs]).std() + 1e-6)),
        "motion_scale": float(np.concatenate([x.regional.ravel() for x in inputs]).mean() + 1e-6),
    }


def to_tensors(x: SnippetInputs, norm: dict, device: torch.device) -> dict[str, torch.Tensor]:
    def t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32, device=device)

    if x.features is not None:
        return {"features": t((x.features - np.array(norm["feat_mean"])) / np.array(norm["feat_std"]))}
    return {
        "appearance": t(x.appearance * norm["app_scale"]),
        "difference": t(x.difference * norm["diff_scale"]),
        "regional": t(np.log1p(x.regional / norm["motion_scale"])),
    }


def _ks(config: MCWESConfig, n_snip: int) -> tuple[int, int, int]:
    return config.k_me, config.k_mae, max(1, int(n_snip * config.k_bg_ratio))


def video_loss(out: Output, y: torch.Tensor, target: torch.Tensor | None, config: MCWESConfig) -> dict:
    """All per-video terms (weighted later); `target` set only in frame-supervision mode."""
    probs, a = out.probs, out.attention
    ks = _ks(config, len(a))
    terms = {
        "saliency": saliency_consistency(out.a_img, out.a_flow),
        "distribution": distribution_consistency(probs, a, y, ks[:2]),
        "duration": duration_consistency(probs[:, 0] * a, *config.dur_me)
        + duration_consistency(probs[:, 1] * a, *config.dur_mae),
    }
    if target is None:
        terms["mil"] = mil_loss(probs, a, y, ks[:2])
    else:
        terms["mil"] = frame_supervision_loss(out.cas, out.a_img, out.a_flow, target)
    return terms


def _prepare(
    videos: list[VideoInput], config: MCWESConfig, cache: dict[str, SnippetInputs] | None
) -> tuple[list[VideoInput], list[SnippetInputs]]:
    expanded = [sub for v in videos for sub in split_windows(v)]
    ids = [v.video_id for v in expanded]
    if cache is not None and len(set(ids)) != len(ids):
        raise ValueError("video_id values must be unique when a cache is used")
    inputs = []
    for v in expanded:
        validate(v, config)
        if cache is not None and v.video_id in cache:
            inputs.append(cache[v.video_id])
            continue
        x = snippet_inputs(v, config)
        if cache is not None:
            cache[v.video_id] = x
        inputs.append(x)
    return expanded, inputs


def train(
    videos: list[VideoInput],
    config: MCWESConfig,
    *,
    seed: int = 0,
    device: str | None = None,
    progress: Callable[[int, dict[str, float]], None] | None = None,
    checkpoint_path: str | Path | None = None,
    resume: bool = False,
    cache: dict[str, SnippetInputs] | None = None,
) -> Checkpoint:
    """Train on videos with weak (video- or window-level) labels, or frame-level labels when
    config.supervision == "frame". With `checkpoint_path`, an epoch checkpoint (with optimizer
    state) is written after every epoch; `resume=True` continues from it when it exists."""
    if not videos:
        raise ValueError("train needs at least one video")
    if not config.feature_dim and not config.n_regions:
        first = videos[0].motion
        if first is None or first.ndim != 2:
            raise ValueError(f"video {videos[0].video_id!r}: motion must be (T, R)")
        config = replace(config, n_regions=int(first.shape[1]))
    dev = pick_device(device)
    expanded, inputs = _prepare(videos, config, cache)
    if config.supervision == "video" and (problem := contrast_problem(expanded)):
        raise ValueError(f"weak labels cannot train MC-WES: {problem}")
    labels = [torch.as_tensor(video_labels(v), device=dev) for v in expanded]
    targets: list[torch.Tensor | None] = [None] * len(expanded)
    if config.supervision == "frame":
        targets = [
            torch.as_tensor(snippet_targets(v, x, config), device=dev)
            for v, x in zip(expanded, inputs, strict=True)
        ]

    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    net = MCWESNet(config).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    norm, start, history = fit_norm(inputs), 0, []
    if resume and checkpoint_path is not None and Path(checkpoint_path).exists():
        ck = load_checkpoint(checkpoint_path)
        if ck.config.to_dict() != config.to_dict():
            raise ValueError(f"{checkpoint_path}: was trained with a different config; cannot resume")
        if ck.optimizer is None:
            raise ValueError(f"{checkpoint_path}: has no optimizer state; cannot resume")
        net.load_state_dict(ck.state)
        opt.load_state_dict(ck.optimizer)
        norm, start, history = ck.norm, ck.epoch, list(ck.history)
    tensors = [to_tensors(x, norm, dev) for x in inputs]
    w = {
        "mil": config.w_mil,
        "saliency": config.w_saliency,
        "distribution": config.w_distribution,
        "duration": config.w_duration,
        "feature": config.w_feature,
    }

    for epoch in range(start, config.epochs):
        torch.manual_seed(seed * 100_003 + epoch)
        order = np.random.default_rng([seed, epoch]).permutation(len(expanded))
        net.train()
        sums: dict[str, float] = {}
        batches = [order[i : i + config.batch_videos] for i in range(0, len(order), config.batch_videos)]
        for batch in batches:
            terms: dict[str, torch.Tensor] = {}
            vecs, kinds = [], []
            for i in batch:
                out = net(tensors[i])
                for k, v in video_loss(out, labels[i], targets[i], config).items():
                    terms[k] = terms.get(k, 0.0) + v / len(batch)
                scores = torch.cat([out.probs[:, :2] * out.attention[:, None], out.probs[:, 2:]], 1)
                y = labels[i] if targets[i] is None else _frame_label(targets[i], labels[i])
                v_, k_ = class_prototypes(out.features, scores.detach(), y, _ks(config, len(scores)))
                vecs += v_
                kinds += k_
            terms["feature"] = feature_consistency(torch.stack(vecs), kinds, config.contrast_temperature)
            total = sum(w[k] * v for k, v in terms.items())
            opt.zero_grad()
            total.backward()
            opt.step()
            for k, v in {**terms, "total": total}.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach()) / len(batches)
        history.append(sums)
        state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
        if checkpoint_path is not None:
            save_checkpoint(
                Checkpoint(config, state, norm, epoch + 1, history, opt.state_dict()), checkpoint_path
            )
        if progress is not None:
            progress(epoch + 1, sums)
    if config.calibrate:
        norm = {**norm, **_calibration(net, tensors, inputs, labels, expanded, config)}
    state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
    return Checkpoint(config, state, norm, config.epochs, history)


@torch.no_grad()
def _activations(net: MCWESNet, x: dict[str, torch.Tensor]) -> np.ndarray:
    out = net(x)
    return (out.probs[:, :2] * out.attention[:, None]).cpu().numpy()


def _calibration(
    net: MCWESNet,
    tensors: list[dict[str, torch.Tensor]],
    inputs: list[SnippetInputs],
    labels: list[torch.Tensor],
    videos: list[VideoInput],
    config: MCWESConfig,
) -> dict[str, list[float]]:
    """Decoding scales and cuts from the training videos (labels: the weak ones, in any mode)."""
    net.eval()
    acts = [_activations(net, t) for t in tensors]
    spans = [snippet_frames(x.n_snip, x.step, x.n_frames, config) for x in inputs]
    ys = [y.cpu().numpy() for y in labels]
    return fit_decoding(acts, ys, spans, [v.fps for v in videos], config)


def _frame_label(target: torch.Tensor, fallback: torch.Tensor) -> torch.Tensor:
    """In frame mode the prototypes use the classes actually present in the snippet targets."""
    return torch.stack([(target == c).any() for c in range(len(CLASSES))]).to(fallback.dtype)


@torch.no_grad()
def predict(
    checkpoint: Checkpoint, video: VideoInput, device: str | None = None
) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Intervals [{kind, onset, apex, offset, score}] in the video's own frame indices, best
    first, and per-frame curves: "ME", "MaE" (class activation x saliency), "expression" (their
    sum), "attention", "a_img", "a_flow"."""
    config = checkpoint.config
    dev = pick_device(device)
    x = snippet_inputs(video, config)
    net = checkpoint.build(dev).eval()
    out = net(to_tensors(x, checkpoint.norm, dev))
    a = out.attention
    act = (out.probs[:, :2] * a[:, None]).cpu().numpy()
    frames = np.arange(x.n_frames)
    centres = snippet_centres(x.n_snip, x.step, config)
    curves = {kind: np.interp(frames, centres, act[:, c]) for c, kind in enumerate(CLASSES)}
    curves["expression"] = np.interp(frames, centres, act.sum(1))
    for name, seq in (("attention", a), ("a_img", out.a_img), ("a_flow", out.a_flow)):
        curves[name] = np.interp(frames, centres, seq.cpu().numpy())
    spans = snippet_frames(x.n_snip, x.step, x.n_frames, config)
    motion = video.motion if config.eye_region >= 0 else None
    if motion is not None and config.eye_region >= motion.shape[1]:
        raise ValueError(
            f"video {video.video_id!r}: eye_region {config.eye_region} but motion has {motion.shape[1]} columns"
        )
    calibration = checkpoint.norm if config.calibrate else None
    return decode(act, spans, curves, video.fps, config, video.offset, motion, calibration), curves
