"""MOLConfig: every choice that shapes a MOL model or its training, serialisable to plain JSON."""

from dataclasses import asdict, dataclass, fields
from typing import Any

IMAGE_SIZE = 128  # aligned grayscale face crop side; the stem takes it to a 16x16 map
FEATURE_SIZE = 16
FLOW_METHODS = ("dis", "farneback", "tvl1")


@dataclass(frozen=True)
class MOLConfig:
    """Model shape and training settings; defaults follow the paper / released code (MODELS.md §4)."""

    class_names: tuple[str, ...] = ("negative", "positive", "surprise")
    num_frames: int = 8
    graph: str = "channel"  # "channel" (paper) or "spatial" (released code)
    k: int = 4
    num_landmarks: int = 68
    eye_indices: tuple[int, int] = (36, 45)  # outer eye corners of the 68-point scheme
    flow_width: float = 1.0  # multiplier on FlowNetC's channel widths (1.0 = full size)
    max_disp: int = 4  # correlation range at 16x16 (about FlowNetC's 20 px at 1/8 of 384 px)
    dropout: float = 0.5
    lambda_flow: float = 10.0
    lambda_lm: float = 0.1
    lr: float = 1e-4
    weight_decay: float = 1e-3
    batch_size: int = 8
    flow_method: str = "dis"

    def __post_init__(self) -> None:
        object.__setattr__(self, "class_names", tuple(str(c) for c in self.class_names))
        object.__setattr__(self, "eye_indices", tuple(int(i) for i in self.eye_indices))
        problems = []
        if len(self.class_names) < 2 or len(set(self.class_names)) != len(self.class_names):
            problems.append(f"class_names must hold >= 2 distinct names, got {self.class_names}")
        if self.num_frames < 2:
            problems.append(f"num_frames must be >= 2, got {self.num_frames}")
        if self.graph not in ("channel", "spatial"):
            problems.append(f"graph must be 'channel' or 'spatial', got {self.graph!r}")
        if not 0 < self.k < 16:
            problems.append(f"k must be in 1..15, got {self.k}")
        if self.num_landmarks < 1 or len(self.eye_indices) != 2:
            problems.append(f"num_landmarks must be >= 1 and eye_indices two indices, got {self.eye_indices}")
        elif (
            not all(0 <= i < self.num_landmarks for i in self.eye_indices) or len(set(self.eye_indices)) != 2
        ):
            problems.append(
                f"eye_indices {self.eye_indices} must be two distinct points < {self.num_landmarks}"
            )
        if self.flow_width <= 0 or self.max_disp < 0:
            problems.append(
                f"flow_width must be > 0 and max_disp >= 0, got {self.flow_width}, {self.max_disp}"
            )
        if self.flow_method not in FLOW_METHODS:
            problems.append(f"flow_method must be one of {FLOW_METHODS}, got {self.flow_method!r}")
        if self.batch_size < 1 or self.lr <= 0:
            problems.append(f"batch_size must be >= 1 and lr > 0, got {self.batch_size}, {self.lr}")
        if problems:
            raise ValueError("invalid MOLConfig: " + "; ".join(problems))

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["class_names"] = list(self.class_names)
        d["eye_indices"] = list(self.eye_indices)
        d["num_classes"] = self.num_classes
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MOLConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known - {"num_classes"}
        if unknown:
            raise ValueError(f"unknown MOLConfig keys: {sorted(unknown)}")
        config = cls(**{k: v for k, v in data.items() if k in known})
        if "num_classes" in data and data["num_classes"] != config.num_classes:
            raise ValueError(f"num_classes {data['num_classes']} != {config.num_classes} class names")
        return config
