"""MC-WES configuration: every knob of inputs, model, losses, training and decoding in one dataclass.

The config travels inside every checkpoint, so a model is always decoded with the settings it was
trained with; `from_dict` rejects unknown keys so a typo or another model's config fails loudly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

CLASSES = ("ME", "MaE")  # foreground classes; index 2 of the CAS is background


@dataclass
class MCWESConfig:
    # inputs
    canonical_fps: float = 30.0  # videos faster than 1.25x this are resampled to ~this rate
    snippet_len: int = 8
    snippet_stride: int = 2
    crop_size: int = 32  # crops are downscaled to this before the encoders (speed on CPU)
    n_regions: int = 0  # regional motion signals per frame; 0 = taken from the first training video
    window_half_s: float = 0.17  # >0: window speed over +-this many seconds joins the motion stream
    reference_window_s: float = 6.0  # running-median neutral reference for the appearance stream
    feature_dim: int = 0  # >0: user-supplied (S, feature_dim) snippet features replace both encoders
    # model
    hidden: int = 64  # per-stream embedding width
    dropout: float = 0.3
    # MIL: top-k sizes in snippets (class-specific: an ME covers few snippets, an MaE many)
    k_me: int = 3
    k_mae: int = 12
    k_bg_ratio: float = 0.5  # background top-k as a fraction of the video's snippets
    # duration priors in snippets for the duration-consistency loss (min, max run length)
    dur_me: tuple[int, int] = (2, 10)
    dur_mae: tuple[int, int] = (6, 64)
    # loss weights (defaults recorded in the module docstring of inference.mcwes)
    w_mil: float = 1.0
    w_saliency: float = 0.5
    w_distribution: float = 0.1
    w_duration: float = 0.1
    w_feature: float = 0.1
    contrast_temperature: float = 0.2
    supervision: str = "video"  # "video" (weak, MIL) or "frame" (frame-level labels, for comparison)
    # training
    epochs: int = 40
    batch_videos: int = 4
    lr: float = 1e-3
    weight_decay: float = 1e-4
    # decoding
    # "duration": proposals from the expression curve (p_ME + p_MaE) * a, each labelled ME when it
    # lasts at most me_max_s, else MaE; "cas": proposals per class from p_c * a (see decode.py).
    # "" picks by supervision: duration for video-level labels, cas for frame-level ones (a CAS
    # trained on frame labels has learnt ME vs MaE from them; one trained on video tags has not)
    label_by: str = ""
    me_max_s: float = 0.5  # the field's definition of a micro-expression: at most half a second
    calibrate: bool = True  # scale activations and score cuts from the training videos' weak labels
    thresholds: tuple[float, ...] = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
    soft_nms_sigma: float = 0.3
    min_score: float = 0.05
    max_proposals: int = 10  # per video, both classes together
    dur_me_s: tuple[float, float] = (0.06, 0.55)  # decoded duration filter in seconds
    dur_mae_s: tuple[float, float] = (0.4, 5.0)
    # blinks are in every video and eye-only motion is no expression (the baseline's rule): a
    # proposal is dropped when no other motion column reaches blink_ratio x the eye column's motion
    eye_region: int = 1  # column of the eyes in VideoInput.motion (media.motion.REGIONS order); -1 = off
    blink_ratio: float = 0.5
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes (dataset, annotation version)

    def __post_init__(self) -> None:
        for name in ("dur_me", "dur_mae", "dur_me_s", "dur_mae_s", "thresholds"):
            setattr(self, name, tuple(getattr(self, name)))
        problems = []
        if self.snippet_len < 2 or self.snippet_stride < 1:
            problems.append("snippet_len must be >= 2 and snippet_stride >= 1")
        if not self.label_by:
            self.label_by = "cas" if self.supervision == "frame" else "duration"
        if self.label_by not in ("duration", "cas"):
            problems.append(f"label_by must be 'duration' or 'cas', got {self.label_by!r}")
        if not self.me_max_s > 0:
            problems.append(f"me_max_s must be > 0, got {self.me_max_s}")
        if self.supervision not in ("video", "frame"):
            problems.append(f"supervision must be 'video' or 'frame', got {self.supervision!r}")
        for name in ("dur_me", "dur_mae", "dur_me_s", "dur_mae_s"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                problems.append(f"{name} must be (min, max) with 0 < min <= max, got {(lo, hi)}")
        if self.k_me < 1 or self.k_mae < 1 or not 0 < self.k_bg_ratio <= 1:
            problems.append("k_me, k_mae must be >= 1 and 0 < k_bg_ratio <= 1")
        if not self.thresholds or not all(0 < t < 1 for t in self.thresholds):
            problems.append("thresholds must be a non-empty list of values in (0, 1)")
        if self.feature_dim < 0 or self.feature_dim % 2:
            problems.append("feature_dim must be 0 or an even number (appearance half + motion half)")
        if self.window_half_s < 0:
            problems.append(f"window_half_s must be >= 0, got {self.window_half_s}")
        if self.eye_region >= 0 and not 0 < self.blink_ratio <= 1:
            problems.append(f"blink_ratio must be in (0, 1], got {self.blink_ratio}")
        if problems:
            raise ValueError("invalid MCWESConfig: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MCWESConfig:
        if not isinstance(d, dict):
            raise ValueError(f"MCWESConfig.from_dict expects a dict, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown MCWESConfig keys: {unknown}")
        return cls(**d)
