"""Training and inference entry points: ``train`` -> Checkpoint, ``predict`` -> class probabilities."""

import random
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .checkpoint import Checkpoint
from .config import IMAGE_SIZE, MOLConfig
from .data import MOLSample, SubClip, as_sample, check_clip, normalisation_stats, prepare, subclip_indices
from .model import MOL

Progress = Callable[[int, int, dict[str, float]], None]


def pick_device(device: str | torch.device | None) -> torch.device:
    """The requested device, or CUDA when present, else CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def seed_everything(seed: int) -> np.random.Generator:
    random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def to_input(frames: np.ndarray, stats: dict[str, float]) -> torch.Tensor:
    """uint8 (..., 128, 128) -> normalised float tensor with the training set's statistics."""
    return (torch.from_numpy(frames).float() - stats["pixel_mean"]) / stats["pixel_std"]


def make_batch(
    items: Sequence[SubClip], stats: dict[str, float], device: torch.device
) -> dict[str, torch.Tensor]:
    """Stack items; flow in units of ``flow_scale``, landmarks as crop fractions, mask for missing ones."""
    n_pairs, n_points = items[0].flow.shape[0], None
    for it in items:
        if it.landmarks is not None:
            n_points = it.landmarks.shape[1]
    lm = np.zeros((len(items), n_pairs, n_points or 1, 2), np.float32)
    mask = np.zeros(len(items), np.float32)
    for i, it in enumerate(items):
        if it.landmarks is not None:
            lm[i], mask[i] = it.landmarks / IMAGE_SIZE, 1.0
    batch = {
        "x": to_input(np.stack([it.frames for it in items]), stats),
        "label": torch.tensor([it.label for it in items]),
        "flow": torch.from_numpy(np.stack([it.flow for it in items]).astype(np.float32))
        / stats["flow_scale"],
        "landmarks": torch.from_numpy(lm),
        "lm_mask": torch.from_numpy(mask),
    }
    return {k: v.to(device) for k, v in batch.items()}


def losses(model: MOL, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """CE + lambda_flow * MSE(flow) + lambda_lm * (L1 landmark error / inter-ocular distance)."""
    cfg = model.config
    out = model(batch["x"])
    ce = F.cross_entropy(out["logits"], batch["label"])
    flow = F.mse_loss(out["flow"], batch["flow"])
    mask = batch["lm_mask"]
    if mask.sum() > 0:
        target = batch["landmarks"]
        a, b = cfg.eye_indices
        iod = (target[:, :, a] - target[:, :, b]).norm(dim=-1).clamp_min(1e-3)  # B, pairs
        err = (out["landmarks"] - target).abs().sum(-1).mean(-1) / iod  # B, pairs
        lm = (err.mean(-1) * mask).sum() / mask.sum()
    else:
        lm = torch.zeros((), device=ce.device)
    total = ce + cfg.lambda_flow * flow + cfg.lambda_lm * lm
    return {"total": total, "ce": ce, "flow": flow, "landmarks": lm}


def train(
    samples: Sequence[MOLSample | tuple],
    config: MOLConfig,
    *,
    seed: int = 0,
    device: str | torch.device | None = None,
    steps: int = 1000,
    progress: Progress | None = None,
) -> Checkpoint:
    """Train MOL on ``samples`` (all phases of every clip); statistics come from these samples only."""
    samples = [as_sample(s, f"sample {i}") for i, s in enumerate(samples)]
    if not samples:
        raise ValueError("train() needs at least one sample")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    rng = seed_everything(seed)
    dev = pick_device(device)
    items = prepare(samples, config)
    stats = normalisation_stats(items)
    model = MOL(config).to(dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    history = []
    for step in range(steps):
        chosen = rng.choice(len(items), size=min(config.batch_size, len(items)), replace=False)
        loss = losses(model, make_batch([items[i] for i in chosen], stats, dev))
        opt.zero_grad(set_to_none=True)
        loss["total"].backward()
        opt.step()
        values = {k: float(v.detach()) for k, v in loss.items()}
        history.append(values)
        if progress is not None:
            progress(step + 1, steps, values)
    info = {
        "seed": seed,
        "steps": steps,
        "subjects": sorted({s.subject for s in samples}),
        "n_samples": len(samples),
        "n_subclips": len(items),
        "history": history,
    }
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return Checkpoint(config, state, stats, info)


def predict_batch(
    checkpoint: Checkpoint, clips: Sequence[np.ndarray], *, device: str | torch.device | None = None
) -> np.ndarray:
    """Class probabilities (N, C), one row per clip: softmax averaged over the clip's phases."""
    for i, clip in enumerate(clips):
        check_clip(clip, f"clip {i}")
    dev = pick_device(device)
    model = checkpoint.build(with_aux=False).to(dev)
    out = np.zeros((len(clips), checkpoint.config.num_classes), np.float64)
    with torch.inference_mode():
        for i, clip in enumerate(clips):
            subs = np.stack([clip[idx] for idx in subclip_indices(len(clip), checkpoint.config.num_frames)])
            probs = model.recognise(to_input(subs, checkpoint.stats).to(dev)).softmax(-1)
            out[i] = probs.mean(0).double().cpu().numpy()
    return out


def predict(
    checkpoint: Checkpoint, clip: np.ndarray, *, device: str | torch.device | None = None
) -> np.ndarray:
    """Class probabilities (C,) of one onset..offset clip (L, 128, 128) uint8, in ``class_names`` order."""
    return predict_batch(checkpoint, [clip], device=device)[0]
