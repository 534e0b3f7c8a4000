"""Checkpoints: config + weights + training-set normalisation, validated on load.

A checkpoint carries everything ``predict`` needs, so a lab can train elsewhere and upload it.
Loading refuses another model kind, another class set, or weights whose shapes do not match the
network the config describes, each with a message that says which.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .config import MOLConfig
from .model import MOL

KIND = "mol"
FORMAT = 1
STATS = ("pixel_mean", "pixel_std", "flow_scale")


class CheckpointError(ValueError):
    """The file is not a usable MOL checkpoint for this request."""


@dataclass
class Checkpoint:
    config: MOLConfig
    state: dict[str, torch.Tensor]
    stats: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)  # seed, steps, training subjects, loss history

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "format": FORMAT,
            "config": self.config.to_dict(),
            "state": self.state,
            "stats": dict(self.stats),
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: Any, expected_classes: tuple[str, ...] | None = None) -> "Checkpoint":
        if not isinstance(data, dict) or data.get("kind") != KIND:
            kind = data.get("kind") if isinstance(data, dict) else type(data).__name__
            raise CheckpointError(f"not a MOL checkpoint: kind is {kind!r}, expected {KIND!r}")
        if data.get("format") != FORMAT:
            raise CheckpointError(
                f"MOL checkpoint format {data.get('format')!r} unsupported (expected {FORMAT})"
            )
        try:
            config = MOLConfig.from_dict(data["config"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"MOL checkpoint config invalid: {exc}") from exc
        if expected_classes is not None and tuple(expected_classes) != config.class_names:
            raise CheckpointError(
                f"checkpoint classes {list(config.class_names)} differ from the expected "
                f"{list(expected_classes)}"
            )
        missing = [k for k in STATS if k not in data.get("stats", {})]
        if missing:
            raise CheckpointError(f"MOL checkpoint lacks normalisation statistics {missing}")
        if not isinstance(data.get("state"), dict):
            raise CheckpointError("MOL checkpoint has no weights ('state')")
        ckpt = cls(config, data["state"], {k: float(data["stats"][k]) for k in STATS}, data.get("info", {}))
        ckpt.build(with_aux="flow.predict.0.weight" in ckpt.state)
        return ckpt

    def build(self, with_aux: bool = False) -> MOL:
        """The network with these weights, in eval mode (recognition path only unless ``with_aux``)."""
        model = MOL(self.config, with_aux=with_aux)
        expected = model.state_dict()
        state = {k: v for k, v in self.state.items() if with_aux or k in expected}
        missing = sorted(set(expected) - set(state))
        unexpected = sorted(set(state) - set(expected))
        wrong = [
            f"{k}: {tuple(state[k].shape)} vs {tuple(v.shape)}"
            for k, v in expected.items()
            if k in state and state[k].shape != v.shape
        ]
        if missing or unexpected or wrong:
            raise CheckpointError(
                f"MOL weights do not match the config: missing {missing[:5]}, unexpected {unexpected[:5]}, "
                f"wrong shapes {wrong[:5]}"
            )
        model.load_state_dict(state)
        return model.eval()

    def save(self, path: str | Path) -> None:
        torch.save(self.to_dict(), Path(path))

    @classmethod
    def load(cls, path: str | Path, expected_classes: tuple[str, ...] | None = None) -> "Checkpoint":
        try:
            data = torch.load(Path(path), map_location="cpu", weights_only=True)
        except Exception as exc:
            raise CheckpointError(f"{path}: not a readable torch checkpoint ({exc})") from exc
        return cls.from_dict(data, expected_classes)
