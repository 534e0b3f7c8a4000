"""MC-WES checkpoints: one torch file holding kind, format version, config, weights, input
normalisation, epoch and (for resuming) optimizer state. Loading validates everything before a
model is built, so another model's file or a damaged file fails with a message saying which."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .config import MCWESConfig
from .model import MCWESNet

KIND = "mcwes"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    config: MCWESConfig
    state: dict[str, torch.Tensor]
    norm: dict[str, Any]  # input scales fixed from the training set
    epoch: int  # epochs completed
    history: list[dict[str, float]] = field(default_factory=list)  # mean losses per epoch
    optimizer: dict | None = None  # only in epoch checkpoints written for resuming

    def build(self, device: str | torch.device = "cpu") -> MCWESNet:
        net = MCWESNet(self.config)
        net.load_state_dict(self.state)
        return net.to(device)


# fields added later whose defaults change the network or decoding: a checkpoint saved before
# them is read with the values it was trained and decoded with
LEGACY = {"window_half_s": 0.0, "eye_region": -1, "calibrate": False, "label_by": "cas"}


def save_checkpoint(ckpt: Checkpoint, path: str | Path) -> None:
    """Write atomically (temp file + rename) so an interrupted save never leaves half a file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(
        {
            "kind": KIND,
            "format_version": FORMAT_VERSION,
            "config": ckpt.config.to_dict(),
            "state": {k: v.detach().cpu() for k, v in ckpt.state.items()},
            "norm": ckpt.norm,
            "epoch": ckpt.epoch,
            "history": ckpt.history,
            "optimizer": ckpt.optimizer,
        },
        tmp,
    )
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MC-WES checkpoint {path} does not exist")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged or foreign file
        raise ValueError(f"{path} is not a readable checkpoint file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(raw, dict) or "kind" not in raw:
        raise ValueError(f"{path} is not a mestudio model checkpoint (no 'kind' entry)")
    if raw["kind"] != KIND:
        raise ValueError(f"{path} is a {raw['kind']!r} checkpoint, not an MC-WES ({KIND!r}) one")
    if raw.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path}: MC-WES format version {raw.get('format_version')}, expected {FORMAT_VERSION}"
        )
    missing = [k for k in ("config", "state", "norm", "epoch") if k not in raw]
    if missing:
        raise ValueError(f"{path}: checkpoint lacks {missing}")
    try:
        config = MCWESConfig.from_dict({**LEGACY, **raw["config"]})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: bad config: {exc}") from exc
    expected = MCWESNet(config).state_dict()
    state = raw["state"]
    if set(state) != set(expected):
        diff = sorted(set(state) ^ set(expected))[:5]
        raise ValueError(f"{path}: weights do not match the MC-WES network of its config (keys {diff})")
    for k, v in expected.items():
        if tuple(state[k].shape) != tuple(v.shape):
            raise ValueError(
                f"{path}: weight {k} has shape {tuple(state[k].shape)}, expected {tuple(v.shape)}"
            )
        if not torch.isfinite(state[k]).all():
            raise ValueError(f"{path}: weight {k} contains NaN or inf")
    return Checkpoint(
        config, state, raw["norm"], int(raw["epoch"]), raw.get("history") or [], raw.get("optimizer")
    )
